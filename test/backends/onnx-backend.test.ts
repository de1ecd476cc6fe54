/**
 * The ONNX Runtime backend with real models and real worker threads.
 */
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { BroadcastChannel } from 'node:worker_threads';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { BackendInstance } from '../../runtime/backends/backend.ts';
import { ortBinaryDir } from '../../runtime/backends/onnx/cuda-provider.ts';
import { OnnxBackend } from '../../runtime/backends/onnx/onnx-backend.ts';
import { OnnxInstance } from '../../runtime/backends/onnx/onnx-instance.ts';
import { GraphBuilder } from '../../scripts/onnx/graph-builder.ts';
import type { DataType } from '../../sdk/datatypes.ts';
import type { ErrorData } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { Tensor } from '../../sdk/tensor.ts';
import {
  addSubModel,
  createTempRepository,
  fixedShapeModel,
  identityModel,
  mlpModel,
  ORT_DATATYPES,
  removeTempRepository,
  sampleData,
  slowModel,
} from '../support/onnx-fixtures.ts';
import { withExternalData } from './support/external-data.ts';
import { CPU_0, loadContext, memoryLogger, outputsOf, request, runOnce, writeModelFile } from './support/onnx-harness.ts';
import { CRASH_INPUT, TEST_CHANNEL } from './support/onnx-test-worker-signals.ts';

const SIMPLE = fileURLToPath(new URL('../../models/simple/1/model.onnx', import.meta.url));
const TEST_WORKER = new URL('./support/onnx-test-worker.ts', import.meta.url);

let dir: string;
const backend = new OnnxBackend();
const instances: BackendInstance[] = [];

async function instanceOf(modelPath: string, config: ModelConfig, target = backend): Promise<OnnxInstance> {
  const instance = await target.createInstance(loadContext(modelPath, config), { ...CPU_0, name: `${config.name}_0` });
  instances.push(instance);
  return instance;
}

async function loadError(promise: Promise<unknown>): Promise<ErrorData> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code: ErrorData['code'] }).code, message: (error as Error).message };
  }
  throw new Error('expected a load error');
}

const int32 = (name: string, shape: number[], values: number[]) => new Tensor(name, 'INT32', shape, Int32Array.from(values));
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

beforeAll(async () => {
  dir = await createTempRepository('nereid-onnx-');
});
afterEach(async () => {
  await Promise.allSettled(instances.splice(0).map((instance) => instance.dispose()));
});
afterAll(async () => {
  await backend.dispose();
  await removeTempRepository(dir);
});

describe('OnnxBackend: identity and signatures', () => {
  it('is the onnxruntime backend for onnxruntime_onnx model.onnx files', () => {
    expect(backend.name).toBe('onnxruntime');
    expect(backend.platforms).toEqual(['onnxruntime_onnx']);
    expect(backend.defaultModelFilename).toBe('model.onnx');
  });

  it('never loads onnxruntime-node on the main thread', async () => {
    const instance = await instanceOf(SIMPLE, { name: 'simple', max_batch_size: 8 });
    await runOnce(instance, [int32('INPUT0', [1, 16], range(16)), int32('INPUT1', [1, 16], range(16))], ['OUTPUT0']);
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    expect(loaded.filter((file) => file.includes(`${path.sep}onnxruntime-node${path.sep}`))).toEqual([]);
  });

  it('reads the signature of the bundled simple model, dynamic dims as -1', async () => {
    const signature = await backend.readSignature(SIMPLE, { name: 'simple' }, memoryLogger());
    const tensor = (name: string) => ({ name, datatype: 'INT32', shape: [-1, 16] });
    expect(signature).toEqual({ inputs: [tensor('INPUT0'), tensor('INPUT1')], outputs: [tensor('OUTPUT0'), tensor('OUTPUT1')] });
  });

  it('reads fixed shapes', async () => {
    const modelPath = await writeModelFile(dir, 'fixed', fixedShapeModel().onnx);
    const signature = await backend.readSignature(modelPath, { name: 'fixed' }, memoryLogger());
    expect(signature.inputs).toEqual([{ name: 'INPUT0', datatype: 'FP32', shape: [2, 3] }]);
    expect(signature.outputs.map((output) => output.shape)).toEqual([[3, 2], [6]]);
  });

  it('loads a model.onnx directory holding model.onnx and its external data', async () => {
    const model = withExternalData(mlpModel().onnx, 'mlp.data');
    const modelDir = path.join(dir, 'external', '1', 'model.onnx');
    await mkdir(modelDir, { recursive: true });
    await writeFile(path.join(modelDir, 'model.onnx'), model.onnx);
    await writeFile(path.join(modelDir, 'mlp.data'), model.data);
    expect(model.data.byteLength).toBeGreaterThan(30_000); // the weights really are outside the model file
    const config = { name: 'external', max_batch_size: 8 };
    const signature = await backend.readSignature(modelDir, config, memoryLogger());
    expect(signature.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 64] }]);
    const instance = await instanceOf(modelDir, config);
    const out = await runOnce(instance, [new Tensor('input', 'FP32', [2, 64], new Float32Array(128).fill(0.5))], ['probabilities']);
    const probabilities = out.probabilities!;
    expect(probabilities.shape).toEqual([2, 10]);
    const rowSum = (probabilities.data as Float32Array).subarray(0, 10).reduce((a, b) => a + b, 0);
    expect(rowSum).toBeCloseTo(1, 5);
  });
});

describe('OnnxBackend: load errors', () => {
  it('a corrupt model file fails to load with a message naming the model, the file and ORT', async () => {
    const modelPath = await writeModelFile(dir, 'corrupt', new TextEncoder().encode('this is not an onnx model'));
    const error = await loadError(backend.createInstance(loadContext(modelPath, { name: 'corrupt' }), CPU_0));
    expect(error.code).toBe('INTERNAL');
    expect(error.message).toContain("model 'corrupt' instance 'm_0': ONNX Runtime could not load");
    expect(error.message).toContain(modelPath);
    expect(error.message).toMatch(/protobuf parsing failed/i);
    const probe = await loadError(backend.readSignature(modelPath, { name: 'corrupt' }, memoryLogger()));
    expect(probe.message).toMatch(/^model 'corrupt': ONNX Runtime could not load/);
  });

  it('a missing model file is UNAVAILABLE, as in Triton', async () => {
    const error = await loadError(backend.createInstance(loadContext(path.join(dir, 'nope', '1', 'model.onnx'), { name: 'nope' }), CPU_0));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/^model 'nope' instance 'm_0': unable to find '.*model\.onnx'/);
  });

  it('BF16 is refused clearly, from the config or from the model file', async () => {
    const g = new GraphBuilder('bf16');
    const x = g.input('INPUT0', 'BF16', [4]);
    g.output(g.op('Identity', [x], { outputs: ['OUTPUT0'] }), 'BF16', [4]);
    const modelPath = await writeModelFile(dir, 'bf16', g.toModelBytes());
    const fromFile = await loadError(backend.readSignature(modelPath, { name: 'bf16' }, memoryLogger()));
    expect(fromFile.code).toBe('UNSUPPORTED');
    expect(fromFile.message).toMatch(/^model 'bf16': the model has a BF16 \(bfloat16\) input or output, which onnxruntime-node cannot exchange/);
    const config: ModelConfig = { name: 'bf16', input: [{ name: 'INPUT0', data_type: 'TYPE_BF16', dims: [4] }] };
    const fromConfig = await loadError(backend.createInstance(loadContext(modelPath, config), CPU_0));
    expect(fromConfig).toEqual({
      code: 'UNSUPPORTED',
      message: "model 'bf16' instance 'm_0': 'INPUT0' is TYPE_BF16, which onnxruntime-node cannot exchange; use FP16 or FP32 at the model's boundary",
    });
  });

  const cudaInstalled = existsSync(path.join(ortBinaryDir(), 'libonnxruntime_providers_cuda.so'));
  it.skipIf(cudaInstalled)('KIND_GPU without the CUDA provider fails with how to install it (no CPU fallback)', async () => {
    expect(backend.gpuAvailable()).toBe(false);
    const error = await loadError(backend.createInstance(loadContext(SIMPLE, { name: 'simple' }), { name: 'simple_0', kind: 'KIND_GPU', deviceId: 0 }));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/^model 'simple' instance 'simple_0': KIND_GPU needs ONNX Runtime's CUDA execution provider, but/);
    if (process.platform === 'linux' && process.arch === 'x64') {
      expect(error.message).toContain('libonnxruntime_providers_cuda.so');
      expect(error.message).toContain('npm ci --onnxruntime-node-install=cuda12');
      expect(error.message).toContain('ONNXRUNTIME_NODE_INSTALL=cuda12');
    }
  });
});

describe('OnnxInstance: results', () => {
  it('adds and subtracts with the bundled simple model', async () => {
    const instance = await instanceOf(SIMPLE, { name: 'simple', max_batch_size: 8 });
    const a = range(16);
    const b = range(16).map(() => 1);
    const out = await runOnce(instance, [int32('INPUT0', [1, 16], a), int32('INPUT1', [1, 16], b)], ['OUTPUT0', 'OUTPUT1']);
    expect(out.OUTPUT0!.datatype).toBe('INT32');
    expect(out.OUTPUT0!.shape).toEqual([1, 16]);
    expect(Array.from(out.OUTPUT0!.data as Int32Array)).toEqual(a.map((x) => x + 1));
    expect(Array.from(out.OUTPUT1!.data as Int32Array)).toEqual(a.map((x) => x - 1));
  });

  it('returns only the requested outputs, in the order asked for', async () => {
    const instance = await instanceOf(SIMPLE, { name: 'simple', max_batch_size: 8 });
    const [result] = await instance.execute([request([int32('INPUT0', [1, 16], range(16)), int32('INPUT1', [1, 16], range(16))], ['OUTPUT1'])]);
    expect(outputsOf(result).map((tensor) => tensor.name)).toEqual(['OUTPUT1']);
  });

  it.each(ORT_DATATYPES)('round-trips %s through an identity model', async (datatype: DataType) => {
    const modelPath = await writeModelFile(dir, `identity_${datatype}`, identityModel(datatype, { batch: true, dims: [3] }).onnx);
    const instance = await instanceOf(modelPath, { name: `identity_${datatype}`, max_batch_size: 8 });
    const data = sampleData(datatype, 6);
    const out = await runOnce(instance, [new Tensor('INPUT0', datatype, [2, 3], data)], ['OUTPUT0']);
    const output = out.OUTPUT0!;
    expect(output.datatype).toBe(datatype);
    expect(output.shape).toEqual([2, 3]);
    if (datatype === 'BYTES') {
      expect(output.strings()).toEqual(new Tensor('X', 'BYTES', [6], sampleData('BYTES', 6)).strings());
    } else {
      expect(output.data.constructor).toBe(data.constructor);
      expect(Array.from(output.data as ArrayLike<number | bigint>)).toEqual(Array.from(sampleData(datatype, 6) as ArrayLike<number | bigint>));
    }
  });

  it('refuses BYTES elements that ORT string tensors cannot hold, for that request only', async () => {
    const modelPath = await writeModelFile(dir, 'identity_text', identityModel('BYTES', { batch: true, dims: [1] }).onnx);
    const instance = await instanceOf(modelPath, { name: 'identity_text', max_batch_size: 8 });
    const bytes = (element: number[]) => new Tensor('INPUT0', 'BYTES', [1, 1], [Uint8Array.from(element)]);
    const results = await instance.execute([
      request([bytes([0xff, 0xfe])], ['OUTPUT0']),
      request([bytes([0x61, 0x00, 0x62])], ['OUTPUT0']),
      request([Tensor.fromStrings('INPUT0', [1, 1], ['héllo'])], ['OUTPUT0']),
    ]);
    expect(results[0]).toMatchObject({ ok: false, error: { code: 'INVALID_ARG' } });
    expect(!results[0]!.ok && results[0]!.error.message).toMatch(/^model 'identity_text' instance 'identity_text_0': input 'INPUT0' element 0 is not valid UTF-8/);
    expect(!results[1]!.ok && results[1]!.error.message).toMatch(/contains a NUL byte/);
    expect(outputsOf(results[2])[0]!.strings()).toEqual(['héllo']);
  });

  it('concatenates several requests along the batch dim, runs once and splits the outputs back', async () => {
    const modelPath = await writeModelFile(dir, 'add_sub_batch', addSubModel('INT32', { batch: true, dims: [4] }).onnx);
    const instance = await instanceOf(modelPath, { name: 'add_sub_batch', max_batch_size: 8 });
    const make = (batch: number, base: number, outputs: string[]) =>
      request([int32('INPUT0', [batch, 4], range(batch * 4, base)), int32('INPUT1', [batch, 4], range(batch * 4).map(() => 100))], outputs, batch);
    const before = instance.executionCount;
    const results = await instance.execute([make(1, 0, ['OUTPUT0', 'OUTPUT1']), make(2, 10, ['OUTPUT1']), make(3, 20, ['OUTPUT0'])]);
    expect(instance.executionCount - before).toBe(1);
    const [first, second, third] = results.map(outputsOf);
    expect(first!.map((t) => [t.name, t.shape])).toEqual([['OUTPUT0', [1, 4]], ['OUTPUT1', [1, 4]]]);
    expect(Array.from(first![0]!.data as Int32Array)).toEqual(range(4, 100));
    expect(second!.map((t) => [t.name, t.shape])).toEqual([['OUTPUT1', [2, 4]]]);
    expect(Array.from(second![0]!.data as Int32Array)).toEqual(range(8, 10).map((x) => x - 100));
    expect(third!.map((t) => [t.name, t.shape])).toEqual([['OUTPUT0', [3, 4]]]);
    expect(Array.from(third![0]!.data as Int32Array)).toEqual(range(12, 120));
  });

  it('runs requests one by one when the model does not batch or their shapes disagree', async () => {
    const modelPath = await writeModelFile(dir, 'add_sub_any', addSubModel('FP32', { batch: true, dims: [-1] }).onnx);
    const make = (batch: number, width: number) => {
      const x = new Tensor('INPUT0', 'FP32', [batch, width], new Float32Array(batch * width).fill(2));
      return request([x, new Tensor('INPUT1', 'FP32', [batch, width], new Float32Array(batch * width).fill(1))], ['OUTPUT0'], batch);
    };
    const batching = await instanceOf(modelPath, { name: 'add_sub_any', max_batch_size: 8 });
    let results = await batching.execute([make(1, 2), make(1, 3)]);
    expect(batching.executionCount).toBe(2);
    expect(results.map((r) => outputsOf(r)[0]!.shape)).toEqual([[1, 2], [1, 3]]);
    const plain = await instanceOf(modelPath, { name: 'add_sub_any', max_batch_size: 0 });
    results = await plain.execute([make(1, 2), make(1, 2)]);
    expect(plain.executionCount).toBe(2);
    expect(results.every((r) => r.ok)).toBe(true);
  });

  it('answers a request the model rejects with an error for that request, and keeps working', async () => {
    const instance = await instanceOf(SIMPLE, { name: 'simple', max_batch_size: 8 });
    const good = () => request([int32('INPUT0', [1, 16], range(16)), int32('INPUT1', [1, 16], range(16))], ['OUTPUT0']);
    const bad = request([int32('INPUT0', [1, 3], [1, 2, 3]), int32('INPUT1', [1, 3], [1, 2, 3])], ['OUTPUT0']);
    const results = await instance.execute([good(), bad, good()]);
    expect(results[0]!.ok && results[2]!.ok).toBe(true);
    expect(results[1]!.ok).toBe(false);
    const error = !results[1]!.ok ? results[1]!.error : undefined;
    expect(error?.code).toBe('INTERNAL');
    expect(error?.message).toMatch(/^model 'simple' instance 'simple_0': ONNX Runtime run failed: Got invalid dimensions for input: INPUT0/);
    expect(outputsOf((await instance.execute([good()]))[0])[0]!.shape).toEqual([1, 16]);
  });
});

describe('OnnxInstance: threads and buffers', () => {
  it('transfers whole-buffer inputs (detached afterwards) and copies views and shared memory', async () => {
    const instance = await instanceOf(SIMPLE, { name: 'simple', max_batch_size: 8 });
    const whole = Int32Array.from(range(16));
    const big = new Int32Array(64).fill(5);
    const view = big.subarray(16, 32);
    const shared = new Int32Array(new SharedArrayBuffer(64)).fill(3);
    const [result] = await instance.execute([
      request([new Tensor('INPUT0', 'INT32', [1, 16], whole), new Tensor('INPUT1', 'INT32', [1, 16], view)], ['OUTPUT0']),
    ]);
    expect(Array.from(outputsOf(result)[0]!.data as Int32Array)).toEqual(range(16, 5));
    expect(whole.buffer.byteLength).toBe(0); // moved to the worker, not copied
    expect(big.buffer.byteLength).toBe(256); // a view into a bigger buffer is copied, the buffer stays
    expect(Array.from(view)).toEqual(new Array(16).fill(5));
    const [sharedResult] = await instance.execute([
      request([new Tensor('INPUT0', 'INT32', [1, 16], shared), new Tensor('INPUT1', 'INT32', [1, 16], Int32Array.from(range(16)))], ['OUTPUT1']),
    ]);
    expect(Array.from(outputsOf(sharedResult)[0]!.data as Int32Array)).toEqual(range(16).map((x) => 3 - x));
    expect(shared[0]).toBe(3);
    // Outputs arrive as whole buffers of their own.
    const output = outputsOf(sharedResult)[0]!.data as Int32Array;
    expect(output.byteOffset === 0 && output.byteLength === output.buffer.byteLength).toBe(true);
  });

  it('says so when an input was already handed to an earlier execute', async () => {
    const instance = await instanceOf(SIMPLE, { name: 'simple', max_batch_size: 8 });
    const a = new Tensor('INPUT0', 'INT32', [1, 16], Int32Array.from(range(16)));
    const b = () => new Tensor('INPUT1', 'INT32', [1, 16], Int32Array.from(range(16)));
    await instance.execute([request([a, b()], ['OUTPUT0'])]);
    const [again] = await instance.execute([request([a, b()], ['OUTPUT0'])]);
    expect(again).toMatchObject({ ok: false, error: { code: 'INVALID_ARG' } });
    expect(!again!.ok && again!.error.message).toMatch(/input 'INPUT0': its data was detached/);
  });

  it('keeps the main thread free while a slow model runs', async () => {
    const modelPath = await writeModelFile(dir, 'slow', slowModel({ layers: 1000 }).onnx);
    const config: ModelConfig = { name: 'slow', max_batch_size: 0, parameters: { intra_op_thread_count: { string_value: '1' } } };
    const instance = await instanceOf(modelPath, config);
    const input = () => new Tensor('INPUT0', 'FP32', [1024, 256], new Float32Array(1024 * 256).fill(0.01));
    await runOnce(instance, [input()], ['OUTPUT0'], 0); // warm up
    let last = performance.now();
    let worstGap = 0;
    let ticks = 0;
    const timer = setInterval(() => {
      const now = performance.now();
      worstGap = Math.max(worstGap, now - last);
      last = now;
      ticks++;
    }, 5);
    const started = performance.now();
    const out = await runOnce(instance, [input()], ['OUTPUT0'], 0);
    const elapsed = performance.now() - started;
    clearInterval(timer);
    expect(out.OUTPUT0!.shape).toEqual([1024, 256]);
    expect(elapsed).toBeGreaterThan(100); // the run was long enough to matter...
    expect(ticks).toBeGreaterThan(elapsed / 5 / 3); // ...and the timer kept ticking through it
    // Blocked, the worst gap would be the whole run; shared 2-core CI machines add some scheduling noise.
    expect(worstGap, `worst timer gap ${worstGap.toFixed(1)} ms during a ${elapsed.toFixed(0)} ms run`).toBeLessThan(Math.max(50, elapsed / 4));
  });

  it('dispose lets an in-flight run finish, then terminates the thread; later executes fail UNAVAILABLE', async () => {
    const modelPath = await writeModelFile(dir, 'slow_dispose', slowModel({ layers: 200 }).onnx);
    const instance = await instanceOf(modelPath, { name: 'slow_dispose', max_batch_size: 0 });
    const running = instance.execute([request([new Tensor('INPUT0', 'FP32', [512, 256], new Float32Array(512 * 256))], ['OUTPUT0'], 0)]);
    await instance.dispose();
    expect((await running)[0]!.ok).toBe(true);
    expect(instance.threadExited).toBe(true);
    const [late] = await instance.execute([request([new Tensor('INPUT0', 'FP32', [1, 256], new Float32Array(256))], ['OUTPUT0'], 0)]);
    expect(late).toEqual({ ok: false, error: { code: 'UNAVAILABLE', message: "model 'slow_dispose' instance 'slow_dispose_0': the instance is disposed" } });
  });
});

describe('OnnxBackend: worker lifecycle', () => {
  const testBackend = new OnnxBackend({ workerUrl: TEST_WORKER });
  let starts = 0;
  const channel = new BroadcastChannel(TEST_CHANNEL);
  channel.onmessage = () => {
    starts++;
  };
  afterAll(async () => {
    channel.close();
    await testBackend.dispose();
  });
  const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

  it('reuses the worker that read the signature as the first instance', async () => {
    const modelPath = await writeModelFile(dir, 'reuse', addSubModel('INT32', { batch: true, dims: [4] }).onnx);
    const config: ModelConfig = { name: 'reuse', max_batch_size: 8 };
    starts = 0;
    await testBackend.readSignature(modelPath, config, memoryLogger());
    const first = await instanceOf(modelPath, config, testBackend);
    await settle();
    expect(starts).toBe(1);
    const second = await instanceOf(modelPath, config, testBackend);
    await settle();
    expect(starts).toBe(2);
    for (const instance of [first, second]) {
      const out = await runOnce(instance, [int32('INPUT0', [1, 4], [1, 2, 3, 4]), int32('INPUT1', [1, 4], [1, 1, 1, 1])], ['OUTPUT0']);
      expect(Array.from(out.OUTPUT0!.data as Int32Array)).toEqual([2, 3, 4, 5]);
    }
    // Different session options: a fresh load.
    starts = 0;
    await testBackend.readSignature(modelPath, config, memoryLogger());
    await instanceOf(modelPath, { ...config, optimization: { graph: { level: 2 } } }, testBackend);
    await settle();
    expect(starts).toBe(2);
  });

  it('a worker that dies fails its pending requests with INTERNAL, then every later one fast with UNAVAILABLE', async () => {
    const modelPath = await writeModelFile(dir, 'crash', identityModel('FP32', { batch: true, dims: [2] }).onnx);
    const instance = await instanceOf(modelPath, { name: 'crash', max_batch_size: 8 }, testBackend);
    const failures: ErrorData[] = [];
    instance.onFailure((error) => failures.push(error));
    const fine = () => request([new Tensor('INPUT0', 'FP32', [1, 2], new Float32Array(2))], ['OUTPUT0']);
    expect((await instance.execute([fine()]))[0]!.ok).toBe(true);
    const crash = request([new Tensor(CRASH_INPUT, 'FP32', [1, 2], new Float32Array(2))], ['OUTPUT0']);
    const results = await instance.execute([fine(), crash]);
    for (const result of results) {
      expect(result.ok).toBe(false);
      expect(!result.ok && result.error.code).toBe('INTERNAL');
      expect(!result.ok && result.error.message).toBe(
        "model 'crash' instance 'crash_0': the ONNX Runtime worker thread exited unexpectedly (exit code 70)",
      );
    }
    expect(failures).toHaveLength(1);
    expect(instance.failure?.code).toBe('INTERNAL');
    expect(instance.threadExited).toBe(true);
    const [later] = await instance.execute([fine()]);
    expect(later).toMatchObject({ ok: false, error: { code: 'UNAVAILABLE' } });
    expect(!later!.ok && later!.error.message).toMatch(/^model 'crash' instance 'crash_0': unavailable since an earlier failure/);
    await instance.dispose();
  });
});
