import { describe, expect, it } from 'vitest';
import { DATATYPE_NAMES } from '../../sdk/datatypes.ts';
import { decodeInferRequest, encodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { concatChunks } from '../../sdk/codec/http-message.ts';
import { RequestHeaderCache } from '../../sdk/codec/request-header-cache.ts';
import type { InferRequest } from '../../sdk/inference.ts';
import { expectError, plainData, sampleTensor } from './support/sample-tensors.ts';

const utf8 = new TextEncoder();

function body(header: unknown, ...blobs: Uint8Array[]): { body: Uint8Array; headerLength: number | undefined } {
  const json = utf8.encode(typeof header === 'string' ? header : JSON.stringify(header));
  return { body: concatChunks([json, ...blobs]), headerLength: blobs.length ? json.byteLength : undefined };
}

function decode(message: { body: Uint8Array; headerLength: number | undefined }, headerCache?: RequestHeaderCache, version?: string): InferRequest {
  return decodeInferRequest(message.body, { model: 'm', version, headerLength: message.headerLength, headerCache });
}

/** Everything a decode says, in plain data (tensor data included). */
function plain(request: InferRequest): unknown {
  return { ...request, inputs: request.inputs.map((t) => [t.name, t.datatype, t.shape, plainData(t)]) };
}

const twoInputs = {
  id: 'r1',
  parameters: { binary_data_output: true, sequence_id: 7 },
  inputs: [
    { name: 'A', datatype: 'INT32', shape: [1, 2], parameters: { binary_data_size: 8 } },
    { name: 'B', datatype: 'FP32', shape: [1], parameters: { binary_data_size: 4 } },
  ],
  outputs: [{ name: 'Y', parameters: { binary_data: true } }, { name: 'Z' }],
};

describe('RequestHeaderCache', () => {
  it('decodes a remembered header exactly as a fresh decode, over each new body', () => {
    const cache = new RequestHeaderCache();
    const first = body(twoInputs, new Uint8Array(new Int32Array([1, 2]).buffer), new Uint8Array(new Float32Array([0.5]).buffer));
    const second = body(twoInputs, new Uint8Array(new Int32Array([3, 4]).buffer), new Uint8Array(new Float32Array([1.5]).buffer));
    expect(plain(decode(first, cache))).toEqual(plain(decode(first)));
    expect(cache.size).toBe(1);
    const replayed = decode(second, cache, '2');
    expect(plain(replayed)).toEqual(plain(decode(second, undefined, '2')));
    expect(plainData(replayed.inputs[0]!)).toEqual([3, 4]);
    // Inputs view the new body where a fresh decode's would.
    const fresh = decode(second);
    const viewsBody = (request: InferRequest) => request.inputs.map((t) => (t.data as Int32Array).buffer === second.body.buffer);
    expect(viewsBody(replayed)).toEqual(viewsBody(fresh));
  });

  it('gives every request objects of its own', () => {
    const cache = new RequestHeaderCache();
    const message = body(twoInputs, new Uint8Array(12));
    const a = decode(message, cache);
    const b = decode(message, cache);
    const c = decode(message, cache);
    expect(b.parameters).not.toBe(c.parameters);
    expect(b.outputs).not.toBe(c.outputs);
    expect(b.outputs![0]!.parameters).not.toBe(c.outputs![0]!.parameters);
    a.parameters!.sequence_id = 8;
    b.outputs![0]!.parameters!.binary_data = false;
    expect(decode(message, cache).parameters!.sequence_id).toBe(7);
    expect(decode(message, cache).outputs![0]!.parameters!.binary_data).toBe(true);
  });

  it('round-trips every datatype through a remembered header', () => {
    const cache = new RequestHeaderCache();
    const inputs = DATATYPE_NAMES.map((datatype) => sampleTensor(datatype));
    const message = encodeInferRequest({ model: 'm', inputs }, { binary: true });
    const bytes = concatChunks(message.chunks);
    for (let i = 0; i < 2; i++) {
      const request = decodeInferRequest(bytes, { model: 'm', headerLength: message.headerLength, headerCache: cache });
      request.inputs.forEach((t, j) => expect(plainData(t), t.datatype).toEqual(plainData(inputs[j]!)));
    }
    expect(cache.size).toBe(1);
  });

  it('still reports what depends on the body, with the same messages', () => {
    const header = { inputs: [{ name: 'A', datatype: 'INT32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'B', datatype: 'INT32', shape: [1], parameters: { binary_data_size: 4 } }] };
    const cache = new RequestHeaderCache();
    decode(body(header, new Uint8Array(12)), cache);
    expect(cache.size).toBe(1);
    for (const headerCache of [cache, undefined]) {
      expectError(() => decode(body(header, new Uint8Array(10)), headerCache), 'INVALID_ARG',
        "input 'B' has binary_data_size 4 but only 2 bytes of binary data remain in the request body");
      expectError(() => decode(body(header, new Uint8Array(15)), headerCache), 'INVALID_ARG',
        'request body has 3 unexpected bytes after the JSON header and the binary data of all tensors', 'binary_data_size total 12');
    }
    const strings = { inputs: [{ name: 'S', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 5 } }] };
    decode(body(strings, new Uint8Array([1, 0, 0, 0, 0x61])), cache);
    expect(decode(body(strings, new Uint8Array([1, 0, 0, 0, 0x62])), cache).inputs[0]!.strings()).toEqual(['b']);
    expectError(() => decode(body(strings, new Uint8Array([9, 0, 0, 0, 0x61])), cache), 'INVALID_ARG', "input 'S'", 'declares 9 bytes but only 1 remain');
  });

  it('keeps only headers that decoded, with every input binary', () => {
    const cache = new RequestHeaderCache();
    expect(() => decode(body({ inputs: [{ name: 'X', datatype: 'INT32', shape: [3], parameters: { binary_data_size: 12 } }] }, new Uint8Array(4)), cache)).toThrow();
    decode(body({ inputs: [{ name: 'X', datatype: 'INT32', shape: [2], data: [1, 2] }] }), cache);
    decode(body('{"parameters":{"big":18446744073709551615},"inputs":[]}'), cache);
    expect(cache.size).toBe(0);
    decode(body({ inputs: [] }), cache);
    expect(cache.size).toBe(1);
  });

  it('holds at most its capacity, dropping the oldest header, and no long texts', () => {
    const cache = new RequestHeaderCache(2, 100);
    for (const id of ['a', 'b', 'c']) decode(body({ id, inputs: [] }), cache);
    expect(cache.size).toBe(2);
    expect(cache.get('{"id":"a","inputs":[]}')).toBeUndefined();
    expect(cache.get('{"id":"c","inputs":[]}')?.id).toBe('c');
    decode(body({ id: 'x'.repeat(100), inputs: [] }), cache);
    expect(cache.get(`{"id":"${'x'.repeat(100)}","inputs":[]}`)).toBeUndefined();
  });
});
