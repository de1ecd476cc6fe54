/**
 * The author API on its own, with no host bridge bound (as when a model's
 * author unit-tests execute() directly in Node). This file never serves a
 * model: the bound host is module state, and vitest gives each file its own.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  answerEach,
  ConfigParameters,
  InferenceRequest,
  InferenceResponse,
  isModelReady,
  loadModel,
  log,
  NereidError,
  RequestFlags,
  Tensor,
} from '../../sdk/model/index.ts';

const x = new Tensor('X', 'FP32', [2], new Float32Array([1, 2]));

describe('InferenceRequest', () => {
  it('keeps what it was built with, frozen', () => {
    const request = new InferenceRequest({ model: 'm', version: '3', inputs: [x], requestedOutputs: ['Y'], parameters: { a: 1, b: 'two', c: false }, timeoutMs: 10 });
    expect([request.model, request.version, request.id, request.correlationId, request.flags, request.timeoutMs]).toEqual(['m', '3', '', 0, 0, 10]);
    expect(request.inputs).toEqual([x]);
    expect(request.input('X')).toBe(x);
    expect(request.requestedOutputNames).toEqual(['Y']);
    expect(request.parameters).toEqual({ a: 1, b: 'two', c: false });
    expect(Object.isFrozen(request.inputs) && Object.isFrozen(request.parameters)).toBe(true);
    expect(new InferenceRequest({ model: 'm', inputs: [] }).version).toBe('');
    expect(() => request.requireInput('Z')).toThrow("request for model 'm' has no input 'Z' (its inputs: X)");
    expect(RequestFlags).toEqual({ SEQUENCE_START: 1, SEQUENCE_END: 2 });
    // Untraced unless given a trace; a built request carries the trace it was given on to its call.
    expect(request.trace()).toEqual({ id: 0 });
    expect(new InferenceRequest({ model: 'm', inputs: [], trace: { id: 12 } }).trace()).toEqual({ id: 12 });
  });

  it('refuses malformed requests where they are built, with INVALID_ARG', () => {
    const cases: [unknown, string][] = [
      [{ inputs: [] }, 'InferenceRequest: model must be the name of the model to call'],
      [{ model: 'm', inputs: x }, "request for model 'm': inputs must be an array of Tensor"],
      [{ model: 'm', inputs: [{ name: 'X' }] }, "request for model 'm': input 0 is not a Tensor"],
      [{ model: 'm', inputs: [x, x] }, "request for model 'm': input 'X' appears more than once"],
      [{ model: 'm', inputs: [], version: 'v2' }, "request for model 'm': version must be a non-negative integer or its decimal string, got v2"],
      [{ model: 'm', inputs: [], requestedOutputs: 'Y' }, "request for model 'm': requestedOutputs must be an array of output names"],
      [{ model: 'm', inputs: [], parameters: { n: 10n } }, "request for model 'm': parameter 'n' must be a boolean, a finite number or a string, got bigint"],
      [{ model: 'm', inputs: [], parameters: { n: Number.NaN } }, "parameter 'n' must be a boolean, a finite number or a string, got NaN"],
      [{ model: 'm', inputs: [], timeoutMs: -1 }, "request for model 'm': timeoutMs must be a non-negative number of milliseconds"],
      [{ model: 'm', inputs: [], trace: 'abc' }, 'InferenceRequest: trace must be the value of request.trace()'],
      [{ model: 'm', inputs: [], requestId: 7 }, "request for model 'm': requestId must be a string"],
      [{ model: 'm', inputs: [], correlationId: -1 }, "request for model 'm': correlationId must be a non-negative integer or a string, got -1"],
      [{ model: 'm', inputs: [], correlationId: 1, flags: 4 }, "request for model 'm': flags must combine RequestFlags.SEQUENCE_START (1) and SEQUENCE_END (2), got 4"],
      [{ model: 'm', inputs: [], flags: 1 }, "request for model 'm': flags mark a sequence's start or end, so they need a correlationId"],
    ];
    for (const [init, message] of cases) {
      let error: unknown;
      try {
        new InferenceRequest(init as never);
      } catch (caught) {
        error = caught;
      }
      expect(error).toBeInstanceOf(NereidError);
      expect((error as NereidError).code).toBe('INVALID_ARG');
      expect((error as NereidError).message).toContain(message);
    }
  });

  it('resolves exec() with UNAVAILABLE outside a served model, without rejecting', async () => {
    const response = await new InferenceRequest({ model: 'm', inputs: [x] }).exec();
    expect(response.error?.toData()).toEqual({
      code: 'UNAVAILABLE',
      message: "request for model 'm': BLS works only inside a model served by nereid",
    });
  });
});

describe('InferenceResponse', () => {
  it('holds outputs or an error', () => {
    const ok = new InferenceResponse({ outputs: [x], parameters: { n: 1 } });
    expect([ok.hasError(), ok.output('X'), ok.output('Y'), ok.requireOutput('X')]).toEqual([false, x, undefined, x]);
    expect(() => ok.requireOutput('Y')).toThrow("the response has no output 'Y' (its outputs: X)");
    expect(new InferenceResponse().outputs).toEqual([]);

    const coded = new InferenceResponse({ error: NereidError.unsupported('no') });
    expect([coded.hasError(), coded.error?.code]).toEqual([true, 'UNSUPPORTED']);
    const plain = new InferenceResponse({ error: new Error('oops') });
    expect(plain.error).toBeInstanceOf(NereidError);
    expect(plain.error?.toData()).toEqual({ code: 'INTERNAL', message: 'oops' });
    expect(() => plain.requireOutput('X')).toThrow('oops');
  });

  it('refuses malformed responses where they are built', () => {
    expect(() => new InferenceResponse({ outputs: [x, x] })).toThrow("InferenceResponse: output 'X' appears more than once");
    expect(() => new InferenceResponse({ outputs: [new Float32Array(1)] as never })).toThrow('InferenceResponse: output 0 is not a Tensor');
    expect(() => new InferenceResponse({ error: 'bad' as never })).toThrow('InferenceResponse: error must be a NereidError');
    expect(() => new InferenceResponse({ parameters: [] as never })).toThrow('InferenceResponse: parameters must be an object');
  });
});

describe('outside a served model', () => {
  it('log writes to the global console; isModelReady throws UNAVAILABLE', () => {
    const info = vi.spyOn(console, 'info').mockImplementation(() => {});
    const debug = vi.spyOn(console, 'debug').mockImplementation(() => {});
    log.info('hello', { n: 1 });
    log.verbose('details');
    expect(info).toHaveBeenCalledWith('hello {"n":1}');
    expect(debug).toHaveBeenCalledWith('details');
    info.mockRestore();
    debug.mockRestore();
    expect(() => isModelReady('m')).toThrow('nereid/model: isModelReady() works only inside a model served by nereid');
  });

  it('loadModel rejects with UNAVAILABLE', async () => {
    await expect(loadModel('m')).rejects.toThrow("loadModel('m') works only inside a model served by nereid");
  });
});

describe('answerEach', () => {
  const requests = [1, 2, 3].map((n) => new InferenceRequest({ model: 'm', inputs: [new Tensor('X', 'FP32', [1], Float32Array.of(n))] }));

  it("answers each request on its own: a NereidError fails only its request, named after the model, keeping its code", async () => {
    const responses = await answerEach(requests, 'reader', async (request) => {
      const n = (request.requireInput('X').data as Float32Array)[0]!;
      if (n === 2) throw NereidError.invalidArg(`input 'X' must not be 2`);
      return new InferenceResponse({ outputs: [new Tensor('Y', 'FP32', [1], Float32Array.of(n * 10))] });
    });
    expect(responses.map((r) => (r.error ? `${r.error.code}: ${r.error.message}` : (r.outputs[0]!.data as Float32Array)[0]))).toEqual([
      10,
      "INVALID_ARG: model 'reader': input 'X' must not be 2",
      30,
    ]);
  });

  it('rethrows anything else, failing the batch with its stack (a bug, not a bad request)', async () => {
    await expect(answerEach(requests, 'reader', () => { throw new TypeError('oops'); })).rejects.toThrow(TypeError);
  });
});

describe('ConfigParameters', () => {
  const config = {
    name: 'reader',
    parameters: {
      k: { string_value: ' 5 ' },
      ratio: { string_value: '0.25' },
      on: { string_value: 'true' },
      mode: { string_value: 'fast' },
      blank: { string_value: '  ' },
      bad: { string_value: '2.5' },
    },
  };
  const parameters = new ConfigParameters(config);

  it('reads typed values, with the fallback for an absent or blank parameter', () => {
    expect(parameters.integer('k', 1, { min: 1, max: 10 })).toBe(5);
    expect(parameters.number('ratio', 1, { min: 0, max: 1 })).toBe(0.25);
    expect(parameters.flag('on', false)).toBe(true);
    expect(parameters.choice('mode', 'slow', ['slow', 'fast'])).toBe('fast');
    expect(parameters.text('blank', 'default')).toBe('default');
    expect(parameters.integer('absent', 7, { min: 0, max: 9 })).toBe(7);
    expect(new ConfigParameters({ name: 'bare' }).flag('on', false)).toBe(false);
  });

  it('refuses a bad value with INVALID_ARG naming the model, the parameter and what it must be', () => {
    const refusal = (read: () => unknown) => {
      try {
        read();
      } catch (error) {
        return `${(error as NereidError).code}: ${(error as NereidError).message}`;
      }
      return 'accepted';
    };
    expect(refusal(() => parameters.integer('bad', 1, { min: 1, max: 10 }))).toBe("INVALID_ARG: model 'reader': parameter 'bad' must be an integer from 1 to 10, got '2.5'");
    expect(refusal(() => parameters.number('k', 0, { min: 0, max: 1 }))).toBe("INVALID_ARG: model 'reader': parameter 'k' must be a number from 0 to 1, got '5'");
    expect(refusal(() => parameters.flag('mode', false))).toBe(`INVALID_ARG: model 'reader': parameter 'mode' must be "true" or "false", got 'fast'`);
    expect(refusal(() => parameters.choice('mode', 'a', ['a', 'b']))).toBe("INVALID_ARG: model 'reader': parameter 'mode' must be 'a' or 'b', got 'fast'");
  });
});
