/**
 * Every way an infer request can be wrong, sent to the real server over one
 * kept-alive connection: each answers Triton's status with an `{"error"}`
 * that names what was wrong and what was expected, and the next good request
 * on the same connection still gets the right answer.
 */
import { Agent } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { inferPath, rawRequest, type RawResponse } from '../http/support/http-harness.ts';
import { BUNDLED_MODELS, expectError, startE2e, type E2eServer } from './support/e2e-server.ts';
import { expectSimpleAnswer, simpleInputs, simpleJsonBody } from './support/simple-model.ts';

const MAX_INPUT_SIZE = 16 * 1024;

let e2e: E2eServer;
let agent: Agent;

beforeAll(async () => {
  e2e = await startE2e({ modelRepository: BUNDLED_MODELS }, { maxInputSize: MAX_INPUT_SIZE });
  agent = new Agent({ keepAlive: true, maxSockets: 1 });
});
afterAll(async () => {
  agent?.destroy();
  await e2e?.close();
});

const utf8 = (text: string) => new TextEncoder().encode(text);

function postJsonText(json: string, model = 'simple', version?: string): Promise<RawResponse> {
  const body = utf8(json);
  return rawRequest(e2e.port, {
    method: 'POST',
    path: inferPath(model, version),
    headers: { 'Content-Type': 'application/json', 'Content-Length': body.byteLength },
    body,
    agent,
  });
}

function post(json: unknown, model = 'simple', version?: string): Promise<RawResponse> {
  return postJsonText(JSON.stringify(json), model, version);
}

/** A binary request: the JSON header, then `binary`, with the given header length (default: the JSON's). */
function postBinary(json: unknown, binary: Uint8Array, headerLength?: number | string): Promise<RawResponse> {
  const header = utf8(JSON.stringify(json));
  const body = Buffer.concat([header, binary]);
  return rawRequest(e2e.port, {
    method: 'POST',
    path: inferPath('simple'),
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': body.byteLength, 'Inference-Header-Content-Length': headerLength ?? header.byteLength },
    body,
    agent,
  });
}

/** The JSON header of a binary `simple` request whose inputs announce `sizes` bytes. */
function binaryHeader(sizes: [number, number]): Record<string, unknown> {
  return {
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: sizes[0] } },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: sizes[1] } },
    ],
  };
}

/** INPUT0 and INPUT1 of `simple` as raw little-endian bytes (128 bytes). */
function simpleBytes(seed: number): Uint8Array {
  const { a, b } = simpleInputs(seed);
  return Buffer.concat([Buffer.from(a.buffer), Buffer.from(b.buffer)]);
}

function withInput(index: 0 | 1, change: Record<string, unknown>): Record<string, unknown> {
  const body = simpleJsonBody(1) as { inputs: Record<string, unknown>[] };
  body.inputs[index] = { ...body.inputs[index], ...change };
  return body;
}

interface BadCase {
  name: string;
  send: () => Promise<RawResponse>;
  status: number;
  fragments: (string | RegExp)[];
}

const cases: BadCase[] = [
  { name: 'malformed JSON', send: () => postJsonText('{"inputs": [}'), status: 400, fragments: ['failed to parse the request JSON', 'position 12'] },
  { name: 'JSON that is not an object', send: () => postJsonText('[1, 2]'), status: 400, fragments: ['request JSON must be an object'] },
  { name: "no 'inputs' array", send: () => post({ id: 'x' }), status: 400, fragments: ["'inputs' array"] },
  {
    name: 'Inference-Header-Content-Length longer than the body',
    send: () => postBinary(binaryHeader([64, 64]), simpleBytes(1), 5000),
    status: 400,
    fragments: ['Inference-Header-Content-Length is 5000', 'body has only'],
  },
  {
    name: 'Inference-Header-Content-Length that is not a number',
    send: () => postBinary(binaryHeader([64, 64]), simpleBytes(1), 'twelve'),
    status: 400,
    fragments: ['Unable to parse Inference-Header-Content-Length', 'twelve'],
  },
  {
    name: 'binary data shorter than binary_data_size says',
    send: () => postBinary(binaryHeader([64, 64]), simpleBytes(1).subarray(0, 96)),
    status: 400,
    fragments: ["input 'INPUT1' has binary_data_size 64 but only 32 bytes"],
  },
  {
    name: 'trailing bytes after the last binary tensor',
    send: () => postBinary(binaryHeader([64, 64]), Buffer.concat([simpleBytes(1), Buffer.alloc(8)])),
    status: 400,
    fragments: ['8 unexpected bytes', 'binary_data_size total 128'],
  },
  {
    name: 'binary_data_size that does not fit the shape',
    send: () => postBinary(binaryHeader([60, 64]), simpleBytes(1).subarray(0, 124)),
    status: 400,
    fragments: ["input 'INPUT0'", 'shape [1,16] needs 64 bytes', "'binary_data_size' is 60"],
  },
  {
    name: 'binary data without Inference-Header-Content-Length',
    send: () => post(binaryHeader([64, 64])),
    status: 400,
    fragments: ["input 'INPUT0' has binary_data_size 64", 'no Inference-Header-Content-Length header'],
  },
  { name: 'unknown model', send: () => post(simpleJsonBody(1), 'nope'), status: 404, fragments: ["Request for unknown model: 'nope' is not found"] },
  { name: 'unknown version', send: () => post(simpleJsonBody(1), 'simple', '4'), status: 404, fragments: ["'simple' version 4 is not found", 'served versions: 1'] },
  {
    name: 'unknown input',
    send: () => post(withInput(0, { name: 'INPUTX' })),
    status: 400,
    fragments: ["unexpected inference input 'INPUTX' for model 'simple'", 'expected one of: INPUT0, INPUT1'],
  },
  {
    name: 'missing input',
    send: () => post({ inputs: [(simpleJsonBody(1).inputs as unknown[])[1]] }),
    status: 400,
    fragments: ["expected 2 inputs but got 1 inputs for model 'simple'", 'missing required input(s) [INPUT0]'],
  },
  {
    name: 'duplicate input',
    send: () => post({ inputs: [(simpleJsonBody(1).inputs as unknown[])[0], (simpleJsonBody(1).inputs as unknown[])[0]] }),
    status: 400,
    fragments: ["input 'INPUT0' appears more than once"],
  },
  {
    name: 'wrong datatype',
    send: () => post(withInput(0, { datatype: 'FP32' })),
    status: 400,
    fragments: ["inference input 'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'"],
  },
  {
    name: 'datatype that does not exist',
    send: () => post(withInput(1, { datatype: 'INT33' })),
    status: 400,
    fragments: ["input 'INPUT1': invalid datatype \"INT33\"", 'expected one of BOOL'],
  },
  {
    name: 'wrong shape',
    send: () => post(withInput(0, { shape: [1, 8], data: Array(8).fill(1) })),
    status: 400,
    fragments: ["unexpected shape for input 'INPUT0' for model 'simple'. Expected [-1,16], got [1,8]"],
  },
  {
    name: 'element count that does not match the shape',
    send: () => post(withInput(1, { data: Array(15).fill(1) })),
    status: 400,
    fragments: ["input 'INPUT1'", 'shape [1,16] expects 16 elements', "'data' has 15"],
  },
  {
    name: 'a value outside the datatype range',
    send: () => post(withInput(0, { data: [2 ** 31, ...Array(15).fill(0)] })),
    status: 400,
    fragments: ["input 'INPUT0'", 'element 0 of INT32 data is 2147483648', 'outside the INT32 range'],
  },
  {
    name: 'batch above max_batch_size',
    send: () => post(simpleJsonBody(1, 9)),
    status: 400,
    fragments: ["batch-size must be <= 8 and >= 1 for 'simple'", "input 'INPUT0' has batch size 9"],
  },
  {
    name: 'inputs with different batch sizes',
    send: () => post({ inputs: [(simpleJsonBody(1, 2).inputs as unknown[])[0], (simpleJsonBody(1, 1).inputs as unknown[])[1]] }),
    status: 400,
    fragments: ["model 'simple' must share the batch size", "input 'INPUT1' has 1"],
  },
  {
    name: 'unknown output',
    send: () => post({ ...simpleJsonBody(1), outputs: [{ name: 'OUTPUT9' }] }),
    status: 400,
    fragments: ["unexpected inference output 'OUTPUT9' for model 'simple'", 'expected one of: OUTPUT0, OUTPUT1'],
  },
  {
    name: "a reserved 'triton_' parameter",
    send: () => post({ ...simpleJsonBody(1), parameters: { triton_enable_empty_final_response: true } }),
    status: 400,
    fragments: ["'triton_enable_empty_final_response'", 'reserved'],
  },
  {
    name: 'a body over --http-max-input-size (declared length)',
    send: () => postJsonText(JSON.stringify({ ...simpleJsonBody(1), id: 'x'.repeat(MAX_INPUT_SIZE) })),
    status: 400,
    fragments: [/Request JSON size of \d+ bytes exceeds the maximum allowed value of 16384 bytes/, '--http-max-input-size'],
  },
  {
    name: 'a body over --http-max-input-size (chunked)',
    send: () =>
      rawRequest(e2e.port, {
        method: 'POST',
        path: inferPath('simple'),
        headers: { 'Transfer-Encoding': 'chunked', 'Inference-Header-Content-Length': 10 },
        body: [new Uint8Array(10_000), new Uint8Array(10_000)],
        agent,
      }),
    status: 400,
    fragments: [/Request body size of at least \d+ bytes exceeds the maximum allowed value of 16384 bytes/, '--http-max-input-size'],
  },
];

describe('bad infer requests to the real server', () => {
  it.each(cases)('$name -> $status, then the server keeps serving', async ({ send, status, fragments }) => {
    const bad = await send();
    await expectError(bad, status, ...fragments);

    const good = await postBinary({ id: 'after', ...binaryHeader([64, 64]), parameters: { binary_data_output: true } }, simpleBytes(11));
    expect(good.status, good.body.toString('utf8', 0, 300)).toBe(200);
    const response = decodeInferResponse(good.body, good.headers['inference-header-content-length'] as string);
    expect(response.id).toBe('after');
    expectSimpleAnswer(response, 11);
  });

  it('answers a request that would be fine just under the size limit', async () => {
    const padding = MAX_INPUT_SIZE - JSON.stringify({ ...simpleJsonBody(1), id: '' }).length;
    const res = await postJsonText(JSON.stringify({ ...simpleJsonBody(1), id: 'y'.repeat(padding) }));
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body.toString('utf8')).id).toHaveLength(padding);
  });
});
