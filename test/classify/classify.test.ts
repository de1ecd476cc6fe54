/**
 * mlp_classifier end to end: a real server on a temporary repository holding
 * copies of the bundled `mlp` and `mlp_classifier`. Every answer is checked
 * against the reference in support.ts (preprocessing written again here,
 * `mlp` called directly, top-k by sorting).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createHttpFrontend } from '../../runtime/http/http-frontend.ts';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import type { InferRequest } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { memoryLogger } from '../server/support.ts';
import {
  BUNDLED,
  classified,
  copyBundledModels,
  copyClassifierAs,
  featuresInput,
  MODEL,
  referenceClassify,
  setParameter,
  signal,
  textInput,
  type Classified,
  type Preprocessing,
} from './support.ts';
import { errorOf } from '../support/rejection.ts';

let repo: string;
let server: Server;
const log = memoryLogger();

/** classifier_padded: pad/truncate, and a mean and std per position (64 values each). */
const PADDED: Preprocessing = {
  policy: 'pad_truncate',
  mean: Array.from({ length: 64 }, (_, i) => Math.fround(0.4 + i / 320)),
  std: Array.from({ length: 64 }, (_, i) => Math.fround(0.2 + (i % 8) / 40)),
};

beforeAll(async () => {
  repo = await createTempRepository('nereid-classify-');
  await copyBundledModels(repo);
  await copyClassifierAs(repo, 'classifier_padded', (config) => {
    config = setParameter(config, 'length_policy', 'pad_truncate');
    config = setParameter(config, 'feature_mean', PADDED.mean.join(','));
    return setParameter(config, 'feature_std', PADDED.std.join(' '));
  });
  await copyClassifierAs(repo, 'classifier_bad_std', (config) => setParameter(config, 'feature_std', '0'));
  server = await createServer({ modelRepository: repo, log, strictReadiness: false });
});
afterAll(async () => {
  await server?.close();
  await removeTempRepository(repo);
});


async function classify(request: Omit<InferRequest, 'model'>, model = MODEL): Promise<Classified[]> {
  return classified(await server.infer({ model, ...request }));
}

/** Same labels and class ids; scores equal to FP32 rounding (mlp may round differently at another batch size). */
function expectSameClassification(actual: Classified[], expected: Classified[]): void {
  expect(actual.map((row) => [row.labels, row.classIds])).toEqual(expected.map((row) => [row.labels, row.classIds]));
  actual.forEach((row, r) => row.scores.forEach((score, i) => expect(Math.abs(score - expected[r]!.scores[i]!)).toBeLessThan(1e-6)));
}

const rowsOf = (count: number, length: number, seed: number) => Array.from({ length: count }, (_, row) => signal(length, seed * 100 + row));

describe('mlp_classifier', () => {
  it('loads the bundled settings, and refuses to load a bad one naming the parameter', async () => {
    const parameters = server.modelConfig(MODEL).parameters as Record<string, { string_value: string }>;
    expect(Number(parameters.feature_mean!.string_value)).toBe(BUNDLED.mean[0]);
    expect(Number(parameters.feature_std!.string_value)).toBe(BUNDLED.std[0]);
    expect(parameters.length_policy!.string_value).toBe(BUNDLED.policy);
    expect(Number(parameters.default_top_k!.string_value)).toBe(BUNDLED.defaultTopK);
    expect(Number(parameters.max_length!.string_value)).toBe(BUNDLED.maxLength);
    expect(log.lines.some((line) => line.includes(`[${MODEL}:1]`) && line.includes('resample to 64 values'))).toBe(true);

    expect(server.isModelReady('classifier_bad_std')).toBe(false);
    const entry = (await server.repositoryIndex()).find((e) => e.name === 'classifier_bad_std');
    expect(entry?.reason).toMatch(/model 'classifier_bad_std' instance 'classifier_bad_std_0_0': initialize failed: parameter 'feature_std' must be greater than 0/);
  });

  it.each([1, 2, 7, 63, 64, 65, 300])('classifies FP32 features of length %i like the reference, top 3 by default', async (length) => {
    const rows = rowsOf(3, length, length);
    const response = await server.infer({ model: MODEL, inputs: [featuresInput(rows)] });
    expect(response.outputs.map((t) => [t.name, t.datatype, t.shape])).toEqual([
      ['labels', 'BYTES', [3, 3]],
      ['scores', 'FP32', [3, 3]],
      ['class_ids', 'INT32', [3, 3]],
    ]);
    expectSameClassification(classified(response), await referenceClassify(server, rows, 3));
  });

  it('reads text as the same numbers as FP32, in each way people write them', async () => {
    const rows = rowsOf(2, 50, 7);
    const numeric = await classify({ inputs: [featuresInput(rows)], parameters: { top_k: 10 } });
    expectSameClassification(numeric, await referenceClassify(server, rows, 10));
    for (const write of [
      (row: readonly number[]) => row.join(','),
      (row: readonly number[]) => row.join('  '),
      (row: readonly number[]) => `\t${row.join(' ,\n')} `,
      (row: readonly number[]) => JSON.stringify(row),
      (row: readonly number[]) => row.map((v) => v.toExponential()).join(', '),
    ]) {
      const text = Tensor.fromStrings('text', [2, 1], rows.map(write));
      expect(await classify({ inputs: [text], parameters: { top_k: 10 } })).toEqual(numeric);
    }
  });

  it('batches requests that queue together: their rows go to mlp in fewer calls than requests, each answered as alone', async () => {
    const rows = (seed: number) => [Array.from({ length: 64 }, (_, i) => Math.sin(seed + i))];
    const alone = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map(async (seed) => classify({ inputs: [featuresInput(rows(seed))] })));
    const before = server.modelStatistics('mlp').model_stats[0]!;
    const together = await Promise.all([1, 2, 3, 4, 5, 6, 7, 8].map((seed) => classify({ inputs: [featuresInput(rows(seed))] })));
    const after = server.modelStatistics('mlp').model_stats[0]!;
    expect(together).toEqual(alone);
    expect(after.execution_count - before.execution_count).toBeLessThan(8);
  });

  it('returns the top k for the top_k parameter, and refuses a k out of range', async () => {
    const rows = rowsOf(1, 80, 3);
    const all = await referenceClassify(server, rows, 10);
    for (const k of [1, 2, 5, 10]) {
      const rowsK = all.map((row) => ({ labels: row.labels.slice(0, k), scores: row.scores.slice(0, k), classIds: row.classIds.slice(0, k) }));
      expectSameClassification(await classify({ inputs: [featuresInput(rows)], parameters: { top_k: k } }), rowsK);
    }
    // A client that sends every parameter as a string.
    expect((await classify({ inputs: [textInput(rows)], parameters: { top_k: '4' } }))[0]!.classIds).toEqual(all[0]!.classIds.slice(0, 4));
    for (const k of [0, 11, 2.5, 'two', true]) {
      const error = await errorOf(server.infer({ model: MODEL, inputs: [featuresInput(rows)], parameters: { top_k: k } }));
      expect(error.code).toBe('INVALID_ARG');
      expect(error.message).toBe(`model 'mlp_classifier': parameter 'top_k' must be an integer from 1 to 10, got ${JSON.stringify(k)}`);
    }
  });

  const text = (...rows: string[]) => Tensor.fromStrings('text', [rows.length, 1], rows);
  const features = (values: number[], shape = [1, values.length]) => new Tensor('features', 'FP32', shape, Float32Array.from(values));
  it.each<[string, () => Tensor[], RegExp]>([
    ['non-numeric text', () => [text('0.5, abc, 1')], /^model 'mlp_classifier': input 'text': value 2 \("abc"\) is not a number; expected numbers separated by commas or spaces/],
    ['text NaN', () => [text('1 NaN 2')], /^model 'mlp_classifier': input 'text': value 2 \("NaN"\) is not a number/],
    ['text Infinity', () => [text('Infinity')], /^model 'mlp_classifier': input 'text': value 1 \("Infinity"\) is not a number/],
    ['hexadecimal text', () => [text('0x1f')], /^model 'mlp_classifier': input 'text': value 1 \("0x1f"\) is not a number/],
    ['text beyond FP32', () => [text('1, 1e39')], /^model 'mlp_classifier': input 'text': value 2 \("1e39"\) is outside the FP32 range/],
    ['empty text', () => [text('')], /^model 'mlp_classifier': input 'text' is empty; expected numbers/],
    ['empty brackets', () => [text(' [ ] ')], /^model 'mlp_classifier': input 'text' is empty/],
    ['an empty value between commas', () => [text('1,,2')], /^model 'mlp_classifier': input 'text': value 2 is empty/],
    ['one bad row of several', () => [text('1 2', '3 x')], /^model 'mlp_classifier': input 'text' row 1: value 2 \("x"\) is not a number/],
    ['empty features', () => [features([], [1, 0])], /^model 'mlp_classifier': input 'features' is empty \(shape \[1,0\]\); expected 1 to 16384 values per row/],
    ['NaN features', () => [features([0.1, 0.2, 0.3, Number.NaN])], /^model 'mlp_classifier': input 'features': value 4 is NaN; expected finite numbers/],
    ['infinite features', () => [features([0.1, 0.2, 0.3, 0.4, 0.5, 0.6, -Infinity, 0.8], [2, 4])], /^model 'mlp_classifier': input 'features' row 1: value 3 is -Infinity/],
    ['features too long', () => [features(new Array(16385).fill(0.5))], /^model 'mlp_classifier': input 'features' has 16385 values per row; at most 16384 are accepted/],
    ['text too long', () => [text(new Array(16385).fill('1').join(','))], /^model 'mlp_classifier': input 'text' has 16385 values; at most 16384 are accepted/],
    ['features as FP64', () => [new Tensor('features', 'FP64', [1, 3], new Float64Array([1, 2, 3]))], /input 'features' data-type is 'FP64', but model 'mlp_classifier' expects 'FP32'/],
    ['text as FP32', () => [new Tensor('text', 'FP32', [1, 1], new Float32Array([1]))], /input 'text' data-type is 'FP32', but model 'mlp_classifier' expects 'BYTES'/],
    ['both inputs', () => [features([1, 2]), text('1 2')], /^model 'mlp_classifier': give either input 'features' \(FP32\) or input 'text' \(BYTES\), not both/],
    ['neither input', () => [], /^model 'mlp_classifier': expected input 'features' \(FP32 values\) or input 'text' \(BYTES: numbers separated by commas or spaces.*\); the request has neither/],
  ])('refuses %s with INVALID_ARG naming the input', async (_, inputs, message) => {
    const error = await errorOf(server.infer({ model: MODEL, inputs: inputs() }));
    expect(error.code).toBe('INVALID_ARG');
    expect(error.message).toMatch(message);
  });

  it('fails only the bad request among concurrent ones', async () => {
    const good = [rowsOf(1, 40, 11), rowsOf(3, 64, 12), rowsOf(2, 9, 13), rowsOf(1, 200, 14), rowsOf(8, 30, 15)];
    const expected = await Promise.all(good.map((rows) => referenceClassify(server, rows, 2)));
    const requests: Promise<Classified[]>[] = good.map((rows, i) => classify({ inputs: [i % 2 ? textInput(rows) : featuresInput(rows)], parameters: { top_k: 2 } }));
    requests.splice(2, 0, classify({ inputs: [text('0.1, 0.2, oops')], parameters: { top_k: 2 } }));
    const settled = await Promise.allSettled(requests);
    expect(settled.map((s) => s.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled']);
    const failed = settled[2] as PromiseRejectedResult;
    expect(failed.reason).toMatchObject({ code: 'INVALID_ARG', message: expect.stringMatching(/^model 'mlp_classifier': input 'text': value 3 \("oops"\)/) });
    const answers = settled.filter((s): s is PromiseFulfilledResult<Classified[]> => s.status === 'fulfilled').map((s) => s.value);
    answers.forEach((answer, i) => expectSameClassification(answer, expected[i]!));
  });

  it('returns only the outputs asked for', async () => {
    const response = await server.infer({ model: MODEL, inputs: [featuresInput(rowsOf(1, 10, 1))], outputs: [{ name: 'labels' }] });
    expect(response.outputs.map((t) => t.name)).toEqual(['labels']);
  });

  it.each([1, 10, 64, 100])('pads or truncates %i values and standardizes per position when configured so', async (length) => {
    const rows = rowsOf(2, length, 40 + length);
    const actual = await classify({ inputs: [featuresInput(rows)], parameters: { top_k: 4 } }, 'classifier_padded');
    expectSameClassification(actual, await referenceClassify(server, rows, 4, PADDED));
  });
});

describe('mlp_classifier over HTTP', () => {
  it('answers KServe v2 JSON on a real socket, with the same answer as in-process, and a 400 naming the input', async () => {
    const http = createHttpFrontend(server, { port: 0, host: '127.0.0.1', log });
    const { port } = await http.listen();
    try {
      const rows = rowsOf(2, 33, 21);
      const post = (body: unknown) =>
        fetch(`http://127.0.0.1:${port}/v2/models/${MODEL}/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
      const reply = await post({
        id: 'wire',
        parameters: { top_k: 2 },
        inputs: [{ name: 'text', datatype: 'BYTES', shape: [2, 1], data: rows.map((row) => row.join(', ')) }],
      });
      expect(reply.status).toBe(200);
      const body = (await reply.json()) as { id: string; model_name: string; outputs: { name: string; datatype: string; shape: number[]; data: unknown[] }[] };
      expect(body).toMatchObject({ id: 'wire', model_name: MODEL });
      const byName = Object.fromEntries(body.outputs.map((o) => [o.name, o]));
      expect(byName.labels).toMatchObject({ datatype: 'BYTES', shape: [2, 2] });
      const inProcess = await classify({ inputs: [featuresInput(rows)], parameters: { top_k: 2 } });
      expect(byName.labels!.data).toEqual(inProcess.flatMap((row) => row.labels));
      expect(byName.class_ids!.data).toEqual(inProcess.flatMap((row) => row.classIds));
      expect(byName.scores!.data).toEqual(inProcess.flatMap((row) => row.scores));

      const bad = await post({ inputs: [{ name: 'text', datatype: 'BYTES', shape: [1, 1], data: ['1, two, 3'] }] });
      expect(bad.status).toBe(400);
      expect(((await bad.json()) as { error: string }).error).toMatch(/^model 'mlp_classifier': input 'text': value 2 \("two"\) is not a number/);
    } finally {
      await http.close();
    }
  });
});
