import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OnnxBackend } from '../../runtime/backends/onnx/onnx-backend.ts';
import type { OnnxInstance } from '../../runtime/backends/onnx/onnx-instance.ts';
import { DirectScheduler, PIPELINE_DEPTH } from '../../runtime/scheduler/direct-scheduler.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { createTempRepository, removeTempRepository, slowModel } from '../support/onnx-fixtures.ts';
import { loadContext, outputsOf, request, writeModelFile } from '../backends/support/onnx-harness.ts';

const config: ModelConfig = {
  name: 'slow',
  max_batch_size: 8,
  input: [{ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [256] }],
  output: [{ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [256] }],
};

let dir: string;
let backend: OnnxBackend;
let instances: OnnxInstance[];

beforeAll(async () => {
  dir = await createTempRepository();
  const modelPath = await writeModelFile(dir, 'slow', slowModel({ layers: 200 }).onnx);
  backend = new OnnxBackend();
  instances = await Promise.all(
    [0, 1].map((i) => backend.createInstance(loadContext(modelPath, config), { name: `slow_${i}`, kind: 'KIND_CPU', deviceId: 0 })),
  );
});
afterAll(async () => {
  await Promise.all(instances.map((instance) => instance.dispose()));
  await backend.dispose();
  await removeTempRepository(dir);
});

const input = (value: number) => new Tensor('INPUT0', 'FP32', [1, 256], new Float32Array(256).fill(value));
const executions = () => instances.map((instance) => instance.executionCount);

describe('DirectScheduler on real ONNX instances', () => {
  it('gives concurrent requests to idle instances first', async () => {
    const scheduler = new DirectScheduler("model 'slow'", instances);
    const before = executions();
    const results = await Promise.all([scheduler.enqueue(request([input(1)], ['OUTPUT0'])), scheduler.enqueue(request([input(2)], ['OUTPUT0']))]);
    results.forEach((result) => expect(outputsOf(result)[0]!.shape).toEqual([1, 256]));
    const after = executions();
    expect(after.map((count, i) => count - before[i]!)).toEqual([1, 1]);
  });

  it('runs more requests than instances can hold, each with its own answer, and counts them in flight', async () => {
    const scheduler = new DirectScheduler("model 'slow'", [instances[0]!]);
    const count = PIPELINE_DEPTH * 3;
    const pending = Array.from({ length: count }, (_, i) => scheduler.enqueue(request([input(i / 1000)], ['OUTPUT0'])));
    expect(scheduler.inflightCount).toBe(count);
    const results = await Promise.all(pending);
    const firsts = results.map((result) => (outputsOf(result)[0]!.data as Float32Array)[0]);
    expect(new Set(firsts).size).toBe(count); // distinct inputs give distinct outputs: no cross-talk
    expect(scheduler.inflightCount).toBe(0);
  });

  it('drains accepted requests and refuses new ones while draining', async () => {
    const scheduler = new DirectScheduler("model 'slow'", instances);
    const accepted = scheduler.enqueue(request([input(1)], ['OUTPUT0']));
    const drained = scheduler.drain();
    const refused = await scheduler.enqueue(request([input(1)], ['OUTPUT0']));
    expect(refused).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: "model 'slow' is unloading" }, rejected: true });
    expect((await accepted).ok).toBe(true);
    await drained;
    expect(scheduler.inflightCount).toBe(0);
  });

  it('turns an instance failure into that request\'s error', async () => {
    const scheduler = new DirectScheduler("model 'slow'", instances);
    const wrong = new Tensor('INPUT0', 'FP32', [1, 3], new Float32Array(3));
    const result = await scheduler.enqueue(request([wrong], ['OUTPUT0']));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/model 'slow' instance 'slow_\d'/);
  });
});
