/**
 * The statistics extension through the real server and a real socket:
 * `GET /v2/models/stats`, `/v2/models/{m}/stats` and
 * `/v2/models/{m}/versions/{v}/stats` answer Triton's JSON, with counts and
 * durations that follow real inferences on ONNX and TypeScript models,
 * failures counted apart, and Triton's 400 for models and versions that are
 * not loaded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Tensor } from '../../sdk/tensor.ts';
import type { ModelStatistics } from '../../runtime/stats/model-stats.ts';
import { inferOverHttp } from '../http/support/http-harness.ts';
import { writeScriptModel } from '../script/support.ts';
import { addSubModel, createTempRepository, identityModel, removeTempRepository, writeFixture } from '../support/onnx-fixtures.ts';
import { expectError, startE2e, type E2eServer } from './support/e2e-server.ts';

const FAILING = `
import { InferenceResponse, NereidError, type InferenceRequest } from 'nereid/model';
export function execute(requests: InferenceRequest[]) {
  return requests.map(() => new InferenceResponse({ error: NereidError.invalidArg('this model refuses everything') }));
}
`;

let repo: string;
let e2e: E2eServer;
let url: (path: string) => string;

beforeAll(async () => {
  repo = await createTempRepository();
  await writeFixture(repo, 'adder', addSubModel('FP32', { batch: true, dims: [4] }), { maxBatchSize: 8 });
  await writeFixture(repo, 'multi', identityModel('INT16', { batch: true, dims: [-1] }), { versions: [1, 2, 3], extra: 'version_policy: { specific: { versions: [1, 3] } }' });
  await writeScriptModel(repo, 'failing', { source: FAILING });
  e2e = await startE2e({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['*'] });
  url = (path) => `${e2e.baseUrl}${path}`;
});
afterAll(async () => {
  await e2e?.close();
  await removeTempRepository(repo);
});

function adderInputs(rows: number): Tensor[] {
  const values = Float32Array.from({ length: rows * 4 }, (_, i) => i);
  return [new Tensor('INPUT0', 'FP32', [rows, 4], values), new Tensor('INPUT1', 'FP32', [rows, 4], values.slice())];
}

async function statsOf(path: string): Promise<ModelStatistics[]> {
  const res = await fetch(url(path));
  expect(res.status, await res.clone().text()).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/json');
  return ((await res.json()) as { model_stats: ModelStatistics[] }).model_stats;
}

const zero = { count: 0, ns: 0 };

describe('statistics extension', () => {
  it('lists "statistics" among the server extensions', async () => {
    const body = (await (await fetch(url('/v2'))).json()) as { extensions: string[] };
    expect(body.extensions).toContain('statistics');
  });

  it('starts a loaded model at zero, in Triton\'s fields', async () => {
    expect(await statsOf('/v2/models/multi/versions/1/stats')).toEqual([
      {
        name: 'multi',
        version: '1',
        last_inference: 0,
        inference_count: 0,
        execution_count: 0,
        inference_stats: { success: zero, fail: zero, queue: zero, compute_input: zero, compute_infer: zero, compute_output: zero, cache_hit: zero, cache_miss: zero },
        response_stats: {},
        batch_stats: [],
        memory_usage: [],
      },
    ]);
  });

  it('counts requests, inferences (batch sizes added up), executions and per-batch-size compute after real inferences', async () => {
    const before = Date.now();
    for (const rows of [3, 1, 3]) {
      const outcome = await inferOverHttp(e2e.port, { model: 'adder', inputs: adderInputs(rows) }, { binary: true });
      expect(outcome.ok, outcome.ok ? '' : outcome.error).toBe(true);
    }
    const after = Date.now();
    const [stats] = await statsOf('/v2/models/adder/stats');
    expect(stats).toMatchObject({ name: 'adder', version: '1', inference_count: 7, execution_count: 3 });
    expect(stats!.last_inference).toBeGreaterThanOrEqual(before);
    expect(stats!.last_inference).toBeLessThanOrEqual(after);
    const inference = stats!.inference_stats;
    for (const field of ['success', 'queue', 'compute_input', 'compute_infer', 'compute_output'] as const) {
      expect(inference[field].count, field).toBe(3);
    }
    expect(inference.fail).toEqual(zero);
    expect(inference.compute_infer.ns).toBeGreaterThan(0);
    // The end-to-end time of a request holds its queue and compute time.
    expect(inference.success.ns).toBeGreaterThanOrEqual(inference.queue.ns + inference.compute_infer.ns);
    expect(stats!.batch_stats.map((b) => [b.batch_size, b.compute_infer.count, b.compute_input.count, b.compute_output.count])).toEqual([
      [1, 1, 1, 1],
      [3, 2, 2, 2],
    ]);
  });

  it('counts a request that fails in its own bucket, not as a success', async () => {
    const [before] = await statsOf('/v2/models/adder/stats');
    const wrongShape = [new Tensor('INPUT0', 'FP32', [1, 5], new Float32Array(5)), new Tensor('INPUT1', 'FP32', [1, 5], new Float32Array(5))];
    const outcome = await inferOverHttp(e2e.port, { model: 'adder', inputs: wrongShape }, { binary: false });
    expect(outcome.ok).toBe(false);
    const [after] = await statsOf('/v2/models/adder/stats');
    expect(after!.inference_stats.fail.count).toBe(before!.inference_stats.fail.count + 1);
    expect(after!.inference_stats.success.count).toBe(before!.inference_stats.success.count);
    expect(after!.execution_count).toBe(before!.execution_count);

    const refused = await inferOverHttp(e2e.port, { model: 'failing', inputs: [new Tensor('INPUT0', 'FP32', [1, 2], new Float32Array(2))] }, { binary: false });
    expect(refused.ok ? 200 : refused.status).toBe(400);
    const [failing] = await statsOf('/v2/models/failing/stats');
    expect(failing!.inference_stats.fail.count).toBe(1);
    expect(failing!.inference_stats.success).toEqual(zero);
    // The model ran, but an execution whose every request failed is not counted (as Triton's backends report it).
    expect(failing!.execution_count).toBe(0);
  });

  it('GET /v2/models/stats lists every loaded version of every model, by name then version', async () => {
    const all = await statsOf('/v2/models/stats');
    expect(all.map((s) => `${s.name}:${s.version}`)).toEqual(['adder:1', 'failing:1', 'multi:1', 'multi:3']);
    expect(all.find((s) => s.name === 'adder')!.inference_count).toBe(7);
    expect(e2e.server.modelStatistics()).toEqual({ model_stats: all.map((s) => ({ ...s, last_inference: expect.any(Number) })) });
  });

  it('a model without a version gives every served version; with one, that version', async () => {
    expect((await statsOf('/v2/models/multi/stats')).map((s) => s.version)).toEqual(['1', '3']);
    expect((await statsOf('/v2/models/multi/versions/3/stats')).map((s) => s.version)).toEqual(['3']);
  });

  it('answers 400 with Triton\'s words for a model or version that is not loaded, and 405 for another verb', async () => {
    await expectError(await fetch(url('/v2/models/nope/stats')), 400, "requested model 'nope' is not available");
    await expectError(await fetch(url('/v2/models/multi/versions/2/stats')), 400, "requested model version is not available for model 'multi'");
    await expectError(await fetch(url('/v2/models/stats'), { method: 'POST' }), 405, 'Method Not Allowed');
    await expectError(await fetch(url('/v2/models/multi/versions/x/stats')), 404, 'Not Found');
  });

  it('drops a model from the statistics once it is unloaded', async () => {
    await e2e.server.unloadModel('failing');
    await expectError(await fetch(url('/v2/models/failing/stats')), 400, "requested model 'failing' is not available");
    expect((await statsOf('/v2/models/stats')).map((s) => s.name)).not.toContain('failing');
  });
});
