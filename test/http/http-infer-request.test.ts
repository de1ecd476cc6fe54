import { describe, expect, it } from 'vitest';
import { DATATYPE_NAMES } from '../../sdk/datatypes.ts';
import { decodeInferRequest, encodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { concatChunks } from '../../sdk/codec/http-message.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { expectError, plainData, sampleTensor } from './support/sample-tensors.ts';

const utf8 = new TextEncoder();

/** A request body: JSON header (object or raw text) followed by binary blobs; headerLength undefined = JSON only. */
function body(header: unknown, ...blobs: Uint8Array[]): { body: Uint8Array; headerLength: number | undefined } {
  const json = utf8.encode(typeof header === 'string' ? header : JSON.stringify(header));
  return { body: concatChunks([json, ...blobs]), headerLength: blobs.length ? json.byteLength : undefined };
}

function decode(message: { body: Uint8Array; headerLength: number | string | undefined }) {
  return decodeInferRequest(message.body, { model: 'm', headerLength: message.headerLength });
}

const int32Input = (name = 'X') => ({ name, datatype: 'INT32', shape: [2], data: [1, 2] });

describe('encodeInferRequest -> decodeInferRequest', () => {
  for (const binary of [true, false]) {
    it(`round-trips every datatype (${binary ? 'binary' : 'JSON'} data)`, () => {
      const inputs = DATATYPE_NAMES.map((datatype) => sampleTensor(datatype));
      const message = encodeInferRequest({ model: 'm', id: 'req-1', inputs }, { binary });
      // FP16/BF16 have no JSON form, so even a JSON request carries them as binary data.
      expect(message.contentType).toBe('application/octet-stream');
      const request = decodeInferRequest(concatChunks(message.chunks), { model: 'm', version: '3', headerLength: message.headerLength });
      expect(request.model).toBe('m');
      expect(request.version).toBe('3');
      expect(request.id).toBe('req-1');
      expect(request.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual(inputs.map((t) => [t.name, t.datatype, t.shape]));
      request.inputs.forEach((t, i) => expect(plainData(t), t.datatype).toEqual(plainData(inputs[i])));
      expect(request.parameters).toEqual(binary ? { binary_data_output: true } : undefined);
    });
  }

  it('sends a JSON-only body without Inference-Header-Content-Length when nothing is binary', () => {
    const message = encodeInferRequest({ model: 'm', inputs: [sampleTensor('INT32', 'A')], outputs: [{ name: 'B' }] });
    expect(message).toMatchObject({ contentType: 'application/json', headerLength: undefined });
    expect(new TextDecoder().decode(concatChunks(message.chunks))).toBe(
      '{"inputs":[{"name":"A","datatype":"INT32","shape":[2,2],"data":[-2147483648,2147483647,0,-1]}],"outputs":[{"name":"B"}]}',
    );
  });

  it('keeps the output choices in the parameters for the response encoder', () => {
    const message = encodeInferRequest(
      { model: 'm', inputs: [sampleTensor('FP32', 'A')], parameters: { binary_data_output: false, seq: 'x' },
        outputs: [{ name: 'B', parameters: { binary_data: true } }, { name: 'C' }] },
      { binary: true },
    );
    const request = decodeInferRequest(concatChunks(message.chunks), { model: 'm', headerLength: message.headerLength });
    expect(request.parameters).toEqual({ binary_data_output: false, seq: 'x' });
    expect(request.outputs).toEqual([{ name: 'B', parameters: { binary_data: true } }, { name: 'C' }]);
  });

  it('makes numeric binary inputs views into the body when aligned, and copies when not', () => {
    const inputs = [new Tensor('A', 'FP32', [4], new Float32Array([1, 2, 3, 4])), new Tensor('B', 'INT64', [1], new BigInt64Array([-7n]))];
    for (let pad = 0; pad < 8; pad++) {
      const header = JSON.stringify({
        id: 'x'.repeat(pad),
        inputs: inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: t.shape, parameters: { binary_data_size: t.byteLength } })),
      });
      const { body: bytes, headerLength } = body(header, ...inputs.map((t) => t.toBytes()));
      const request = decodeInferRequest(bytes, { model: 'm', headerLength });
      expect(Array.from(request.inputs[0].data as Float32Array)).toEqual([1, 2, 3, 4]);
      expect(Array.from(request.inputs[1].data as BigInt64Array)).toEqual([-7n]);
      const a = request.inputs[0].data as Float32Array;
      const aligned = (bytes.byteOffset + headerLength!) % 4 === 0;
      expect(a.buffer === bytes.buffer, `pad ${pad}`).toBe(aligned);
    }
  });

  it('carries BYTES elements that are not UTF-8 through binary data untouched', () => {
    const raw = new Tensor('RAW', 'BYTES', [3], [new Uint8Array([0xff, 0xfe, 0x00]), new Uint8Array([]), new Uint8Array([0xc3])]);
    const message = encodeInferRequest({ model: 'm', inputs: [raw] }, { binary: true });
    const request = decodeInferRequest(concatChunks(message.chunks), { model: 'm', headerLength: message.headerLength });
    expect(plainData(request.inputs[0])).toEqual([[0xff, 0xfe, 0x00], [], [0xc3]]);
  });

  it('reads INT64/UINT64 JSON data and 64-bit parameters exactly, beyond 2^53', () => {
    const request = decode(body(
      '{"parameters":{"sequence_id":18446744073709551615,"small":3},"inputs":[' +
        '{"name":"U","datatype":"UINT64","shape":[2],"data":[18446744073709551615,9007199254740993]},' +
        '{"name":"I","datatype":"INT64","shape":[1,2],"data":[[-9223372036854775808,9223372036854775807]]}]}',
    ));
    expect(request.parameters).toEqual({ sequence_id: 2n ** 64n - 1n, small: 3 });
    expect(Array.from(request.inputs[0].data as BigUint64Array)).toEqual([2n ** 64n - 1n, 2n ** 53n + 1n]);
    expect(Array.from(request.inputs[1].data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
  });

  it('accepts zero-size binary inputs and empty JSON data', () => {
    const request = decode(body({ inputs: [
      { name: 'E', datatype: 'FP32', shape: [0, 3], parameters: { binary_data_size: 0 } },
      { name: 'J', datatype: 'INT8', shape: [0], data: [] },
      { name: 'S', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 4 } },
    ] }, new Uint8Array([0, 0, 0, 0])));
    expect(request.inputs.map((t) => t.elementCount)).toEqual([0, 0, 1]);
    expect(request.inputs[2].strings()).toEqual(['']);
  });
});

describe('decodeInferRequest errors', () => {
  it('reports malformed JSON with its position', () => {
    expectError(() => decode(body('{"inputs":[{"name":"X",}]}')), 'INVALID_ARG', 'failed to parse the request JSON', 'at position 23');
    expectError(() => decode(body('')), 'INVALID_ARG', 'Unexpected end of JSON input at position 0');
    expectError(() => decode(body('{"inputs":[]} x')), 'INVALID_ARG', 'Unexpected non-whitespace character after JSON at position 14');
    expectError(() => decode(body('[1]')), 'INVALID_ARG', 'the request JSON must be an object');
  });

  it('checks Inference-Header-Content-Length against the body', () => {
    const { body: bytes } = body({ inputs: [] });
    expectError(() => decode({ body: bytes, headerLength: bytes.byteLength + 1 }), 'INVALID_ARG',
      `Inference-Header-Content-Length is ${bytes.byteLength + 1} but the body has only ${bytes.byteLength} bytes`);
    expectError(() => decode({ body: bytes, headerLength: 'abc' }), 'INVALID_ARG', 'Unable to parse Inference-Header-Content-Length, got: "abc"');
    expectError(() => decode({ body: bytes, headerLength: '-1' }), 'INVALID_ARG', 'Unable to parse Inference-Header-Content-Length');
    expectError(() => decode({ body: bytes, headerLength: 0 }), 'UNSUPPORTED', 'raw binary request');
    expect(decode({ body: bytes, headerLength: String(bytes.byteLength) }).inputs).toEqual([]);
  });

  it('finds binary data that is missing, short, or followed by extra bytes', () => {
    const header = { inputs: [{ name: 'A', datatype: 'INT32', shape: [2], parameters: { binary_data_size: 8 } },
      { name: 'B', datatype: 'INT32', shape: [1], parameters: { binary_data_size: 4 } }] };
    const json = utf8.encode(JSON.stringify(header));
    expectError(() => decode({ body: json, headerLength: undefined }), 'INVALID_ARG',
      "input 'A' has binary_data_size 8 but the request has no Inference-Header-Content-Length header");
    expectError(() => decode(body(header, new Uint8Array(10))), 'INVALID_ARG',
      "input 'B' has binary_data_size 4 but only 2 bytes of binary data remain in the request body");
    expectError(() => decode(body(header, new Uint8Array(15))), 'INVALID_ARG',
      'request body has 3 unexpected bytes after the JSON header and the binary data of all tensors', 'binary_data_size total 12');
    expectError(() => decode(body({ inputs: [int32Input()] }, new Uint8Array(1))), 'INVALID_ARG', 'request body has 1 unexpected bytes');
  });

  it("requires exactly one of 'data' and 'binary_data_size'", () => {
    expectError(() => decode(body({ inputs: [{ ...int32Input(), parameters: { binary_data_size: 8 } }] }, new Uint8Array(8))), 'INVALID_ARG',
      "input 'X': must set exactly one of 'data' and 'binary_data_size' in 'parameters', but both are set");
    expectError(() => decode(body({ inputs: [{ name: 'X', datatype: 'INT32', shape: [2] }] })), 'INVALID_ARG', 'but neither is set');
  });

  it('checks binary sizes against the datatype and shape', () => {
    expectError(() => decode(body({ inputs: [{ name: 'X', datatype: 'FP32', shape: [2, 3], parameters: { binary_data_size: 20 } }] }, new Uint8Array(20))),
      'INVALID_ARG', "input 'X': FP32 shape [2,3] needs 24 bytes of binary data, 'binary_data_size' is 20");
    expectError(() => decode(body({ inputs: [{ name: 'X', datatype: 'FP32', shape: [1], parameters: { binary_data_size: -4 } }] })),
      'INVALID_ARG', "'binary_data_size' must be a non-negative integer, got -4");
    const oneString = new Uint8Array([1, 0, 0, 0, 0x61]);
    expectError(() => decode(body({ inputs: [{ name: 'S', datatype: 'BYTES', shape: [2], parameters: { binary_data_size: 5 } }] }, oneString)),
      'INVALID_ARG', "input 'S'", 'expected 2 elements, found 1');
    expectError(() => decode(body({ inputs: [{ name: 'S', datatype: 'BYTES', shape: [1], parameters: { binary_data_size: 5 } }] }, new Uint8Array([9, 0, 0, 0, 0x61]))),
      'INVALID_ARG', "input 'S'", 'declares 9 bytes but only 1 remain');
  });

  it('checks names, datatypes and shapes', () => {
    expectError(() => decode(body({ inputs: [{ ...int32Input(), datatype: 'FLOAT' }] })), 'INVALID_ARG',
      `input 'X': invalid datatype "FLOAT"; expected one of BOOL, UINT8`);
    expectError(() => decode(body({ inputs: [{ ...int32Input(), datatype: 'TYPE_INT32' }] })), 'INVALID_ARG', 'invalid datatype "TYPE_INT32"');
    for (const shape of [[2, -1], [1.5], '2', [null], undefined]) {
      expectError(() => decode(body({ inputs: [{ ...int32Input(), shape }] })), 'INVALID_ARG',
        "input 'X': 'shape' must be a list of non-negative integers");
    }
    expectError(() => decode(body({ inputs: [{ ...int32Input(), name: 7 }] })), 'INVALID_ARG', "input 0: 'name' must be a string");
    expectError(() => decode(body({ inputs: [5] })), 'INVALID_ARG', "input 0: each entry of 'inputs' must be an object");
    expectError(() => decode(body({ inputs: [int32Input('A'), int32Input('B'), int32Input('A')] })), 'INVALID_ARG',
      "input 'A' appears more than once in the request");
    expectError(() => decode(body({})), 'INVALID_ARG', "the request must have an 'inputs' array");
    expectError(() => decode(body({ inputs: {} })), 'INVALID_ARG', "the request must have an 'inputs' array");
    expectError(() => decode(body({ id: 5, inputs: [] })), 'INVALID_ARG', "request 'id' must be a string");
  });

  it('checks JSON data against the datatype and shape', () => {
    expectError(() => decode(body({ inputs: [{ name: 'X', datatype: 'INT32', shape: [3], data: [1, 2] }] })), 'INVALID_ARG',
      "input 'X': shape [3] expects 3 elements, 'data' has 2");
    expectError(() => decode(body({ inputs: [{ name: 'H', datatype: 'FP16', shape: [1], data: [1] }] })), 'INVALID_ARG',
      'receiving FP16 data via JSON is not supported', 'FP16 is only supported with binary data');
    expectError(() => decode(body('{"inputs":[{"name":"U","datatype":"UINT64","shape":[1],"data":[18446744073709551616]}]}')),
      'INVALID_ARG', 'outside the UINT64 range');
  });

  it('refuses shared memory for now, as UNSUPPORTED', () => {
    expectError(() => decode(body({ inputs: [{ name: 'X', datatype: 'INT32', shape: [2], parameters: { shared_memory_region: 'r', shared_memory_byte_size: 8 } }] })),
      'UNSUPPORTED', "input 'X': shared memory tensors ('shared_memory_region') are not supported");
    expectError(() => decode(body({ inputs: [], outputs: [{ name: 'Y', parameters: { shared_memory_region: 'r' } }] })),
      'UNSUPPORTED', "output 'Y': shared memory outputs");
  });

  it('checks parameters', () => {
    for (const bad of [[1], { a: 1 }, null]) {
      expectError(() => decode(body({ parameters: { p: bad }, inputs: [] })), 'INVALID_ARG',
        "request: parameter 'p' has invalid type. It should be either 'bool', 'number' or 'string'.");
    }
    expectError(() => decode(body({ parameters: [], inputs: [] })), 'INVALID_ARG', "request: 'parameters' must be an object");
    expectError(() => decode(body({ inputs: [{ ...int32Input(), parameters: { q: null } }] })), 'INVALID_ARG', "input 'X': parameter 'q' has invalid type");
    expectError(() => decode(body({ parameters: { triton_enable_x: true }, inputs: [] })), 'INVALID_ARG',
      "parameter keys starting with 'triton_' are reserved");
    expectError(() => decode(body({ parameters: { binary_data_output: 1 }, inputs: [] })), 'INVALID_ARG',
      "request parameter 'binary_data_output' must be a boolean");
    expectError(() => decode(body({ inputs: [], outputs: [{ name: 'Y', parameters: { binary_data: 'yes' } }] })), 'INVALID_ARG',
      "output 'Y': parameter 'binary_data' must be a boolean");
    expectError(() => decode(body({ inputs: [], outputs: [{ nam: 'Y' }] })), 'INVALID_ARG', "output 0: 'name' must be a string");
    expectError(() => decode(body({ inputs: [], outputs: {} })), 'INVALID_ARG', "request 'outputs' must be an array");
  });
});
