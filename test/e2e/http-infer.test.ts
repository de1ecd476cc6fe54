/**
 * Inference through the real server and HTTP frontend: JSON and binary tensor
 * data in both directions on the bundled `simple` model, per-output binary
 * choices, output selection, request ids, and every datatype onnxruntime-node
 * can hold round-tripped through identity models in binary and in JSON.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { DATATYPES, type DataType } from '../../sdk/datatypes.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { inferOverHttp, type InferOutcome } from '../http/support/http-harness.ts';
import { createTempRepository, identityModel, ORT_DATATYPES, removeTempRepository, writeFixture } from '../support/onnx-fixtures.ts';
import { edgeData, plainData } from './support/datatype-samples.ts';
import { BUNDLED_MODELS, expectError, postJson, startE2e, type E2eServer } from './support/e2e-server.ts';
import { expectSimpleAnswer, simpleExpected, simpleJsonBody, simpleTensors } from './support/simple-model.ts';

let repo: string;
let e2e: E2eServer;
let inferUrl: (model: string) => string;

const identityName = (datatype: DataType) => `id_${datatype.toLowerCase()}`;

beforeAll(async () => {
  repo = await createTempRepository();
  for (const datatype of ORT_DATATYPES) await writeFixture(repo, identityName(datatype), identityModel(datatype, { batch: true, dims: [-1] }));
  e2e = await startE2e({ modelRepository: [BUNDLED_MODELS, repo] });
  inferUrl = (model) => `${e2e.baseUrl}/v2/models/${model}/infer`;
});
afterAll(async () => {
  await e2e?.close();
  await removeTempRepository(repo);
});

function ok(outcome: InferOutcome) {
  if (!outcome.ok) throw new Error(`expected 200, got ${outcome.status}: ${outcome.error}`);
  return outcome;
}

/** The JSON header of a binary reply, and the bytes after it. */
function splitBinaryReply(body: Buffer, headerLength: string | string[] | undefined): { json: Record<string, unknown>; binary: Buffer } {
  expect(headerLength, 'Inference-Header-Content-Length').toMatch(/^\d+$/);
  const length = Number(headerLength);
  return { json: JSON.parse(body.subarray(0, length).toString('utf8')), binary: body.subarray(length) };
}

describe('infer on the bundled simple model', () => {
  it('JSON in, JSON out: sums, differences, model version and the request id', async () => {
    const res = await postJson(inferUrl('simple'), simpleJsonBody(2, 1, { id: 'json-1' }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(res.headers.get('inference-header-content-length')).toBeNull();
    const { sum, difference } = simpleExpected(2);
    expect(await res.json()).toEqual({
      id: 'json-1',
      model_name: 'simple',
      model_version: '1',
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], data: sum },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: difference },
      ],
    });
  });

  it('binary in, binary out (as tritonclient.http sends it), for a full batch of 8', async () => {
    const { raw, response } = ok(await inferOverHttp(e2e.port, { model: 'simple', id: 'bin-8', inputs: simpleTensors(5, 8) }, { binary: true }));
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    const { json, binary } = splitBinaryReply(raw.body, raw.headers['inference-header-content-length']);
    expect(json).toMatchObject({ id: 'bin-8', model_name: 'simple', model_version: '1' });
    expect((json.outputs as { parameters: unknown }[]).map((o) => o.parameters)).toEqual([{ binary_data_size: 512 }, { binary_data_size: 512 }]);
    expect(binary.byteLength).toBe(1024);
    expect(response.id).toBe('bin-8');
    expectSimpleAnswer(response, 5, 8);
  });

  it('JSON in, binary out with "binary_data_output": true', async () => {
    const res = await postJson(inferUrl('simple'), simpleJsonBody(6, 1, { parameters: { binary_data_output: true } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/octet-stream');
    const response = decodeInferResponse(new Uint8Array(await res.arrayBuffer()), res.headers.get('inference-header-content-length') ?? undefined);
    expectSimpleAnswer(response, 6);
  });

  it('binary in, JSON out when the request asks for no binary output', async () => {
    const { raw, response } = ok(
      await inferOverHttp(e2e.port, { model: 'simple', inputs: simpleTensors(7), parameters: { binary_data_output: false } }, { binary: true }),
    );
    expect(raw.headers['content-type']).toBe('application/json');
    expect(raw.headers['inference-header-content-length']).toBeUndefined();
    expect(JSON.parse(raw.body.toString('utf8')).outputs[0].data).toEqual(simpleExpected(7).sum);
    expectSimpleAnswer(response, 7);
  });

  it('sends one output binary and the other as JSON in the same response', async () => {
    const outputs = [
      { name: 'OUTPUT0', parameters: { binary_data: true } },
      { name: 'OUTPUT1', parameters: { binary_data: false } },
    ];
    const { raw } = ok(await inferOverHttp(e2e.port, { model: 'simple', inputs: simpleTensors(8), outputs }, { binary: true }));
    const { json, binary } = splitBinaryReply(raw.body, raw.headers['inference-header-content-length']);
    const { sum, difference } = simpleExpected(8);
    expect(json.outputs).toEqual([
      { name: 'OUTPUT0', datatype: 'INT32', shape: [1, 16], parameters: { binary_data_size: 64 } },
      { name: 'OUTPUT1', datatype: 'INT32', shape: [1, 16], data: difference },
    ]);
    expect(Array.from(new Int32Array(new Uint8Array(binary).buffer))).toEqual(sum);
  });

  it('returns only the requested outputs', async () => {
    const res = await postJson(inferUrl('simple'), { ...simpleJsonBody(9), outputs: [{ name: 'OUTPUT1' }] });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { name: string; data: number[] }[] };
    expect(body.outputs.map((o) => o.name)).toEqual(['OUTPUT1']);
    expect(body.outputs[0]!.data).toEqual(simpleExpected(9).difference);
  });

  it('runs the bundled mlp: each row of probabilities sums to 1', async () => {
    const input = Array.from({ length: 3 * 64 }, (_, i) => Math.sin(i));
    const res = await postJson(inferUrl('mlp'), { inputs: [{ name: 'input', datatype: 'FP32', shape: [3, 64], data: input }] });
    expect(res.status).toBe(200);
    const [output] = ((await res.json()) as { outputs: { name: string; shape: number[]; data: number[] }[] }).outputs;
    expect(output).toMatchObject({ name: 'probabilities', shape: [3, 10] });
    for (let row = 0; row < 3; row++) {
      expect(output!.data.slice(row * 10, row * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe('every ORT datatype round-trips through an identity model', () => {
  const jsonable = ORT_DATATYPES.filter((datatype) => DATATYPES[datatype].json !== 'none');

  it.each(ORT_DATATYPES)('%s in binary, both directions', async (datatype) => {
    const input = new Tensor('INPUT0', datatype, [2, 3], edgeData(datatype, 6));
    const expected = plainData(input);
    const { raw, response } = ok(await inferOverHttp(e2e.port, { model: identityName(datatype), inputs: [input] }, { binary: true }));
    expect(raw.headers['content-type']).toBe('application/octet-stream');
    const [output] = response.outputs;
    expect(output).toMatchObject({ name: 'OUTPUT0', datatype, shape: [2, 3] });
    expect(plainData(output!)).toEqual(expected);
  });

  it.each(jsonable)('%s in JSON, both directions', async (datatype) => {
    const input = new Tensor('INPUT0', datatype, [2, 3], edgeData(datatype, 6));
    const expected = plainData(input);
    const { raw, response } = ok(await inferOverHttp(e2e.port, { model: identityName(datatype), inputs: [input] }, { binary: false }));
    expect(raw.headers['content-type']).toBe('application/json');
    const [output] = response.outputs;
    expect(output).toMatchObject({ name: 'OUTPUT0', datatype, shape: [2, 3] });
    expect(plainData(output!)).toEqual(expected);
  });

  it('keeps 64-bit integer extremes exact in the JSON text itself', async () => {
    const body = '{"inputs":[{"name":"INPUT0","datatype":"UINT64","shape":[1,2],"data":[18446744073709551615,9007199254740993]}]}';
    const res = await postJson(inferUrl('id_uint64'), body);
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('"data":[18446744073709551615,9007199254740993]');
  });

  it('FP16 input as JSON is refused with 400, naming the tensor and the binary format', async () => {
    const res = await postJson(inferUrl('id_fp16'), { inputs: [{ name: 'INPUT0', datatype: 'FP16', shape: [1, 2], data: [1, 2] }] });
    await expectError(res, 400, "input 'INPUT0'", 'FP16', 'binary');
  });

  it('FP16 output asked for as JSON is refused with 400, naming the output and how to ask for binary', async () => {
    const input = new Tensor('INPUT0', 'FP16', [1, 2], edgeData('FP16', 2));
    const outcome = await inferOverHttp(e2e.port, { model: 'id_fp16', inputs: [input], outputs: [{ name: 'OUTPUT0' }] }, { binary: true });
    expect(outcome.ok).toBe(false);
    await expectError(outcome.raw, 400, 'FP16', "output 'OUTPUT0'", 'binary_data');
  });

  it('BYTES strings (empty, multi-byte UTF-8, long) survive JSON and binary', async () => {
    const strings = ['', 'hello', 'wörld ✓ 日本', 'x'.repeat(5000)];
    for (const binary of [false, true]) {
      const input = Tensor.fromStrings('INPUT0', [1, 4], strings);
      const { response } = ok(await inferOverHttp(e2e.port, { model: 'id_bytes', inputs: [input] }, { binary }));
      expect(response.outputs[0]!.strings(), `binary: ${binary}`).toEqual(strings);
    }
    const res = await postJson(inferUrl('id_bytes'), { inputs: [{ name: 'INPUT0', datatype: 'BYTES', shape: [1, 2], data: ['a b', 'ünï'] }] });
    expect(((await res.json()) as { outputs: { data: string[] }[] }).outputs[0]!.data).toEqual(['a b', 'ünï']);
  });
});
