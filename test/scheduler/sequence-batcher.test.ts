/**
 * SequenceBatcher on real ONNX instances (worker threads with
 * onnxruntime sessions): batching really happens (fewer executions than
 * requests), each sequence keeps its own state, shapes that disagree never
 * share a batch, and draining finishes what was accepted.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxBackend } from '../../runtime/backends/onnx/onnx-backend.ts';
import type { OnnxInstance } from '../../runtime/backends/onnx/onnx-instance.ts';
import type { ExecResult } from '../../runtime/backends/backend.ts';
import { SequenceBatcher } from '../../runtime/scheduler/sequence-batcher.ts';
import { ModelStats } from '../../runtime/stats/model-stats.ts';
import type { Parameters } from '../../sdk/inference.ts';
import type { ModelConfig, ModelSequenceBatching } from '../../sdk/model-config.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { accumulateModel } from '../../scripts/onnx/sequence-models.ts';
import { createTempRepository, identityModel, removeTempRepository } from '../support/onnx-fixtures.ts';
import { loadContext, outputsOf, writeModelFile } from '../backends/support/onnx-harness.ts';

const ACCUMULATE_BATCHING: ModelSequenceBatching = {
  control_input: [{ name: 'START', control: [{ kind: 'CONTROL_SEQUENCE_START', int32_false_true: [0, 1] }] }],
  state: [{ input_name: 'ACC_IN', output_name: 'ACC_OUT', data_type: 'TYPE_INT32', dims: [1] }],
};

function accumulateConfig(sequence: ModelSequenceBatching): ModelConfig {
  return {
    name: 'acc',
    max_batch_size: 4,
    input: [{ name: 'INPUT', data_type: 'TYPE_INT32', dims: [1] }],
    output: [{ name: 'OUTPUT', data_type: 'TYPE_INT32', dims: [1] }],
    sequence_batching: { ...ACCUMULATE_BATCHING, ...sequence },
  };
}

const identityConfig: ModelConfig = {
  name: 'ident',
  max_batch_size: 4,
  input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
  output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [-1] }],
  sequence_batching: { direct: { max_queue_delay_microseconds: 30_000, minimum_slot_utilization: 1 } },
};

let dir: string;
let backend: OnnxBackend;
let accumulate: OnnxInstance[];
let identity: OnnxInstance;

beforeAll(async () => {
  dir = await createTempRepository();
  backend = new OnnxBackend();
  const accPath = await writeModelFile(dir, 'acc', accumulateModel().onnx);
  const identPath = await writeModelFile(dir, 'ident', identityModel('FP32', { batch: true, dims: [-1] }).onnx);
  const spec = (name: string) => ({ name, kind: 'KIND_CPU' as const, deviceId: 0 });
  accumulate = await Promise.all([0, 1].map((i) => backend.createInstance(loadContext(accPath, accumulateConfig({})), spec(`acc_${i}`))));
  identity = await backend.createInstance(loadContext(identPath, identityConfig), spec('ident_0'));
});
afterAll(async () => {
  await Promise.all([...accumulate, identity].map((instance) => instance.dispose()));
  await backend.dispose();
  await removeTempRepository(dir);
});

function sequenceParameters(id: number | string, start: boolean, end: boolean): Parameters {
  const parameters: Parameters = { sequence_id: id };
  if (start) parameters.sequence_start = true;
  if (end) parameters.sequence_end = true;
  return parameters;
}

function add(scheduler: SequenceBatcher, id: number | string, value: number, start = false, end = false): Promise<ExecResult> {
  const input = new Tensor('INPUT', 'INT32', [1, 1], Int32Array.of(value));
  return scheduler.enqueue({ inputs: [input], outputs: ['OUTPUT'], batchSize: 1, parameters: sequenceParameters(id, start, end) });
}

const valueOf = (result: ExecResult): number => (outputsOf(result)[0]!.data as Int32Array)[0]!;

/** Runs `steps` steps of each sequence (values id, id, ...), the sequences concurrently; returns each sequence's sums. */
async function runSequences(scheduler: SequenceBatcher, ids: readonly number[], steps: number): Promise<number[][]> {
  return Promise.all(
    ids.map(async (id) => {
      const sums: number[] = [];
      for (let i = 0; i < steps; i++) sums.push(valueOf(await add(scheduler, id, id, i === 0, i === steps - 1)));
      return sums;
    }),
  );
}

const executions = (instances: readonly OnnxInstance[]) => instances.reduce((sum, instance) => sum + instance.executionCount, 0);

describe('SequenceBatcher, direct strategy', () => {
  it('batches concurrent sequences into one run per step, each sequence in its own row', async () => {
    const stats = new ModelStats('acc', 1);
    const config = accumulateConfig({ direct: { max_queue_delay_microseconds: 200_000, minimum_slot_utilization: 1 } });
    const scheduler = new SequenceBatcher("model 'acc' version 1", config, [accumulate[0]!], stats);
    const before = executions(accumulate);
    const sums = await runSequences(scheduler, [1, 2, 3, 4], 5);
    expect(sums).toEqual([1, 2, 3, 4].map((id) => [1, 2, 3, 4, 5].map((n) => n * id)));
    // 20 requests, 4 slots all ready each time: 5 runs of 4 rows.
    expect(executions(accumulate) - before).toBe(5);
    const snapshot = stats.snapshot();
    expect(snapshot.execution_count).toBe(5);
    expect(snapshot.batch_stats.map((batch) => [batch.batch_size, batch.compute_infer.count])).toEqual([[4, 5]]);
    await scheduler.drain();
  });

  it('runs without a queue delay as soon as any slot is ready, still fewer runs than requests', async () => {
    const scheduler = new SequenceBatcher("model 'acc' version 1", accumulateConfig({}), [accumulate[0]!]);
    const before = executions(accumulate);
    const sums = await runSequences(scheduler, [5, 6, 7, 8], 6);
    expect(sums.map((row) => row[5])).toEqual([30, 36, 42, 48]);
    expect(executions(accumulate) - before).toBeLessThan(24);
    await scheduler.drain();
  });

  it('spreads sequences over the instances, lowest slot first', async () => {
    const scheduler = new SequenceBatcher("model 'acc' version 1", accumulateConfig({}), accumulate);
    const before = accumulate.map((instance) => instance.executionCount);
    const sums = await runSequences(scheduler, [1, 2], 3);
    expect(sums).toEqual([
      [1, 2, 3],
      [2, 4, 6],
    ]);
    // Slot 0 of each instance first: one sequence on each.
    expect(accumulate.map((instance, i) => instance.executionCount - before[i]!)).toEqual([3, 3]);
    await scheduler.drain();
  });

  it('never puts requests whose shapes differ in one run; their slots get filler rows', async () => {
    const stats = new ModelStats('ident', 1);
    const scheduler = new SequenceBatcher("model 'ident' version 1", identityConfig, [identity], stats);
    const send = (id: number, length: number) =>
      scheduler.enqueue({
        inputs: [new Tensor('INPUT0', 'FP32', [1, length], new Float32Array(length).fill(id))],
        outputs: ['OUTPUT0'],
        batchSize: 1,
        parameters: sequenceParameters(id, true, true),
      });
    const before = identity.executionCount;
    const results = await Promise.all([send(1, 3), send(2, 5), send(3, 3)]);
    results.forEach((result, i) => {
      const [output] = outputsOf(result);
      expect(output!.shape).toEqual([1, [3, 5, 3][i]]);
      expect(Array.from(output!.data as Float32Array).every((v) => v === i + 1)).toBe(true);
    });
    // Slots 0 and 2 (length 3) run together with a filler in slot 1; slot 1 (length 5) runs after, behind a filler in slot 0.
    expect(identity.executionCount - before).toBe(2);
    expect(stats.snapshot().batch_stats.map((batch) => batch.batch_size).sort()).toEqual([2, 3]);
    await scheduler.drain();
  });
});

describe('SequenceBatcher, oldest strategy', () => {
  it('forms dynamic batches of the oldest request of each sequence', async () => {
    const stats = new ModelStats('acc', 1);
    const config = accumulateConfig({ oldest: { max_candidate_sequences: 4, preferred_batch_size: [4], max_queue_delay_microseconds: 200_000 } });
    const scheduler = new SequenceBatcher("model 'acc' version 1", config, [accumulate[1]!], stats);
    const before = executions(accumulate);
    const sums = await runSequences(scheduler, [10, 20, 30, 40], 4);
    expect(sums).toEqual([10, 20, 30, 40].map((id) => [1, 2, 3, 4].map((n) => n * id)));
    expect(executions(accumulate) - before).toBe(4);
    expect(stats.snapshot().batch_stats.map((batch) => batch.batch_size)).toEqual([4]);
    await scheduler.drain();
  });

  it('lets a sequence beyond the candidates wait for one to end', async () => {
    const config = accumulateConfig({ oldest: { max_candidate_sequences: 1, preferred_batch_size: [4] } });
    const scheduler = new SequenceBatcher("model 'acc' version 1", config, [accumulate[1]!]);
    const first = add(scheduler, 1, 1, true);
    const second = add(scheduler, 2, 2, true, true);
    const firstEnd = add(scheduler, 1, 1, false, true);
    const order: number[] = [];
    await Promise.all([first, second, firstEnd].map((p, i) => p.then(() => order.push(i))));
    expect(valueOf(await firstEnd)).toBe(2);
    expect(valueOf(await second)).toBe(2);
    expect(order.indexOf(2)).toBeLessThan(order.indexOf(1)); // sequence 2 ran only after sequence 1 ended
    await scheduler.drain();
  });
});

describe('SequenceBatcher lifecycle', () => {
  it('drains: refuses new requests, finishes accepted ones, and releases sequences that never ended', async () => {
    const scheduler = new SequenceBatcher("model 'acc' version 1", accumulateConfig({ direct: {} }), [accumulate[0]!]);
    expect(valueOf(await add(scheduler, 1, 1, true))).toBe(1);
    const accepted = add(scheduler, 1, 2);
    const drained = scheduler.drain();
    const refused = await add(scheduler, 1, 3);
    expect(refused).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: "model 'acc' version 1 is unloading" }, rejected: true });
    expect(valueOf(await accepted)).toBe(3);
    await drained;
    expect(scheduler.inflightCount).toBe(0);
  });
});
