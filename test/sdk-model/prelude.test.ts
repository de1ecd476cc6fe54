import { afterEach, describe, expect, it } from 'vitest';
import { InferenceResponse, Tensor } from '../../sdk/model/index.ts';
import { createPrelude, installPrelude, installedPrelude, type PreludeGlobals } from '../../sdk/model/prelude.ts';
import { callEntry, FakeHost, serve } from './fake-host.ts';

const global = globalThis as Record<string, unknown>;
afterEach(() => {
  delete global.__nereidHost;
  delete global.__nereidModel;
});

/** A fake host and the prelude built for it, wired through serveModel so fireTimer reaches the prelude's timers. */
function setUp(execute: (g: PreludeGlobals) => () => unknown = () => () => []) {
  const host = new FakeHost();
  const prelude = createPrelude(host);
  const { entry } = serve({ execute: execute(prelude.globals) }, host, prelude);
  return { host, entry, g: prelude.globals };
}

describe('prelude timers', () => {
  it('fire in due order, then in the order they were set, with their arguments', () => {
    const { host, g } = setUp();
    const fired: string[] = [];
    g.setTimeout((...args) => fired.push(`30 ${args.join(',')}`), 30, 'a', 'b');
    g.setTimeout(() => fired.push('10'), 10);
    g.setTimeout(() => fired.push('20 first'), 20);
    g.setTimeout(() => fired.push('20 second'), 20);
    g.setTimeout(() => {
      fired.push('0');
      g.setTimeout(() => fired.push('nested 5'), 5);
    }, 0);
    host.advance(15);
    expect(fired).toEqual(['0', 'nested 5', '10']);
    host.advance(100);
    expect(fired).toEqual(['0', 'nested 5', '10', '20 first', '20 second', '30 a,b']);
    expect(host.timers.size).toBe(0);
  });

  it('clears timeouts and intervals (interchangeably), and re-arms intervals until cleared', () => {
    const { host, g } = setUp();
    const fired: string[] = [];
    const cancelled = g.setTimeout(() => fired.push('cancelled'), 5);
    g.clearTimeout(cancelled);
    g.clearTimeout(undefined); // ignored, as in Node
    g.clearInterval(12345);
    let ticks = 0;
    const interval = g.setInterval(() => {
      fired.push(`tick ${++ticks} at ${host.clock}`);
      if (ticks === 3) g.clearInterval(interval);
    }, 10);
    const other = g.setInterval(() => fired.push(`other at ${host.clock}`), 25);
    host.advance(60);
    g.clearTimeout(other);
    host.advance(100);
    expect(fired).toEqual(['tick 1 at 10', 'tick 2 at 20', 'other at 25', 'tick 3 at 30', 'other at 50']);
    expect(host.timers.size).toBe(0);
    expect(host.timerCalls[0]).toBe(`set ${cancelled} 5`);
    expect(host.timerCalls[1]).toBe(`clear ${cancelled}`);
  });

  it('normalises delays as Node does, and refuses a non-function callback', () => {
    const { host, g } = setUp();
    const ids = [g.setTimeout(() => {}, 0), g.setTimeout(() => {}, Number.NaN), g.setTimeout(() => {}, -5), g.setTimeout(() => {}, 2 ** 31), g.setTimeout(() => {}, 7.5)];
    expect(host.timerCalls).toEqual(ids.map((id, i) => `set ${id} ${i === 4 ? 7.5 : 1}`));
    expect(() => g.setTimeout('code' as never, 1)).toThrow(/callback must be a function/);
  });

  it('logs a throwing or rejecting callback and keeps firing the others', async () => {
    const { host, g } = setUp();
    const fired: string[] = [];
    g.setTimeout(() => {
      throw new Error('boom');
    }, 1);
    g.setTimeout(async () => {
      throw new TypeError('async boom');
    }, 2);
    g.setTimeout(() => fired.push('after'), 3);
    host.advance(5);
    await Promise.resolve();
    expect(fired).toEqual(['after']);
    expect(host.logs.map(([level, message]) => [level, message.split('\n')[0]])).toEqual([
      ['error', 'uncaught exception in a timer callback: Error: boom'],
      ['error', 'uncaught exception in a timer callback: TypeError: async boom'],
    ]);
  });

  it('lets execute wait on a timer: the host fires it and the model runs on', async () => {
    const { host, entry } = setUp((g) => async () => {
      const start = g.performance.now();
      await new Promise((resolve) => g.setTimeout(resolve, 50));
      return [new InferenceResponse({ parameters: { waited: g.performance.now() - start } })];
    });
    const pending = callEntry(host, (id) => entry.execute(id, [{ id: '', inputs: [], requestedOutputs: [], parameters: {}, correlationId: 0, flags: 0 }]));
    await Promise.resolve();
    host.advance(50);
    expect(await pending).toEqual({ ok: true, responses: [{ outputs: [], parameters: { waited: 50 } }] });
  });
});

describe('prelude globals', () => {
  it('does nothing when imported in Node (no host bridge installed at load)', () => {
    expect(installedPrelude()).toBeUndefined();
    expect(globalThis.TextEncoder.name).toBe('TextEncoder'); // Node's own
  });

  it('installs console, performance, timers, queueMicrotask, TextEncoder and TextDecoder like built-ins', async () => {
    const host = new FakeHost();
    host.clock = 12.25;
    const target: Record<string, unknown> = {};
    installPrelude(createPrelude(host), target);
    expect(Object.keys(target)).toEqual([]); // not enumerable
    expect(Object.getOwnPropertyNames(target).sort()).toEqual(
      ['TextDecoder', 'TextEncoder', 'clearInterval', 'clearTimeout', 'console', 'performance', 'queueMicrotask', 'setInterval', 'setTimeout'].sort(),
    );
    const g = target as unknown as typeof globalThis;
    expect(g.performance.now()).toBe(12.25);
    g.console.log('a', 1, { b: [2] }, new Float32Array([0.5]), 3n);
    g.console.warn('careful');
    g.console.error(new RangeError('bad'));
    g.console.debug('detail');
    g.console.assert(1 === 1, 'fine');
    g.console.assert(false, 'broken', 7);
    g.console.log(Tensor.fromStrings('T', [1], ['x']), { self: null as unknown });
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    g.console.info(cyclic);
    const ran: string[] = [];
    g.queueMicrotask(() => ran.push('micro'));
    g.queueMicrotask(() => {
      throw new Error('in microtask');
    });
    ran.push('sync');
    await Promise.resolve();
    await Promise.resolve();
    expect(ran).toEqual(['sync', 'micro']);
    expect(host.logs.map(([level, message]) => [level, message.split('\n')[0]])).toEqual([
      ['info', 'a 1 {"b":[2]} Float32Array(1) [0.5] 3n'],
      ['warn', 'careful'],
      ['error', 'RangeError: bad'],
      ['verbose', 'detail'],
      ['error', 'Assertion failed: broken 7'],
      ['info', 'Tensor(T, BYTES, [1]) {"self":null}'],
      ['info', '{"self":"[Circular]"}'],
      ['error', 'uncaught exception in a queueMicrotask callback: Error: in microtask'],
    ]);
    expect(new g.TextDecoder().decode(new g.TextEncoder().encode('h\u00e9\u{1F600}'))).toBe('h\u00e9\u{1F600}');
  });
});
