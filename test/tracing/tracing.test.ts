/**
 * Trace settings (global, per model, cleared) and the tracer: which requests
 * it samples, how trace_count runs out, and the JSON it writes, at once to
 * `trace_file.<k>` every log_frequency traces or to `trace_file` at close.
 */
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLogger } from '../../runtime/logging/logger.ts';
import { TraceSettings } from '../../runtime/tracing/trace-settings.ts';
import { Tracer } from '../../runtime/tracing/tracer.ts';

describe('trace settings', () => {
  it("answers Triton's defaults: off, one in 1000, no count limit, no file", () => {
    expect(new TraceSettings().toTriton()).toEqual({ trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', trace_file: '', log_frequency: '0' });
  });

  it('gives a model its own settings over the global ones, and clears them back', () => {
    const settings = new TraceSettings();
    settings.update({ trace_level: ['TIMESTAMPS'], trace_file: '/tmp/t.json', trace_rate: '100' });
    settings.update({ trace_rate: '5' }, 'simple');
    expect(settings.toTriton('simple')).toMatchObject({ trace_level: ['TIMESTAMPS'], trace_rate: '5', trace_file: '/tmp/t.json' });
    expect(settings.toTriton('other')).toMatchObject({ trace_rate: '100' });
    settings.update({ trace_rate: null }, 'simple');
    expect(settings.toTriton('simple').trace_rate).toBe('100');
    settings.update({ trace_count: '3' }, 'simple');
    settings.clearModel('simple');
    expect(settings.toTriton('simple')).toEqual(settings.toTriton());
    settings.update({ trace_rate: null });
    expect(settings.toTriton().trace_rate).toBe('1000');
  });

  it.each([
    [{ trace_level: ['TENSORS'] }, 'TENSORS is not supported by this server; use TIMESTAMPS'],
    [{ trace_level: ['MAX'] }, "trace setting 'trace_level' takes OFF or TIMESTAMPS, got \"MAX\""],
    [{ trace_rate: '0' }, "trace setting 'trace_rate' must be an integer >= 1 (as a string), got \"0\""],
    [{ trace_count: '-2' }, "trace setting 'trace_count' must be an integer >= -1"],
    [{ log_frequency: 'often' }, "trace setting 'log_frequency' must be an integer >= 0"],
    [{ trace_rate: ['1', '2'] }, "trace setting 'trace_rate' takes one string"],
    [{ trace_level: ['TIMESTAMPS'] }, 'tracing at TIMESTAMPS needs a trace_file to write to'],
    [{ trace_mode: 'triton' }, "unknown trace setting 'trace_mode'"],
  ])('refuses %j, naming the setting, and changes nothing', (changes, message) => {
    const settings = new TraceSettings();
    expect(() => settings.update({ trace_rate: '7', ...changes })).toThrow(message);
    expect(settings.toTriton()).toEqual(new TraceSettings().toTriton());
  });
});

describe('tracer', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'nereid-trace-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  const tracer = (changes: Record<string, string | string[]>) => {
    const settings = new TraceSettings();
    settings.update(changes);
    return new Tracer(settings, createLogger({ write: () => {} }));
  };

  it('samples nothing while off, then one request in trace_rate per model, until trace_count runs out', () => {
    expect(tracer({}).sample('simple')).toBe(0);
    const t = tracer({ trace_level: ['TIMESTAMPS'], trace_file: join(dir, 't.json'), trace_rate: '3', trace_count: '3' });
    const picked = Array.from({ length: 9 }, () => t.sample('a'));
    expect(picked.map((id) => id > 0)).toEqual([false, false, true, false, false, true, false, false, true]);
    expect(t.settings.toTriton().trace_count).toBe('0');
    expect(Array.from({ length: 6 }, () => t.sample('a'))).toEqual([0, 0, 0, 0, 0, 0]);
  });

  it("writes every log_frequency traces to trace_file.<k>, and the rest at close, in Triton's schema", async () => {
    const file = join(dir, 'trace.json');
    const t = tracer({ trace_level: ['TIMESTAMPS'], trace_file: file, trace_rate: '1', log_frequency: '2' });
    for (let i = 0; i < 3; i++) {
      const id = t.sample('simple');
      t.record(id, 'simple', 1, [['REQUEST_START', 10 + i], ['QUEUE_START', 10.5 + i], ['REQUEST_END', 11 + i]]);
    }
    await t.close();
    expect((await readdir(dir)).sort()).toEqual(['trace.json.0', 'trace.json.1']);
    const first = JSON.parse(await readFile(`${file}.0`, 'utf8')) as { id: number; model_name: string; model_version: number; timestamps: { name: string; ns: number }[] }[];
    expect(first.map((trace) => [trace.id, trace.model_name, trace.model_version])).toEqual([[1, 'simple', 1], [2, 'simple', 1]]);
    const [start, queue, end] = first[0]!.timestamps;
    expect([start!.name, queue!.name, end!.name]).toEqual(['REQUEST_START', 'QUEUE_START', 'REQUEST_END']);
    expect(queue!.ns - start!.ns).toBe(500_000);
    expect(end!.ns - start!.ns).toBe(1_000_000);
    expect(JSON.parse(await readFile(`${file}.1`, 'utf8'))).toHaveLength(1);
  });

  it('with log_frequency 0, writes everything to trace_file at close', async () => {
    const file = join(dir, 'all.json');
    const t = tracer({ trace_level: ['TIMESTAMPS'], trace_file: file, trace_rate: '1' });
    for (let i = 0; i < 4; i++) t.record(t.sample('m'), 'm', 2, [['REQUEST_START', i], ['REQUEST_END', i + 1]]);
    expect(await readdir(dir)).toEqual([]);
    await t.close();
    expect(JSON.parse(await readFile(file, 'utf8'))).toHaveLength(4);
  });
});
