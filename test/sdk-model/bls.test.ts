import { afterEach, describe, expect, it } from 'vitest';
import { InferenceRequest, InferenceResponse, isModelReady, loadModel, NereidError, Tensor, unloadModel } from '../../sdk/model/index.ts';
import { inferencesInFlight } from '../../sdk/model/bls.ts';
import type { BlsRequestDescriptor, BlsResultDescriptor } from '../../sdk/model/isolate-protocol.ts';
import { callEntry, FakeHost, serve } from './fake-host.ts';

const global = globalThis as Record<string, unknown>;
afterEach(() => {
  delete global.__nereidHost;
  delete global.__nereidModel;
});

/** The fake server's `add_one` model: Y = X + 1 (INT32). */
function addOne(request: BlsRequestDescriptor): BlsResultDescriptor {
  if (request.model !== 'add_one') {
    return { model: request.model, version: '', outputs: [], error: { code: 'NOT_FOUND', message: `unknown model '${request.model}'` } };
  }
  const x = request.inputs.find((input) => input.name === 'X')!;
  const y = (x.data as Int32Array).map((v) => v + 1);
  return { model: 'add_one', version: '1', outputs: [{ name: 'Y', datatype: 'INT32', shape: x.shape, data: y }], parameters: { seen: true } };
}

function x(values: number[]): Tensor {
  return new Tensor('X', 'INT32', [values.length], new Int32Array(values));
}

/** Serves a model whose execute runs `body` once per batch and returns one empty response per request. */
function serveBody(body: () => Promise<void>, host = new FakeHost()) {
  return serve(
    {
      async execute(requests: InferenceRequest[]) {
        await body();
        return requests.map(() => new InferenceResponse());
      },
    },
    host,
  );
}

const oneRequest = [{ id: '', inputs: [], requestedOutputs: [], parameters: {}, correlationId: 0, flags: 0 }];

describe('BLS: InferenceRequest.exec()', () => {
  it('sends the request through host.infer and resolves with the response the host resumes with', async () => {
    let response: InferenceResponse | undefined;
    const host = new FakeHost();
    host.answer = addOne;
    const { entry } = serveBody(async () => {
      response = await new InferenceRequest({
        model: 'add_one',
        version: 1,
        inputs: [x([1, 2, 3])],
        requestedOutputs: ['Y'],
        parameters: { priority: 2 },
        timeoutMs: 250,
      }).exec();
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(host.inferCalls).toEqual([
      {
        callId: expect.any(Number),
        request: {
          model: 'add_one',
          version: '1',
          inputs: [{ name: 'X', datatype: 'INT32', shape: [3], data: new Int32Array([1, 2, 3]) }],
          requestedOutputs: ['Y'],
          parameters: { priority: 2 },
          timeoutMs: 250,
        },
      },
    ]);
    expect(response).toBeInstanceOf(InferenceResponse);
    expect(response!.hasError()).toBe(false);
    expect(Array.from(response!.requireOutput('Y').data as Int32Array)).toEqual([2, 3, 4]);
    expect(response!.parameters).toEqual({ seen: true });
    expect(inferencesInFlight()).toBe(0);
  });

  it('resolves (does not reject) with the error of a failed call', async () => {
    let response: InferenceResponse | undefined;
    const host = new FakeHost();
    host.answer = addOne;
    const { entry } = serveBody(async () => {
      response = await new InferenceRequest({ model: 'missing', inputs: [] }).exec();
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(response!.hasError()).toBe(true);
    expect(response!.error).toBeInstanceOf(NereidError);
    expect(response!.error!.toData()).toEqual({ code: 'NOT_FOUND', message: "unknown model 'missing'" });
    expect(response!.outputs).toEqual([]);
    expect(() => response!.requireOutput('Y')).toThrow("unknown model 'missing'");
  });

  it('resolves with an error when the host refuses the call, or its result cannot be read', async () => {
    const responses: InferenceResponse[] = [];
    const host = new FakeHost();
    host.answer = (request) => ({
      model: request.model,
      version: '1',
      outputs: [{ name: 'Y', datatype: 'INT32', shape: [2], data: new Int32Array(3) }],
    });
    const { entry } = serveBody(async () => {
      responses.push(await new InferenceRequest({ model: 'broken', inputs: [] }).exec());
      const infer = host.infer;
      host.infer = () => {
        throw new NereidError('UNAVAILABLE', 'server is shutting down');
      };
      responses.push(await new InferenceRequest({ model: 'any', inputs: [] }).exec());
      host.infer = infer;
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(responses.map((r) => r.error?.toData())).toEqual([
      { code: 'INTERNAL', message: "model 'broken': unreadable BLS response: tensor 'Y': shape [2] needs 2 elements, data has 3" },
      { code: 'UNAVAILABLE', message: 'server is shutting down' },
    ]);
    expect(inferencesInFlight()).toBe(0);
  });

  it('keeps several calls in flight (Promise.all), answered in any order', async () => {
    const host = new FakeHost();
    // Answers arrive in reverse order of the calls.
    const answered: number[] = [];
    host.answer = (request) => {
      const i = (request.inputs[0]!.data as Int32Array)[0]! / 10;
      return new Promise((resolve) =>
        setTimeout(() => {
          answered.push(i);
          resolve(addOne(request));
        }, 40 - i * 5),
      );
    };
    let results: number[] = [];
    const { entry } = serveBody(async () => {
      const calls = Array.from({ length: 8 }, (_, i) => new InferenceRequest({ model: 'add_one', inputs: [x([i * 10])] }).exec());
      expect(inferencesInFlight()).toBe(8);
      const responses = await Promise.all(calls);
      results = responses.map((r) => (r.requireOutput('Y').data as Int32Array)[0]!);
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(answered).toEqual([7, 6, 5, 4, 3, 2, 1, 0]);
    expect(results).toEqual([1, 11, 21, 31, 41, 51, 61, 71]);
    expect(new Set(host.inferCalls.map((c) => c.callId)).size).toBe(8);
  });

  it('runs a 64-step loop, each step feeding the previous output back in', async () => {
    const host = new FakeHost();
    host.answer = addOne;
    let final: number[] = [];
    const { entry } = serveBody(async () => {
      let value = x([0, 100]);
      for (let step = 0; step < 64; step++) {
        const response = await new InferenceRequest({ model: 'add_one', inputs: [value] }).exec();
        value = response.requireOutput('Y').rename('X');
      }
      final = Array.from(value.data as Int32Array);
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(final).toEqual([64, 164]);
    expect(host.inferCalls).toHaveLength(64);
  });

  it('copes with a host that resumes inside infer() itself', async () => {
    const host = new FakeHost();
    host.answer = addOne;
    host.answerSynchronously = true;
    let total = 0;
    const { entry } = serveBody(async () => {
      for (let i = 0; i < 3; i++) {
        const response = await new InferenceRequest({ model: 'add_one', inputs: [x([i])] }).exec();
        total += (response.requireOutput('Y').data as Int32Array)[0]!;
      }
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(total).toBe(1 + 2 + 3);
  });

  it('refuses to exec a request that execute received', async () => {
    let response: InferenceResponse | undefined;
    const { host, entry } = serve({
      async execute(requests: InferenceRequest[]) {
        response = await requests[0]!.exec();
        return requests.map(() => new InferenceResponse());
      },
    });
    await callEntry(host, (id) => entry.execute(id, [{ ...oneRequest[0]!, id: 'r7' }]));
    expect(response!.error?.code).toBe('UNSUPPORTED');
    expect(response!.error?.message).toMatch(/request 'r7': a request received by execute cannot be sent with exec\(\)/);
    expect(host.inferCalls).toEqual([]);
  });

  it('throws for a resume with no call waiting (a host bug)', () => {
    const { entry } = serve({ execute: () => [] });
    expect(() => entry.resume(999_999, { model: 'm', version: '1', outputs: [] })).toThrow(
      'nereid: resume(999999): no BLS call with that id is waiting',
    );
  });
});

describe('isModelReady', () => {
  it('asks the host, with the version as a decimal string or empty', () => {
    const { host } = serve({ execute: () => [] });
    host.ready.add('tokenizer');
    expect(isModelReady('tokenizer')).toBe(true);
    expect(isModelReady('other', 3)).toBe(false);
    expect(host.readyQueries).toEqual([
      ['tokenizer', ''],
      ['other', '3'],
    ]);
    expect(() => isModelReady('')).toThrow(/non-empty string/);
  });
});

describe('loadModel / unloadModel', () => {
  it('ask the host, with the config as JSON text and Triton-style file keys stripped, and resolve when it answers', async () => {
    const host = new FakeHost();
    const onnx = new Uint8Array([1, 2, 3]);
    const { entry } = serveBody(async () => {
      await loadModel('scorer', { config: { name: 'scorer', max_batch_size: 8 }, files: { 'file:1/model.onnx': onnx, '2/model.onnx': onnx } });
      await loadModel('plain');
      await unloadModel('scorer', { unloadDependents: true });
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(host.modelChanges).toEqual([
      { action: 'load', model: 'scorer', config: '{"name":"scorer","max_batch_size":8}', files: { '1/model.onnx': onnx, '2/model.onnx': onnx } },
      { action: 'load', model: 'plain', config: '', files: undefined },
      { action: 'unload', model: 'scorer', unloadDependents: true },
    ]);
  });

  it('reject with the server\'s error, its code kept; refuse bad arguments before asking', async () => {
    const host = new FakeHost();
    host.modelChangeError = { code: 'UNAVAILABLE', message: "explicit model load is not allowed in model control mode 'none'" };
    const errors: unknown[] = [];
    const { entry } = serveBody(async () => {
      for (const attempt of [
        () => loadModel('scorer'),
        () => unloadModel('scorer'),
        () => loadModel(''),
        () => loadModel('scorer', { config: '{}', files: { '1/model.onnx': 'text' as never } }),
      ]) {
        await attempt().catch((error: unknown) => errors.push(error));
      }
    }, host);
    expect((await callEntry(host, (id) => entry.execute(id, oneRequest))).ok).toBe(true);
    expect(errors.map((error) => (error as NereidError).toData())).toEqual([
      { code: 'UNAVAILABLE', message: "explicit model load is not allowed in model control mode 'none'" },
      { code: 'UNAVAILABLE', message: "explicit model load is not allowed in model control mode 'none'" },
      { code: 'INVALID_ARG', message: 'loadModel: the model name must be a non-empty string' },
      { code: 'INVALID_ARG', message: "loadModel('scorer'): override file '1/model.onnx' must be a Uint8Array" },
    ]);
    expect(host.modelChanges.map((change) => change.action)).toEqual(['load', 'unload']);
  });
});
