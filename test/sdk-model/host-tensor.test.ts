import { afterEach, describe, expect, it } from 'vitest';
import { InferenceRequest, InferenceResponse, log, Tensor } from '../../sdk/model/index.ts';
import { hostTensor, pendingHandle } from '../../sdk/model/host-tensor.ts';
import type { RequestDescriptor } from '../../sdk/model/isolate-protocol.ts';
import { callEntry, FakeHost, serve } from './fake-host.ts';

const global = globalThis as Record<string, unknown>;
afterEach(() => {
  delete global.__nereidHost;
  delete global.__nereidModel;
});

function requestWithHandle(handle: number, shape = [4]): RequestDescriptor {
  return {
    id: 'h',
    inputs: [{ name: 'X', datatype: 'FP32', shape, handle }],
    requestedOutputs: [],
    parameters: {},
    correlationId: 0,
    flags: 0,
  };
}

describe('host tensors', () => {
  it('forwards an unread handle tensor to BLS and into the response without fetching it', async () => {
    const host = new FakeHost();
    const handle = host.hold(new Float32Array([1, 2, 3, 4]));
    host.answer = (request) => ({
      model: request.model,
      version: '1',
      // The host answers with another host-side tensor.
      outputs: [{ name: 'OUT', datatype: 'FP32', shape: [2, 2], handle: host.hold(new Float32Array(4)) }],
    });
    const { entry } = serve(
      {
        async execute(requests: InferenceRequest[]) {
          const input = requests[0]!.requireInput('X');
          expect(input).toBeInstanceOf(Tensor);
          expect([input.name, input.datatype, input.shape, input.elementCount, input.byteLength]).toEqual(['X', 'FP32', [4], 4, 16]);
          log.info('got', input); // printing a tensor does not read it
          const response = await new InferenceRequest({ model: 'next', inputs: [input, input.rename('X2').reshape([2, 2])] }).exec();
          return [new InferenceResponse({ outputs: [response.requireOutput('OUT').rename('Y'), input] })];
        },
      },
      host,
    );
    const result = await callEntry(host, (id) => entry.execute(id, [requestWithHandle(handle)]));
    expect(host.taken).toEqual([]);
    expect(host.inferCalls[0]!.request.inputs).toEqual([
      { name: 'X', datatype: 'FP32', shape: [4], handle },
      { name: 'X2', datatype: 'FP32', shape: [2, 2], handle },
    ]);
    expect(result).toEqual({
      ok: true,
      responses: [
        {
          outputs: [
            { name: 'Y', datatype: 'FP32', shape: [2, 2], handle: handle + 1 },
            { name: 'X', datatype: 'FP32', shape: [4], handle },
          ],
        },
      ],
    });
    expect(host.logs).toEqual([['info', 'got Tensor(X, FP32, [4])']]);
  });

  it('fetches the payload once, on the first read of .data, and sends it inline from then on', async () => {
    const host = new FakeHost();
    const handle = host.hold(new Float32Array([1, 2, 3, 4]));
    const { entry } = serve(
      {
        execute(requests: InferenceRequest[]) {
          const input = requests[0]!.requireInput('X');
          const renamed = input.rename('R');
          expect(host.taken).toEqual([]);
          const first = input.data as Float32Array;
          expect(host.taken).toEqual([handle]);
          expect(input.data).toBe(first);
          expect(renamed.data).toBe(first); // the renamed tensor shares the payload
          expect(Object.getOwnPropertyDescriptor(input, 'data')).toMatchObject({ value: first });
          expect(pendingHandle(input)).toBeUndefined();
          return [new InferenceResponse({ outputs: [input.rename('Y'), renamed] })];
        },
      },
      host,
    );
    const result = await callEntry(host, (id) => entry.execute(id, [requestWithHandle(handle)]));
    expect(host.taken).toEqual([handle]);
    expect(result).toEqual({
      ok: true,
      responses: [
        {
          outputs: [
            { name: 'Y', datatype: 'FP32', shape: [4], data: new Float32Array([1, 2, 3, 4]) },
            { name: 'R', datatype: 'FP32', shape: [4], data: new Float32Array([1, 2, 3, 4]) },
          ],
        },
      ],
    });
  });

  it('reads raw wire bytes from the host as the tensor datatype, and checks them against the shape', () => {
    const bytes = new Uint8Array(new Float32Array([1.5, -2]).buffer);
    const t = hostTensor('X', 'FP32', [2], 5, () => bytes);
    expect(Array.from(t.data as Float32Array)).toEqual([1.5, -2]);
    expect(t.data).toBeInstanceOf(Float32Array);

    const strings = hostTensor('S', 'BYTES', [2], 6, () => Tensor.fromStrings('S', [2], ['a', 'bc']).toBytes());
    expect(strings.strings()).toEqual(['a', 'bc']);

    const short = hostTensor('X', 'FP32', [3], 7, () => new Float32Array(2));
    expect(() => short.data).toThrow("tensor 'X': shape [3] needs 3 elements, data has 2");

    const gone = hostTensor('G', 'INT8', [1], 8, () => {
      throw new Error('handle 8 was released');
    });
    expect(() => gone.data).toThrow("tensor 'G': could not fetch its data from the server: handle 8 was released");
  });

  it('says why a read fails after the tensor was passed on unread (the host may spend a handle on first use)', async () => {
    const host = new FakeHost();
    const handle = host.hold(new Float32Array(4));
    host.answer = (request) => {
      host.payloads.delete(request.inputs[0]!.handle!); // the server took the payload with the request
      return { model: request.model, version: '1', outputs: [] };
    };
    const { entry } = serve(
      {
        async execute(requests: InferenceRequest[]) {
          const input = requests[0]!.requireInput('X');
          await new InferenceRequest({ model: 'next', inputs: [input] }).exec();
          return [new InferenceResponse({ parameters: { first: (input.data as Float32Array)[0]! } })];
        },
      },
      host,
    );
    const result = await callEntry(host, (id) => entry.execute(id, [requestWithHandle(handle)]));
    expect(result).toMatchObject({
      ok: false,
      error: {
        code: 'INTERNAL',
        message: expect.stringMatching(/^tensor 'X': could not fetch its data from the server \(it was passed on to a BLS call or a response before being read.*: no host tensor 1\d+$/),
      },
    });
  });

  it('checks reshape without fetching, and keeps Tensor behaviour', () => {
    let reads = 0;
    const t = hostTensor('X', 'INT32', [2, 3], 9, () => {
      reads++;
      return new Int32Array([1, 2, 3, 4, 5, 6]);
    });
    expect(() => t.reshape([4])).toThrow("tensor 'X': cannot reshape [2,3] to [4]");
    const flat = t.reshape([6]);
    expect(pendingHandle(flat)).toBe(9);
    expect(flat.shape).toEqual([6]);
    expect(reads).toBe(0);
    expect(Array.from(flat.toBytes().subarray(0, 4))).toEqual([1, 0, 0, 0]);
    expect(reads).toBe(1);
    // After the read, derived tensors are ordinary tensors over the same data.
    const again = t.rename('Z');
    expect(pendingHandle(again)).toBeUndefined();
    expect(again.data).toBe(flat.data);
    expect(() => hostTensor('X', 'NOPE' as never, [1], 1, () => [])).toThrow("unknown datatype 'NOPE'");
  });
});
