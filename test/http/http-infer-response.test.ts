import { describe, expect, it } from 'vitest';
import { DATATYPE_NAMES, DATATYPES } from '../../sdk/datatypes.ts';
import { decodeInferResponse, encodeInferResponse, wantsBinaryOutput } from '../../sdk/codec/http-infer-response.ts';
import { concatChunks } from '../../sdk/codec/http-message.ts';
import type { InferResponse } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { expectError, plainData, sampleTensor } from './support/sample-tensors.ts';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

function response(outputs: Tensor[], extra: Partial<InferResponse> = {}): InferResponse {
  return { model: 'm', version: '1', outputs, ...extra };
}

describe('wantsBinaryOutput (Triton HTTP frontend rules)', () => {
  it('uses binary_data for listed outputs and binary_data_output for the rest', () => {
    expect(wantsBinaryOutput('A', undefined)).toBe(false);
    expect(wantsBinaryOutput('A', {})).toBe(false);
    expect(wantsBinaryOutput('A', { parameters: { binary_data_output: true } })).toBe(true);
    expect(wantsBinaryOutput('A', { outputs: [{ name: 'A', parameters: { binary_data: true } }] })).toBe(true);
    // A listed output without binary_data is JSON even when the request default is binary, as in Triton.
    expect(wantsBinaryOutput('A', { parameters: { binary_data_output: true }, outputs: [{ name: 'A' }] })).toBe(false);
    expect(wantsBinaryOutput('A', { parameters: { binary_data_output: false }, outputs: [{ name: 'A', parameters: { binary_data: true } }] })).toBe(true);
    // An output the server returns without it being listed falls back to the request default.
    expect(wantsBinaryOutput('B', { parameters: { binary_data_output: true }, outputs: [{ name: 'A' }] })).toBe(true);
  });
});

describe('encodeInferResponse', () => {
  it('writes Triton-shaped JSON when nothing asks for binary', () => {
    const message = encodeInferResponse(
      response([sampleTensor('INT32', 'OUT'), sampleTensor('UINT64', 'BIG')], { id: 'r1', version: '3', parameters: { n: 2n ** 64n - 1n, s: 'x' } }),
    );
    expect(message.contentType).toBe('application/json');
    expect(message.headerLength).toBeUndefined();
    expect(message.chunks).toHaveLength(1);
    expect(text(message.chunks[0])).toBe(
      '{"id":"r1","model_name":"m","model_version":"3","parameters":{"n":18446744073709551615,"s":"x"},"outputs":[' +
        '{"name":"OUT","datatype":"INT32","shape":[2,2],"data":[-2147483648,2147483647,0,-1]},' +
        '{"name":"BIG","datatype":"UINT64","shape":[3],"data":[0,9007199254740993,18446744073709551615]}]}',
    );
  });

  it('writes binary outputs as views after the JSON header, with binary_data_size and no data', () => {
    const a = sampleTensor('FP32', 'A');
    const b = sampleTensor('BOOL', 'B');
    const message = encodeInferResponse(response([a, b]), { outputs: [{ name: 'A', parameters: { binary_data: true } }, { name: 'B' }] });
    expect(message.contentType).toBe('application/octet-stream');
    expect(message.headerLength).toBe(message.chunks[0].byteLength);
    expect(message.chunks).toHaveLength(2);
    expect(message.chunks[1].buffer).toBe((a.data as Float32Array).buffer); // no copy
    expect(message.byteLength).toBe(message.chunks[0].byteLength + 16);
    expect(text(message.chunks[0])).toBe(
      '{"model_name":"m","model_version":"1","outputs":[' +
        '{"name":"A","datatype":"FP32","shape":[4],"parameters":{"binary_data_size":16}},' +
        '{"name":"B","datatype":"BOOL","shape":[3],"data":[true,false,true]}]}',
    );
  });

  it('reports zero-size binary outputs with binary_data_size 0 and no bytes', () => {
    const empty = new Tensor('E', 'INT64', [0], new BigInt64Array(0));
    const message = encodeInferResponse(response([empty]), { parameters: { binary_data_output: true } });
    expect(message.contentType).toBe('application/octet-stream');
    expect(message.chunks).toHaveLength(1);
    expect(text(message.chunks[0])).toContain('"parameters":{"binary_data_size":0}');
    expect(decodeInferResponse(concatChunks(message.chunks), message.headerLength).outputs[0].elementCount).toBe(0);
  });

  it('refuses FP16/BF16 outputs as JSON, as Triton does, and sends them as binary when asked', () => {
    for (const datatype of ['FP16', 'BF16'] as const) {
      expectError(() => encodeInferResponse(response([sampleTensor(datatype, 'H')])), 'INVALID_ARG',
        `sending ${datatype} data via JSON is not supported. Please use the binary data format for output 'H'`);
      const message = encodeInferResponse(response([sampleTensor(datatype, 'H')]), { outputs: [{ name: 'H', parameters: { binary_data: true } }] });
      expect(plainData(decodeInferResponse(concatChunks(message.chunks), message.headerLength).outputs[0])).toEqual(plainData(sampleTensor(datatype)));
    }
  });
});

describe('encodeInferResponse -> decodeInferResponse', () => {
  for (const binary of [true, false]) {
    it(`round-trips every datatype (${binary ? 'binary' : 'JSON'})`, () => {
      const outputs = DATATYPE_NAMES.filter((d) => binary || DATATYPES[d].json !== 'none').map((d) => sampleTensor(d));
      const message = encodeInferResponse(response(outputs, { id: 'x', parameters: { flag: true, big: -(2n ** 63n) } }), {
        parameters: { binary_data_output: binary },
      });
      const back = decodeInferResponse(concatChunks(message.chunks, message.byteLength), message.headerLength);
      expect(back).toMatchObject({ model: 'm', version: '1', id: 'x', parameters: { flag: true, big: -(2n ** 63n) } });
      expect(back.outputs.map((t) => [t.name, t.datatype, t.shape])).toEqual(outputs.map((t) => [t.name, t.datatype, t.shape]));
      back.outputs.forEach((t, i) => expect(plainData(t), t.datatype).toEqual(plainData(outputs[i])));
    });
  }

  it('keeps BYTES that are not UTF-8 intact in binary', () => {
    const raw = new Tensor('RAW', 'BYTES', [2], [new Uint8Array([0x80, 0xff]), new Uint8Array([0xed, 0xa0, 0x80])]);
    const message = encodeInferResponse(response([raw]), { parameters: { binary_data_output: true } });
    expect(plainData(decodeInferResponse(concatChunks(message.chunks), message.headerLength).outputs[0])).toEqual([[0x80, 0xff], [0xed, 0xa0, 0x80]]);
  });
});

describe('decodeInferResponse errors', () => {
  const utf8 = new TextEncoder();
  it('checks the response shape and framing', () => {
    expectError(() => decodeInferResponse(utf8.encode('{"model_version":"1","outputs":[]}')), 'INVALID_ARG', "response 'model_name' must be a string");
    expectError(() => decodeInferResponse(utf8.encode('{"model_name":"m","model_version":1,"outputs":[]}')), 'INVALID_ARG', "'model_version' must be a string");
    expectError(() => decodeInferResponse(utf8.encode('{"model_name":"m","model_version":"1"}')), 'INVALID_ARG', "must have an 'outputs' array");
    expectError(() => decodeInferResponse(utf8.encode('{"model_name":"m",')), 'INVALID_ARG', 'failed to parse the response JSON', 'at position 18');
    const header = utf8.encode('{"model_name":"m","model_version":"1","outputs":[{"name":"O","datatype":"INT8","shape":[2],"parameters":{"binary_data_size":2}}]}');
    expectError(() => decodeInferResponse(concatChunks([header, new Uint8Array(3)]), header.byteLength), 'INVALID_ARG',
      'response body has 1 unexpected bytes');
    expectError(() => decodeInferResponse(utf8.encode('{"model_name":"m","model_version":"1","outputs":[{"name":"O","datatype":"FP16","shape":[1],"data":[1]}]}')),
      'INVALID_ARG', "output 'O': receiving FP16 data via JSON is not supported");
  });

  it('reads 64-bit JSON outputs exactly', () => {
    const body = utf8.encode('{"model_name":"m","model_version":"1","outputs":[{"name":"O","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}]}');
    expect(Array.from(decodeInferResponse(body).outputs[0].data as BigUint64Array)).toEqual([2n ** 64n - 1n]);
  });
});
