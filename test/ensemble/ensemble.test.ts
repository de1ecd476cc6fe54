/**
 * Ensembles end to end on real models: ONNX steps (worker threads), model.ts
 * steps (isolates) and nested ensembles, all through createServer on a
 * temporary repository.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { errorOf } from '../support/rejection.ts';
import { memoryLogger } from '../server/support.ts';
import { CHAIN, ensembleConfig, int32, values, writeEnsemble, writeOnnxSteps, writeScaleModel } from './support.ts';

let repo: string;
let server: Server;

/** INPUT0 -> slow_a -> A and INPUT0 -> slow_b -> B, independent; then simple(A, B) -> SUM, DIFF. */
const DIAMOND = ensembleConfig(
  'diamond',
  [{ name: 'INPUT0' }],
  [{ name: 'SUM' }, { name: 'DIFF' }],
  [
    { model: 'slow_a', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'A' } },
    { model: 'slow_b', inputs: { INPUT0: 'INPUT0' }, outputs: { OUTPUT0: 'B' } },
    { model: 'simple', inputs: { INPUT0: 'A', INPUT1: 'B' }, outputs: { OUTPUT0: 'SUM', OUTPUT1: 'DIFF' } },
  ],
);

/** An ensemble whose first step is the `chain` ensemble. */
const NESTED = ensembleConfig(
  'nested',
  [{ name: 'X' }, { name: 'Y' }],
  [{ name: 'Z' }],
  [
    { model: 'chain', inputs: { INPUT0: 'X', INPUT1: 'Y' }, outputs: { OUT_SUM: 's' } },
    { model: 'slow_a', inputs: { INPUT0: 's' }, outputs: { OUTPUT0: 'Z' } },
  ],
);

beforeAll(async () => {
  repo = await createTempRepository('nereid-ensemble-');
  await writeOnnxSteps(repo);
  await writeScaleModel(repo, 'slow_a');
  await writeScaleModel(repo, 'slow_b');
  await writeEnsemble(repo, 'chain', CHAIN);
  await writeEnsemble(repo, 'diamond', DIAMOND);
  await writeEnsemble(repo, 'nested', NESTED);
  server = await createServer({ modelRepository: repo, log: memoryLogger() });
});
afterAll(async () => {
  await server?.close();
  await removeTempRepository(repo);
});

const inferenceCount = (model: string): number => server.modelStatistics(model).model_stats[0]!.inference_count;

describe('ensemble execution', () => {
  it('loads every ensemble after its steps and reports it ready', async () => {
    for (const name of ['chain', 'diamond', 'nested']) expect(server.isModelReady(name)).toBe(true);
    expect(server.modelMetadata('chain')).toMatchObject({ platform: 'ensemble', inputs: [{ name: 'INPUT0', shape: [-1, 16] }, { name: 'INPUT1' }] });
  });

  it('runs a two-step chain and echoes the request id', async () => {
    const response = await server.infer({ model: 'chain', id: 'r1', inputs: [int32('INPUT0', [5, 6]), int32('INPUT1', [1])] });
    expect(response).toMatchObject({ model: 'chain', version: '1', id: 'r1' });
    expect(response.outputs.map((t) => t.name)).toEqual(['OUT_SUM', 'DIFF']);
    expect(values(response.outputs[0]).slice(0, 2)).toEqual([6, 7]);
    expect(values(response.outputs[1]).slice(0, 2)).toEqual([4, 5]);
    expect(response.outputs[0]!.shape).toEqual([1, 16]);
  });

  it('returns only the requested outputs and skips the steps nobody needs (as Triton prunes)', async () => {
    const before = inferenceCount('identity');
    const response = await server.infer({ model: 'chain', inputs: [int32('INPUT0', [5]), int32('INPUT1', [1])], outputs: [{ name: 'DIFF' }] });
    expect(response.outputs.map((t) => t.name)).toEqual(['DIFF']);
    expect(values(response.outputs[0])[0]).toBe(4);
    expect(inferenceCount('identity')).toBe(before);
  });

  it('runs independent steps concurrently and copies the parameters onto every step', async () => {
    const started = performance.now();
    const response = await server.infer({ model: 'diamond', inputs: [int32('INPUT0', [3])], parameters: { sleep_ms: 300, factor: 2 } });
    const elapsed = performance.now() - started;
    // Both slow steps sleep 300 ms; one after the other would take 600 ms.
    expect(elapsed).toBeGreaterThanOrEqual(290);
    expect(elapsed).toBeLessThan(550);
    // A = B = 2 * 3 (each step saw factor 2): SUM 12, DIFF 0. INPUT0 fed two steps: each got its own copy.
    expect(values(response.outputs[0])[0]).toBe(12);
    expect(values(response.outputs[1])[0]).toBe(0);
  });

  it('runs a nested ensemble with a model.ts step', async () => {
    const response = await server.infer({ model: 'nested', inputs: [int32('X', [2]), int32('Y', [3])], parameters: { factor: 10 } });
    expect(response.outputs.map((t) => t.name)).toEqual(['Z']);
    expect(values(response.outputs[0])[0]).toBe(50);
  });

  it('fails the request with a message naming the failed step, and counts the failure under OTHER', async () => {
    const stats = () => server.modelStatistics('diamond').model_stats[0]!.inference_stats.fail.count;
    const before = stats();
    const error = await errorOf(server.infer({ model: 'diamond', id: 'bad-1', inputs: [int32('INPUT0', [1])], parameters: { fail: 'slow_b' } }));
    expect(error.code).toBe('INVALID_ARG');
    expect(error.message).toBe("in ensemble 'diamond', step 1 (model 'slow_b') failed: told to fail request bad-1");
    expect(stats()).toBe(before + 1);
    expect(server.modelVersionMetrics().find((m) => m.stats.name === 'diamond')!.stats.failures('OTHER')).toBeGreaterThan(0);
  });

  it('rejects a bad ensemble request before any step runs', async () => {
    const error = await errorOf(server.infer({ model: 'chain', inputs: [int32('INPUT0', [1])] }));
    expect(error.message).toContain("missing required input(s) [INPUT1]");
  });

  it('sends step requests through the step model scheduler, where they batch with other traffic', async () => {
    const before = server.modelStatistics('simple').model_stats[0]!;
    const ensembleCalls = Array.from({ length: 8 }, (_, i) => server.infer({ model: 'chain', inputs: [int32('INPUT0', [i]), int32('INPUT1', [1])] }));
    const directCalls = Array.from({ length: 8 }, (_, i) => server.infer({ model: 'simple', inputs: [int32('INPUT0', [i]), int32('INPUT1', [1])] }));
    const results = await Promise.all([...ensembleCalls, ...directCalls]);
    expect(values(results[3]!.outputs[0])[0]).toBe(4);
    const after = server.modelStatistics('simple').model_stats[0]!;
    const requests = after.inference_count - before.inference_count;
    const executions = after.execution_count - before.execution_count;
    expect(requests).toBe(16);
    expect(executions).toBeLessThan(requests);
    expect(server.modelStatistics('chain').model_stats[0]!.inference_stats.success.count).toBeGreaterThanOrEqual(9);
  });
});
