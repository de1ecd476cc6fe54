import { afterEach, describe, expect, it } from 'vitest';
import {
  InferenceRequest,
  InferenceResponse,
  NereidError,
  Tensor,
  type InitializeArgs,
  type Model,
  type ModelConfig,
} from '../../sdk/model/index.ts';
import type { RequestDescriptor, SettleResult } from '../../sdk/model/isolate-protocol.ts';
import { serveModel } from '../../sdk/model/serve-model.ts';
import { callEntry, FakeHost, serve } from './fake-host.ts';

const global = globalThis as Record<string, unknown>;

afterEach(() => {
  delete global.__nereidHost;
  delete global.__nereidModel;
});

function request(overrides: Partial<RequestDescriptor> = {}): RequestDescriptor {
  return {
    id: 'r1',
    inputs: [{ name: 'X', datatype: 'INT32', shape: [2], data: new Int32Array([1, 2]) }],
    requestedOutputs: [],
    parameters: {},
    correlationId: 0,
    flags: 0,
    ...overrides,
  };
}

const initArgs: InitializeArgs = {
  modelName: 'plus_one',
  modelVersion: '1',
  modelConfig: { name: 'plus_one' },
  modelInstanceName: 'plus_one_0_0',
  modelInstanceKind: 'CPU',
  modelInstanceDeviceId: 0,
  modelRepository: '/models/plus_one',
};

function plusOne(requests: InferenceRequest[]): InferenceResponse[] {
  return requests.map((r) => {
    const x = r.requireInput('X');
    const y = (x.data as Int32Array).map((v) => v + 1);
    return new InferenceResponse({ outputs: [new Tensor('Y', 'INT32', x.shape, y), new Tensor('Z', 'INT32', x.shape, y)] });
  });
}

function failed(result: SettleResult): { code: string; message: string } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result)}`);
  return result.error;
}

describe('serveModel', () => {
  it('takes the host global away and installs __nereidModel', () => {
    const { entry } = serve({ execute: plusOne });
    expect('__nereidHost' in globalThis).toBe(false);
    expect(global.__nereidModel).toBe(entry);
    expect(Object.isFrozen(entry)).toBe(true);
    expect(entry.autoCompleteConfig).toBeUndefined();
  });

  it('refuses to start without a host bridge', () => {
    expect(() => serveModel({ execute: plusOne })).toThrow(/no host bridge.*__nereidHost/);
  });

  it('round-trips execute with named exports: request fields in, response descriptors out', async () => {
    const seen: InferenceRequest[] = [];
    const { host, entry } = serve({
      execute(requests: InferenceRequest[]) {
        seen.push(...requests);
        return plusOne(requests);
      },
    });
    expect((await callEntry(host, (id) => entry.initialize(id, initArgs))).ok).toBe(true);
    const result = await callEntry(host, (id) =>
      entry.execute(id, [
        request({ id: 'a', parameters: { k: 'v', n: 3 }, correlationId: 'seq-9', flags: 1, requestedOutputs: ['Y'] }),
        request({ id: 'b', inputs: [{ name: 'X', datatype: 'INT32', shape: [1], data: new Int32Array([41]) }] }),
      ]),
    );
    expect(result).toEqual({
      ok: true,
      responses: [
        // Only the requested output crosses back.
        { outputs: [{ name: 'Y', datatype: 'INT32', shape: [2], data: new Int32Array([2, 3]) }] },
        {
          outputs: [
            { name: 'Y', datatype: 'INT32', shape: [1], data: new Int32Array([42]) },
            { name: 'Z', datatype: 'INT32', shape: [1], data: new Int32Array([42]) },
          ],
        },
      ],
    });
    const [a] = seen;
    expect(a).toBeInstanceOf(InferenceRequest);
    expect(a!.model).toBe('plus_one');
    expect(a!.id).toBe('a');
    expect(a!.parameters).toEqual({ k: 'v', n: 3 });
    expect(a!.correlationId).toBe('seq-9');
    expect(a!.flags).toBe(1);
    expect(a!.requestedOutputNames).toEqual(['Y']);
    expect(a!.isCancelled()).toBe(false);
    expect(a!.input('X')).toBeInstanceOf(Tensor);
    expect(a!.input('nope')).toBeUndefined();
    expect(() => a!.requireInput('W')).toThrow("model 'plus_one': request 'a' has no input 'W' (its inputs: X)");
  });

  it('instantiates a default-export class once and calls its methods on that instance', async () => {
    const events: string[] = [];
    class Counter implements Model {
      #count = 0;
      constructor() {
        events.push('construct');
      }
      async initialize(args: InitializeArgs): Promise<void> {
        events.push(`initialize ${args.modelInstanceName}`);
      }
      execute(requests: InferenceRequest[]): InferenceResponse[] {
        this.#count += requests.length;
        return requests.map(() => new InferenceResponse({ parameters: { count: this.#count } }));
      }
      finalize(): void {
        events.push(`finalize after ${this.#count}`);
      }
    }
    const { host, entry } = serve({ default: Counter });
    expect(events).toEqual([]); // constructed on first use, as TritonPythonModel is before initialize
    await callEntry(host, (id) => entry.initialize(id, initArgs));
    const first = await callEntry(host, (id) => entry.execute(id, [request(), request()]));
    const second = await callEntry(host, (id) => entry.execute(id, [request()]));
    expect(first).toEqual({ ok: true, responses: [{ outputs: [], parameters: { count: 2 } }, { outputs: [], parameters: { count: 2 } }] });
    expect(second).toEqual({ ok: true, responses: [{ outputs: [], parameters: { count: 3 } }] });
    expect((await callEntry(host, (id) => entry.finalize(id))).ok).toBe(true);
    expect(events).toEqual(['construct', 'initialize plus_one_0_0', 'finalize after 3']);
  });

  it('accepts a default-export object, and an execute defined as a class field', async () => {
    const fromObject = serve({ default: { execute: plusOne } });
    const a = await callEntry(fromObject.host, (id) => fromObject.entry.execute(id, [request()]));
    expect(a.ok).toBe(true);

    class Fields {
      execute = (requests: InferenceRequest[]) => plusOne(requests);
    }
    const fromFields = serve({ default: Fields });
    const b = await callEntry(fromFields.host, (id) => fromFields.entry.execute(id, [request()]));
    expect(b).toEqual(a);
  });

  it('names what is missing when model.ts defines no execute', async () => {
    expect(() => serve({ initialize() {}, helper: 1 })).toThrow(
      'model.ts must export a function execute(requests), or export default a class with an execute(requests) method; it exports: initialize, helper',
    );
    expect(() => serve({})).toThrow(/it exports: nothing/);
    expect(() => serve({ default: 'model', execute: 3 })).toThrow("model.ts: export 'execute' is a number, not a function");
    expect(() => serve({ default: { initialize() {} } })).toThrow(/default export is an object without an execute\(requests\) method/);
    expect(() => serve({ default: () => ({}) })).toThrow(/cannot be constructed \(an arrow function\?\)/);

    class NoExecute {}
    const { host, entry } = serve({ default: NoExecute });
    const error = failed(await callEntry(host, (id) => entry.initialize(id, initArgs)));
    expect(error).toEqual({ code: 'INVALID_ARG', message: 'model.ts: the default export class NoExecute has no execute(requests) method' });
  });

  it('fails the whole batch when execute returns the wrong number of responses', async () => {
    const { host, entry } = serve({ execute: (requests: InferenceRequest[]) => plusOne(requests).slice(1) });
    await callEntry(host, (id) => entry.initialize(id, initArgs));
    const error = failed(await callEntry(host, (id) => entry.execute(id, [request(), request()])));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toBe(
      "model 'plus_one': execute returned 1 response for 2 requests; expected 2, one InferenceResponse per request in request order",
    );
  });

  it('fails the whole batch when execute returns something other than InferenceResponses', async () => {
    const cases: [unknown, RegExp][] = [
      [undefined, /execute returned nothing, and request 'r1' got no response through request.getResponseSender\(\); return one InferenceResponse per request, or send each through its sender/],
      ['yes', /execute must return an array of 1 InferenceResponse \(one per request\); it returned a string/],
      [new InferenceResponse(), /it returned an InferenceResponse/],
      [[{ outputs: [] }], /execute's response 0 is a plain object, not an InferenceResponse/],
      [[new Tensor('Y', 'INT32', [0], new Int32Array(0))], /execute's response 0 is a Tensor, not an InferenceResponse/],
    ];
    for (const [value, message] of cases) {
      const { host, entry } = serve({ execute: async () => value });
      const error = failed(await callEntry(host, (id) => entry.execute(id, [request()])));
      expect(error.code).toBe('INTERNAL');
      expect(error.message).toMatch(message);
    }
  });

  it('keeps the code of a thrown NereidError, sync or async; other throws become INTERNAL with their message', async () => {
    const thrown = [
      () => {
        throw NereidError.invalidArg('bad X');
      },
      async () => {
        await Promise.resolve();
        throw new NereidError('UNAVAILABLE', 'busy');
      },
      () => {
        throw new TypeError("Cannot read properties of undefined (reading 'data')");
      },
      () => Promise.reject('a string'),
    ];
    const results = [];
    for (const execute of thrown) {
      const { host, entry } = serve({ execute });
      results.push(await callEntry(host, (id) => entry.execute(id, [request()])));
    }
    expect(results.map(failed)).toEqual([
      { code: 'INVALID_ARG', message: 'bad X' },
      { code: 'UNAVAILABLE', message: 'busy' },
      { code: 'INTERNAL', message: "Cannot read properties of undefined (reading 'data')" },
      { code: 'INTERNAL', message: 'a string' },
    ]);
    const first = results[0]!;
    expect(!first.ok && first.stack).toMatch(/NereidError: bad X\n\s+at /);
    expect(results[3]).not.toHaveProperty('stack');
  });

  it('fails just one request when its response carries an error', async () => {
    const { host, entry } = serve({
      execute: (requests: InferenceRequest[]) =>
        requests.map((r, i) =>
          i === 1 ? new InferenceResponse({ error: NereidError.invalidArg(`request ${r.id} is odd`) }) : new InferenceResponse(),
        ),
    });
    const result = await callEntry(host, (id) => entry.execute(id, [request({ id: 'a' }), request({ id: 'b' })]));
    expect(result).toEqual({
      ok: true,
      responses: [{ outputs: [] }, { outputs: [], error: { code: 'INVALID_ARG', message: 'request b is odd' } }],
    });
  });

  it('takes a model that is not decoupled answering through response senders: one response and final each, execute returning nothing', async () => {
    const misuse: string[] = [];
    const { host, entry } = serve({
      execute: (requests: InferenceRequest[]) => {
        const [first, second] = requests.map((r) => r.getResponseSender());
        try {
          first!.send(undefined, { final: true });
        } catch (error) {
          misuse.push((error as Error).message);
        }
        first!.send(plusOne(requests.slice(0, 1))[0]);
        try {
          first!.send(new InferenceResponse());
        } catch (error) {
          misuse.push((error as Error).message);
        }
        first!.send(undefined, { final: true });
        // The second answers after execute has returned; the batch settles once it has.
        setTimeout(() => second!.send(new InferenceResponse({ error: NereidError.invalidArg('no') }), { final: true }), 5);
      },
    });
    await callEntry(host, (id) => entry.initialize(id, initArgs));
    const result = await callEntry(host, (id) => entry.execute(id, [request({ id: 'a' }), request({ id: 'b' })]));
    expect(result.ok && result.responses?.map((r) => r.error?.message ?? r.outputs.map((o) => o.name).join(','))).toEqual(['Y,Z', 'no']);
    expect(misuse).toEqual([
      "model 'plus_one': request 'a': this model is not decoupled: send the request's one response before { final: true }",
      "model 'plus_one': request 'a': this model is not decoupled, so it sends one response per request; send { final: true } after it",
    ]);
    // Returning responses and sending some as well is a mistake.
    const both = serve({
      execute: (requests: InferenceRequest[]) => {
        requests[0]!.getResponseSender().send(new InferenceResponse(), { final: true });
        return [new InferenceResponse()];
      },
    });
    expect(failed(await callEntry(both.host, (id) => both.entry.execute(id, [request()]))).message).toMatch(/execute both returned responses and sent some through response senders/);
  });

  it('settles initialize and finalize failures with the error', async () => {
    const { host, entry } = serve({
      initialize: async () => {
        throw new NereidError('NOT_FOUND', 'vocab.txt is missing');
      },
      execute: plusOne,
      finalize: () => {
        throw new Error('close failed');
      },
    });
    expect(failed(await callEntry(host, (id) => entry.initialize(id, initArgs)))).toEqual({
      code: 'NOT_FOUND',
      message: 'vocab.txt is missing',
    });
    expect(failed(await callEntry(host, (id) => entry.finalize(id)))).toEqual({ code: 'INTERNAL', message: 'close failed' });
  });

  it('runs autoCompleteConfig: a static method, a named export, or changed in place', async () => {
    const given: ModelConfig = { name: 'auto', max_batch_size: 0 };
    class Auto {
      static autoCompleteConfig(config: ModelConfig): ModelConfig {
        return { ...config, max_batch_size: 8, input: [{ name: 'X', data_type: 'TYPE_INT32', dims: [-1] }] };
      }
      execute = plusOne;
    }
    const fromStatic = serve({ default: Auto });
    expect(await callEntry(fromStatic.host, (id) => fromStatic.entry.autoCompleteConfig!(id, given))).toEqual({
      ok: true,
      config: { name: 'auto', max_batch_size: 8, input: [{ name: 'X', data_type: 'TYPE_INT32', dims: [-1] }] },
    });

    const inPlace = serve({
      execute: plusOne,
      autoCompleteConfig: async (config: ModelConfig) => {
        config.max_batch_size = 4;
      },
    });
    expect(await callEntry(inPlace.host, (id) => inPlace.entry.autoCompleteConfig!(id, { name: 'auto' }))).toEqual({
      ok: true,
      config: { name: 'auto', max_batch_size: 4 },
    });

    const wrong = serve({ execute: plusOne, autoCompleteConfig: () => 42 });
    expect(failed(await callEntry(wrong.host, (id) => wrong.entry.autoCompleteConfig!(id, { name: 'auto' })))).toEqual({
      code: 'INTERNAL',
      message: "model 'auto': autoCompleteConfig must return the model config (or nothing, after changing it in place); it returned number",
    });
  });

  it('fails the batch on a malformed request descriptor', async () => {
    const { host, entry } = serve({ execute: plusOne });
    const error = failed(
      await callEntry(host, (id) => entry.execute(id, [request({ inputs: [{ name: 'X', datatype: 'INT32', shape: [3], data: new Int32Array(2) }] })])),
    );
    expect(error).toEqual({ code: 'INVALID_ARG', message: "tensor 'X': shape [3] needs 3 elements, data has 2" });
  });

  it('settles a synchronous execute before the entry call has finished its microtasks', async () => {
    const host = new FakeHost();
    const { entry } = serve({ execute: plusOne }, host);
    entry.execute(77, [request()]);
    expect(host.settled.has(77)).toBe(false); // settle always comes from a microtask ...
    await Promise.resolve();
    await Promise.resolve();
    expect(host.settled.get(77)?.ok).toBe(true); // ... which isolated-vm flushes before applySync returns
  });
});
