/**
 * mlp_classifier's execute given several requests at once, as a dynamic
 * batcher would hand them (today's default scheduler sends one at a time, so
 * the server cannot show this yet). The model runs in plain Node behind the
 * sdk's fake host, which records each BLS call and answers for `mlp`: the
 * "probabilities" it returns are the first 10 values of each input row, so
 * the top k of a request points back at exactly the rows it sent.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as classifier from '../../models/mlp_classifier/1/model.ts';
import { readModelConfig } from '../../runtime/config/load-model-config.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { BlsRequestDescriptor, BlsResultDescriptor, RequestDescriptor, ResponseDescriptor, TensorDescriptor } from '../../sdk/model/isolate-protocol.ts';
import { callEntry, FakeHost, serve } from '../sdk-model/fake-host.ts';
import { BUNDLED, LABELS, MODEL, referenceRow, signal } from './support.ts';

const global = globalThis as Record<string, unknown>;
afterEach(() => {
  delete global.__nereidHost;
  delete global.__nereidModel;
});

const config = (await readModelConfig(join(import.meta.dirname, '..', '..', 'models', MODEL))) as ModelConfig;
const utf8 = new TextEncoder();
const utf8Decode = new TextDecoder();

/** The fake `mlp`: row r of `probabilities` is the first 10 values of input row r. */
function firstTenValues(request: BlsRequestDescriptor): BlsResultDescriptor {
  const input = request.inputs[0]!;
  const rows = input.shape[0]!;
  const data = input.data as Float32Array;
  const scores = new Float32Array(rows * 10);
  for (let row = 0; row < rows; row++) scores.set(data.subarray(row * 64, row * 64 + 10), row * 10);
  return { model: 'mlp', version: '1', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [rows, 10], data: scores }] };
}

async function served(answer: (request: BlsRequestDescriptor) => BlsResultDescriptor = firstTenValues) {
  const host = new FakeHost();
  host.answer = answer;
  const { entry } = serve(classifier, host);
  const args = {
    modelName: MODEL,
    modelVersion: '1',
    modelConfig: config,
    modelInstanceName: `${MODEL}_0_0`,
    modelInstanceKind: 'CPU' as const,
    modelInstanceDeviceId: 0,
    modelRepository: '',
  };
  expect(await callEntry(host, (id) => entry.initialize(id, args))).toEqual({ ok: true });
  const execute = async (requests: RequestDescriptor[]): Promise<ResponseDescriptor[]> => {
    const result = await callEntry(host, (id) => entry.execute(id, requests));
    if (!result.ok) throw new Error(`execute failed: ${result.error.message}`);
    return result.responses!;
  };
  return { host, execute };
}

function request(input: TensorDescriptor, parameters: Record<string, number> = {}): RequestDescriptor {
  return { id: '', inputs: [input], requestedOutputs: ['labels', 'scores', 'class_ids'], parameters, correlationId: 0, flags: 0 };
}
const features = (rows: number[][]): TensorDescriptor => ({ name: 'features', datatype: 'FP32', shape: [rows.length, rows[0]!.length], data: Float32Array.from(rows.flat()) });
const text = (...rows: string[]): TensorDescriptor => ({ name: 'text', datatype: 'BYTES', shape: [rows.length, 1], data: rows.map((row) => utf8.encode(row)) });
const rowsOf = (count: number, length: number, seed: number) => Array.from({ length: count }, (_, row) => signal(length, seed * 100 + row));

/** What the classifier must answer for `rows` behind the fake mlp: class ids of the k largest of each reference row's first 10 values. */
function expectedIds(rows: number[][], k: number): number[] {
  return rows.flatMap((row) => {
    const scores = referenceRow(row, BUNDLED).slice(0, 10);
    return scores.map((score, id) => ({ score, id })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k).map((o) => o.id);
  });
}

function output(response: ResponseDescriptor, name: string): TensorDescriptor {
  const tensor = response.outputs.find((t) => t.name === name);
  if (!tensor) throw new Error(`no output '${name}'${response.error ? `: ${response.error.message}` : ''}`);
  return tensor;
}

describe('mlp_classifier execute with several requests', () => {
  it('sends every row of every valid request to mlp in one call, and fails the bad request alone', async () => {
    const { host, execute } = await served();
    const a = rowsOf(2, 20, 1);
    const b = rowsOf(1, 64, 2);
    const c = rowsOf(3, 150, 3);
    const responses = await execute([
      request(features(a), { top_k: 2 }),
      request(text(b[0]!.join(', '))),
      request(text('1, 2, nope')),
      request(features(c), { top_k: 5 }),
    ]);

    expect(host.inferCalls).toHaveLength(1);
    const sent = host.inferCalls[0]!.request;
    expect(sent).toMatchObject({ model: 'mlp', requestedOutputs: ['probabilities'] });
    expect(sent.inputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([['input', 'FP32', [6, 64]]]);
    const expectedInput = [...a, ...b, ...c].flatMap((row) => referenceRow(row, BUNDLED));
    Array.from(sent.inputs[0]!.data as Float32Array).forEach((value, i) => expect(value).toBeCloseTo(expectedInput[i]!, 5));

    expect(responses.map((r) => r.error?.code)).toEqual([undefined, undefined, 'INVALID_ARG', undefined]);
    expect(responses[2]!.error!.message).toMatch(/^model 'mlp_classifier': input 'text': value 3 \("nope"\) is not a number/);
    const cases: [ResponseDescriptor, number[][], number][] = [
      [responses[0]!, a, 2],
      [responses[1]!, b, 3],
      [responses[3]!, c, 5],
    ];
    for (const [response, rows, k] of cases) {
      const ids = Array.from(output(response, 'class_ids').data as Int32Array);
      expect(output(response, 'class_ids').shape).toEqual([rows.length, k]);
      expect(ids).toEqual(expectedIds(rows, k));
      expect((output(response, 'labels').data as Uint8Array[]).map((bytes) => utf8Decode.decode(bytes))).toEqual(ids.map((id) => LABELS[id]));
    }
  });

  it('makes no call when every request is bad', async () => {
    const { host, execute } = await served();
    const responses = await execute([request(text('')), request(features([[1, 2]]), { top_k: 99 })]);
    expect(host.inferCalls).toHaveLength(0);
    expect(responses.map((r) => r.error?.message)).toEqual([
      expect.stringMatching(/^model 'mlp_classifier': input 'text' is empty/),
      "model 'mlp_classifier': parameter 'top_k' must be an integer from 1 to 10, got 99",
    ]);
  });

  it("splits a batch past mlp's max_batch_size into calls of at most 32 rows, and answers each request from its own rows", async () => {
    const { host, execute } = await served();
    const batches = Array.from({ length: 5 }, (_, i) => rowsOf(8, 30 + i, 50 + i));
    const responses = await execute(batches.map((rows) => request(features(rows), { top_k: 1 })));
    expect(host.inferCalls.map((call) => call.request.inputs[0]!.shape)).toEqual([
      [32, 64],
      [8, 64],
    ]);
    responses.forEach((response, i) => expect(Array.from(output(response, 'class_ids').data as Int32Array)).toEqual(expectedIds(batches[i]!, 1)));
  });

  it("gives every valid request mlp's error, keeping its code", async () => {
    const { execute } = await served(() => ({ model: 'mlp', version: '', outputs: [], error: { code: 'UNAVAILABLE', message: "model 'mlp' is not ready" } }));
    const responses = await execute([request(features(rowsOf(1, 5, 1))), request(text('x')), request(text('1 2 3'))]);
    expect(responses.map((r) => r.error)).toEqual([
      { code: 'UNAVAILABLE', message: "backbone model 'mlp' failed: model 'mlp' is not ready" },
      expect.objectContaining({ code: 'INVALID_ARG' }),
      { code: 'UNAVAILABLE', message: "backbone model 'mlp' failed: model 'mlp' is not ready" },
    ]);
  });

  it('reports an mlp answer of the wrong shape as INTERNAL', async () => {
    const { execute } = await served((request) => ({ ...firstTenValues(request), outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: new Float32Array(3) }] }));
    const [response] = await execute([request(features(rowsOf(1, 5, 1)))]);
    expect(response!.error).toEqual({ code: 'INTERNAL', message: "backbone model 'mlp': expected output 'probabilities' FP32 [1,10], got FP32 [1,3]" });
  });
});
