/**
 * The sequence batcher end to end: a real server (createServer) on the
 * bundled `accumulate` model or on temporary repositories, real
 * onnxruntime sessions and real model.ts isolates.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import type { Server } from '../../runtime/server/create-server.ts';
import type { Parameters } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { accumulateModel, type AccumulateOptions } from '../../scripts/onnx/sequence-models.ts';
import { renderConfig, writeModel } from '../support/onnx-fixtures.ts';
import { errorOf } from '../support/rejection.ts';
import { writeScriptModel } from '../script/support.ts';
import { useTempServer } from '../support/temp-server.ts';

const MODELS = fileURLToPath(new URL('../../models/', import.meta.url));

const fixture = useTempServer();

function start(modelRepository?: string, loadModels?: string[]): Promise<Server> {
  return fixture.start({ ...(modelRepository ? { modelRepository } : {}), ...(loadModels ? { modelControlMode: 'explicit' as const, loadModels } : {}) });
}

/** Writes the accumulate model with `maxBatchSize` slots per instance and `count` instances. */
async function writeAccumulate(name: string, options: AccumulateOptions & { maxBatchSize?: number; count?: number } = {}): Promise<void> {
  const model = accumulateModel(options);
  const config = renderConfig({
    name,
    model,
    maxBatchSize: options.maxBatchSize ?? 8,
    instanceGroup: { count: options.count ?? 1, kind: 'KIND_CPU' },
    extra: model.sequenceBatching,
  });
  await writeModel(fixture.repo, name, { onnx: model.onnx, config });
}

/** One step of a sequence: INPUT = value; resolves with OUTPUT. */
async function step(s: Server, model: string, id: number | string, value: number, flags: { start?: boolean; end?: boolean } = {}): Promise<number> {
  const parameters: Parameters = { sequence_id: id };
  if (flags.start) parameters.sequence_start = true;
  if (flags.end) parameters.sequence_end = true;
  const response = await s.infer({ model, parameters, inputs: [new Tensor('INPUT', 'INT32', [1, 1], Int32Array.of(value))] });
  expect(response.outputs.map((t) => t.name)).toEqual(['OUTPUT']);
  expect(response.outputs[0]!.shape).toEqual([1, 1]);
  return (response.outputs[0]!.data as Int32Array)[0]!;
}

describe('sequence batcher with the bundled accumulate model', () => {
  it('keeps a running sum per sequence for interleaved concurrent sequences', async () => {
    const s = await start(MODELS, ['accumulate']);
    const ids = [11, 'alpha', 12, 'beta', 13];
    const sums = await Promise.all(
      ids.map(async (id, n) => {
        const seen: number[] = [];
        for (let i = 1; i <= 6; i++) seen.push(await step(s, 'accumulate', id, (n + 1) * i, { start: i === 1, end: i === 6 }));
        return seen;
      }),
    );
    ids.forEach((_, n) => {
      const k = n + 1;
      expect(sums[n]).toEqual([k, 3 * k, 6 * k, 10 * k, 15 * k, 21 * k]);
    });
    // The config the server reports lists only the client's tensors.
    const config = s.modelConfig('accumulate') as { input: { name: string }[]; output: { name: string }[] };
    expect(config.input.map((i) => i.name)).toEqual(['INPUT']);
    expect(config.output.map((o) => o.name)).toEqual(['OUTPUT']);
  });
});

describe('sequence batcher semantics', () => {
  it('restarts a sequence on a new START and forgets it after END', async () => {
    await writeAccumulate('acc');
    const s = await start();
    expect(await step(s, 'acc', 5, 10, { start: true })).toBe(10);
    expect(await step(s, 'acc', 5, 3)).toBe(13);
    expect(await step(s, 'acc', 5, 100, { start: true })).toBe(100); // START resets the sum
    expect(await step(s, 'acc', 5, 1, { end: true })).toBe(101);
    const late = await errorOf(step(s, 'acc', 5, 1));
    expect(late.message).toBe("inference request for sequence 5 to model 'acc' must specify the START flag on the first request of the sequence");
    expect(await step(s, 'acc', 5, 7, { start: true, end: true })).toBe(7);
  });

  it('serves a model that does not batch: one sequence per instance, control tensors of shape [1]', async () => {
    const model = accumulateModel({ batch: false });
    const config = renderConfig({ name: 'acc_nobatch', model, maxBatchSize: 0, instanceGroup: { count: 2, kind: 'KIND_CPU' }, extra: model.sequenceBatching });
    await writeModel(fixture.repo, 'acc_nobatch', { onnx: model.onnx, config });
    const s = await start();
    const run = async (id: number, value: number, parameters: Parameters = {}) => {
      const response = await s.infer({ model: 'acc_nobatch', parameters: { sequence_id: id, ...parameters }, inputs: [new Tensor('INPUT', 'INT32', [1], Int32Array.of(value))] });
      expect(response.outputs[0]!.shape).toEqual([1]);
      return (response.outputs[0]!.data as Int32Array)[0];
    };
    // Two instances, one slot each: both sequences run at once.
    expect(await Promise.all([run(1, 1, { sequence_start: true }), run(2, 10, { sequence_start: true })])).toEqual([1, 10]);
    expect(await Promise.all([run(1, 1), run(2, 10)])).toEqual([2, 20]);
  });

  it('tells uint64 and string correlation ids apart', async () => {
    await writeAccumulate('acc');
    const s = await start();
    expect(await step(s, 'acc', 42, 1, { start: true })).toBe(1);
    expect(await step(s, 'acc', '42', 50, { start: true })).toBe(50);
    expect(await step(s, 'acc', 42, 1)).toBe(2);
    expect(await step(s, 'acc', '42', 1)).toBe(51);
  });

  it('makes a new sequence wait for a free slot, and END frees it', async () => {
    await writeAccumulate('one_slot', { maxBatchSize: 1 });
    const s = await start();
    expect(await step(s, 'one_slot', 1, 5, { start: true })).toBe(5);
    let secondDone = false;
    const second = step(s, 'one_slot', 2, 7, { start: true }).then((value) => {
      secondDone = true;
      return value;
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(secondDone).toBe(false); // sequence 1 holds the only slot
    expect(await step(s, 'one_slot', 1, 1, { end: true })).toBe(6);
    expect(await second).toBe(7);
    expect(await step(s, 'one_slot', 2, 1, { end: true })).toBe(8);
  });

  it('frees the slot of an idle sequence and tells its late request why it was ended', async () => {
    await writeAccumulate('idle', { maxBatchSize: 1, idleMicroseconds: 100_000 });
    const s = await start();
    expect(await step(s, 'idle', 'first', 1, { start: true })).toBe(1);
    const started = performance.now();
    // Waits in the backlog until the idle sequence loses its slot (100 ms).
    expect(await step(s, 'idle', 'second', 2, { start: true })).toBe(2);
    expect(performance.now() - started).toBeGreaterThanOrEqual(90);
    const late = await errorOf(step(s, 'idle', 'first', 1));
    expect(late.code).toBe('INVALID_ARG');
    expect(late.message).toBe(
      "inference request for sequence first to model 'idle' must specify the START flag on the first request of the sequence: the sequence was ended after it had been idle for longer than max_sequence_idle_microseconds (100000 µs), and its slot was given to others",
    );
  });

  it('refuses requests without a correlation id, without START, with a batch of 2, or with malformed parameters', async () => {
    await writeAccumulate('acc');
    const s = await start();
    const input = (batch: number) => [new Tensor('INPUT', 'INT32', [batch, 1], new Int32Array(batch))];
    expect((await errorOf(s.infer({ model: 'acc', inputs: input(1) }))).message).toBe(
      "inference request to model 'acc' must specify a non-zero or non-empty correlation ID",
    );
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: '' }, inputs: input(1) }))).message).toMatch(/non-zero or non-empty correlation ID/);
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: 0, sequence_start: true }, inputs: input(1) }))).message).toMatch(
      /non-zero or non-empty correlation ID/,
    );
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: 9 }, inputs: input(1) }))).message).toBe(
      "inference request for sequence 9 to model 'acc' must specify the START flag on the first request of the sequence",
    );
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: 9, sequence_start: true }, inputs: input(2) }))).message).toBe(
      "inference request to model 'acc' must specify batch-size 1 due to requirements of sequence batcher",
    );
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: 9, sequence_start: 'yes' }, inputs: input(1) }))).message).toBe(
      "Unable to parse 'sequence_start': expected a boolean",
    );
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: -3, sequence_start: true }, inputs: input(1) }))).message).toBe(
      "Unable to parse 'sequence_id': expected an unsigned 64-bit integer or a string",
    );
    // The control and state tensors are the server's: a client may not send them.
    const control = new Tensor('START', 'INT32', [1, 1], Int32Array.of(1));
    expect((await errorOf(s.infer({ model: 'acc', parameters: { sequence_id: 9, sequence_start: true }, inputs: [...input(1), control] }))).message).toMatch(
      /unexpected inference input 'START'/,
    );
  });

  it('also returns a state output that the config lists as an output, and keeps the state going', async () => {
    const model = accumulateModel();
    const withState = { ...model, outputs: [...model.outputs, { name: 'ACC_OUT', datatype: 'INT32' as const, dims: [1] }] };
    const config = renderConfig({ name: 'acc_out', model: withState, maxBatchSize: 8, instanceGroup: { count: 1, kind: 'KIND_CPU' }, extra: model.sequenceBatching });
    await writeModel(fixture.repo, 'acc_out', { onnx: model.onnx, config });
    const s = await start();
    const run = async (value: number, parameters: Parameters) => {
      const response = await s.infer({ model: 'acc_out', parameters, inputs: [new Tensor('INPUT', 'INT32', [1, 1], Int32Array.of(value))] });
      return response.outputs.map((t) => [t.name, Array.from(t.data as Int32Array)]);
    };
    const first = await run(2, { sequence_id: 1, sequence_start: true });
    expect(first).toEqual([['OUTPUT', [2]], ['ACC_OUT', [2]]]);
    expect(await run(3, { sequence_id: 1 })).toEqual([['OUTPUT', [5]], ['ACC_OUT', [5]]]);
    // The state fed to the next run is a copy: the caller's ACC_OUT still reads 2.
    expect(first).toEqual([['OUTPUT', [2]], ['ACC_OUT', [2]]]);
  });

  it('runs the oldest strategy with the same sums', async () => {
    await writeAccumulate('acc_oldest', { strategy: 'oldest' });
    const s = await start();
    const sums = await Promise.all(
      [1, 2, 3, 4].map(async (id) => {
        let last = 0;
        for (let i = 1; i <= 5; i++) last = await step(s, 'acc_oldest', id, id, { start: i === 1, end: i === 5 });
        return last;
      }),
    );
    expect(sums).toEqual([5, 10, 15, 20]);
  });
});

/** A model.ts that reports, per request, what it saw of the whole batch. */
const REPORTER = `
import { InferenceResponse, Tensor, type InferenceRequest } from 'nereid/model';

const value = (request: InferenceRequest, name: string) => {
  const tensor = request.input(name);
  if (!tensor) return null;
  const v = (tensor.data as ArrayLike<number | bigint>)[0];
  return typeof v === 'bigint' ? v.toString() : tensor.datatype === 'BYTES' ? new TextDecoder().decode((tensor.data as unknown as Uint8Array[])[0]) : v;
};

export function execute(requests: InferenceRequest[]) {
  const rows = requests.map((request) => ({
    correlationId: request.correlationId,
    flags: request.flags,
    start: value(request, 'START'),
    end: value(request, 'END'),
    ready: value(request, 'READY'),
    corrid: value(request, 'CORRID'),
    shapes: request.inputs.map((t) => t.name + ':' + t.shape.join('x')).sort(),
    parameters: Object.keys(request.parameters),
  }));
  return requests.map((request, i) =>
    new InferenceResponse({ outputs: [Tensor.fromStrings('REPORT', [1, 1], [JSON.stringify({ me: i, rows })])] }),
  );
}
`;

function reporterConfig(name: string, corridType: string): string {
  return [
    `name: "${name}"`,
    'backend: "typescript"',
    'max_batch_size: 4',
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
    'output [ { name: "REPORT" data_type: TYPE_STRING dims: [ 1 ] } ]',
    'instance_group [ { count: 1 kind: KIND_CPU } ]',
    'sequence_batching {',
    '  control_input [',
    '    { name: "START" control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ] },',
    '    { name: "END" control [ { kind: CONTROL_SEQUENCE_END fp32_false_true: [ 0, 1 ] } ] },',
    '    { name: "READY" control [ { kind: CONTROL_SEQUENCE_READY bool_false_true: [ false, true ] } ] },',
    `    { name: "CORRID" control [ { kind: CONTROL_SEQUENCE_CORRID data_type: ${corridType} } ] }`,
    '  ]',
    '}',
  ].join('\n');
}

interface Report {
  me: number;
  rows: { correlationId: number | string; flags: number; start: number; end: number; ready: number; corrid: string | number; shapes: string[]; parameters: string[] }[];
}

async function report(s: Server, model: string, parameters: Parameters): Promise<Report> {
  const response = await s.infer({ model, parameters, inputs: [new Tensor('INPUT0', 'FP32', [1, 1], Float32Array.of(1))] });
  return JSON.parse(response.outputs[0]!.strings()[0]!) as Report;
}

describe('sequence batcher with a model.ts', () => {
  it('passes the correlation id, the flags and the control inputs, and fills empty slots with READY false', async () => {
    await writeScriptModel(fixture.repo, 'reporter', { source: REPORTER, config: reporterConfig('reporter', 'TYPE_UINT64') });
    const s = await start();
    const first = await report(s, 'reporter', { sequence_id: 7, sequence_start: true, custom: 'kept' });
    expect(first.rows).toEqual([
      {
        correlationId: 7,
        flags: 1,
        start: 1,
        end: 0,
        ready: 1,
        corrid: '7',
        shapes: ['CORRID:1x1', 'END:1x1', 'INPUT0:1x1', 'READY:1x1', 'START:1x1'],
        parameters: ['custom'],
      },
    ]);
    // Sequence 8 gets slot 1; slot 0 (sequence 7) has nothing to run, so its row is a filler.
    const second = await report(s, 'reporter', { sequence_id: 8, sequence_start: true, sequence_end: true });
    expect(second.me).toBe(1);
    expect(second.rows.map(({ correlationId, flags, start, end, ready, corrid }) => ({ correlationId, flags, start, end, ready, corrid }))).toEqual([
      { correlationId: 0, flags: 0, start: 0, end: 0, ready: 0, corrid: '0' },
      { correlationId: 8, flags: 3, start: 1, end: 1, ready: 1, corrid: '8' },
    ]);
    const last = await report(s, 'reporter', { sequence_id: 7, sequence_end: true });
    expect(last.rows).toHaveLength(1);
    expect(last.rows[0]).toMatchObject({ correlationId: 7, flags: 2, start: 0, end: 1, ready: 1 });
  });

  it('carries implicit state through a model.ts too; a failed step keeps the state unless the script took it', async () => {
    const source = `
      import { InferenceResponse, NereidError, Tensor, type InferenceRequest } from 'nereid/model';
      export function execute(requests: InferenceRequest[]) {
        return requests.map((request) => {
          const state = request.requireInput('COUNT_IN').data as Int32Array;
          const count = state[0]! + 1;
          if ((request.requireInput('INPUT0').data as Float32Array)[0] === 13) return new InferenceResponse({ error: new NereidError('INVALID_ARG', 'unlucky') });
          const next = new Int32Array(state.length);
          next[0] = count;
          return new InferenceResponse({ outputs: [
            new Tensor('OUTPUT0', 'FP32', [1, 1], Float32Array.of(count)),
            new Tensor('COUNT_OUT', 'INT32', [1, state.length], next),
          ] });
        });
      }`;
    const config = (name: string, extra: string, stateLength = 1) =>
      [
        `name: "${name}"`,
        'backend: "typescript"',
        'max_batch_size: 2',
        'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
        'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
        'instance_group [ { count: 1 kind: KIND_CPU } ]',
        `sequence_batching { state [ { input_name: "COUNT_IN" output_name: "COUNT_OUT" data_type: TYPE_INT32 dims: [ ${stateLength} ] } ] }`,
        extra,
      ].join('\n');
    await writeScriptModel(fixture.repo, 'counter', { source, config: config('counter', '') });
    // Every tensor by handle: reading one moves its buffer into the isolate when it has one of its own,
    // as a state this large (over 4 KiB) has when it comes back from the script; smaller ones share a slab and are copied.
    const moved = config('counter_moved', 'parameters { key: "inline_tensor_bytes" value: { string_value: "0" } }', 2048);
    await writeScriptModel(fixture.repo, 'counter_moved', { source, config: moved });
    const s = await start();
    const count = async (model: string, value: number, parameters: Parameters = {}) => {
      const response = await s.infer({ model, parameters: { sequence_id: 1, ...parameters }, inputs: [new Tensor('INPUT0', 'FP32', [1, 1], Float32Array.of(value))] });
      expect(response.outputs.map((t) => t.name)).toEqual(['OUTPUT0']);
      return (response.outputs[0]!.data as Float32Array)[0];
    };
    for (const model of ['counter', 'counter_moved']) {
      expect(await count(model, 0, { sequence_start: true })).toBe(1);
      expect(await count(model, 0)).toBe(2);
      expect(await count(model, 0)).toBe(3);
      expect((await errorOf(count(model, 13))).message).toContain('unlucky');
    }
    // The state was copied into the isolate: the sequence goes on from the last good step.
    expect(await count('counter', 0)).toBe(4);
    // The failing step took the state's buffer with it: the sequence cannot go on.
    expect((await errorOf(count('counter_moved', 0))).message).toBe(
      "model 'counter_moved' version 1: the state of sequence 1 was lost when an earlier request of it failed; start the sequence again with the START flag",
    );
    expect(await count('counter_moved', 0, { sequence_start: true })).toBe(1);
    // Requests queued behind the failure that lost the state are answered too, END included, not left waiting.
    const queued = [count('counter_moved', 13), count('counter_moved', 0), count('counter_moved', 0, { sequence_end: true })];
    const errors = await Promise.all(queued.map((request) => errorOf(request)));
    expect(errors[0]!.message).toContain('unlucky');
    expect(errors.slice(1).map((error) => error.message)).toEqual([1, 2].map(() => expect.stringContaining('the state of sequence 1 was lost')));
    expect(await count('counter_moved', 0, { sequence_start: true })).toBe(1);
  });

  it('gives a string correlation id to the model and to a TYPE_STRING CORRID control', async () => {
    await writeScriptModel(fixture.repo, 'reporter_s', { source: REPORTER, config: reporterConfig('reporter_s', 'TYPE_STRING') });
    const s = await start();
    const seen = await report(s, 'reporter_s', { sequence_id: 'session-a', sequence_start: true });
    expect(seen.rows[0]).toMatchObject({ correlationId: 'session-a', flags: 1, corrid: 'session-a' });
  });

  it('cancels a queued request of a sequence, and the requests queued behind it, without running them', async () => {
    await writeScriptModel(fixture.repo, 'sleepy_sequence', {
      source: `
        import { InferenceResponse, type InferenceRequest } from 'nereid/model';
        export async function execute(requests: InferenceRequest[]) {
          const hold = Math.max(0, ...requests.map((r) => Number(r.parameters.hold_ms ?? 0)));
          await new Promise((resolve) => setTimeout(resolve, hold));
          return requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')] }));
        }`,
      config: [
        'name: "sleepy_sequence"',
        'backend: "typescript"',
        'max_batch_size: 2',
        'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
        'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ 1 ] } ]',
        'sequence_batching { }',
      ].join('\n'),
    });
    const s = await start();
    const send = (value: number, parameters: Parameters, signal?: AbortSignal) =>
      s.infer({ model: 'sleepy_sequence', parameters: { sequence_id: 5, ...parameters }, inputs: [new Tensor('INPUT0', 'FP32', [1, 1], Float32Array.of(value))], signal });
    const first = send(1, { sequence_start: true, hold_ms: 200 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    const cancel = new AbortController();
    const second = send(2, {}, cancel.signal);
    const third = send(3, {});
    cancel.abort();
    const errors = await Promise.all([second, third].map((request) => errorOf(request)));
    expect(errors.map((error) => error.code)).toEqual(['CANCELLED', 'CANCELLED']);
    expect(((await first).outputs[0]!.data as Float32Array)[0]).toBe(1);
    const stats = s.modelStatistics('sleepy_sequence').model_stats[0]!;
    expect(stats.inference_count).toBe(1);
  });
});
