import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { ModelState } from '../../runtime/server/server-api.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { addSubModel, createTempRepository, identityModel, removeTempRepository, slowModel, writeFixture, writeModel } from '../support/onnx-fixtures.ts';
import { addSubInputs, memoryLogger } from './support.ts';
import { errorOf } from '../support/rejection.ts';

let repo: string;
let server: Server | undefined;

beforeEach(async () => {
  repo = await createTempRepository();
});
afterEach(async () => {
  await server?.close();
  server = undefined;
  await removeTempRepository(repo);
});

async function start(options: Partial<Parameters<typeof createServer>[0]> = {}): Promise<Server> {
  server = await createServer({ modelRepository: repo, log: memoryLogger(), ...options });
  return server;
}


describe('server with ONNX models', () => {
  it('runs the add/sub model and echoes the request id', async () => {
    await writeFixture(repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }));
    const s = await start();
    expect(s.isReady()).toBe(true);
    const response = await s.infer({ model: 'simple', id: 'req-1', inputs: addSubInputs(2) });
    expect(response).toMatchObject({ model: 'simple', version: '1', id: 'req-1' });
    const [sum, difference] = response.outputs;
    expect(sum!.name).toBe('OUTPUT0');
    expect(sum!.shape).toEqual([2, 16]);
    expect(Array.from(sum!.data as Int32Array).slice(0, 4)).toEqual([1, 2, 3, 4]);
    expect(Array.from(difference!.data as Int32Array).slice(0, 4)).toEqual([-1, 0, 1, 2]);
  });

  it('returns only the requested outputs', async () => {
    await writeFixture(repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }));
    const s = await start();
    const response = await s.infer({ model: 'simple', inputs: addSubInputs(), outputs: [{ name: 'OUTPUT1' }] });
    expect(response.outputs.map((t) => t.name)).toEqual(['OUTPUT1']);
  });

  it('reports metadata with the batch dimension and the platform', async () => {
    await writeFixture(repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }));
    const s = await start();
    expect(s.modelMetadata('simple')).toEqual({
      name: 'simple',
      versions: ['1'],
      platform: 'onnxruntime_onnx',
      inputs: [
        { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'INPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
      outputs: [
        { name: 'OUTPUT0', datatype: 'INT32', shape: [-1, 16] },
        { name: 'OUTPUT1', datatype: 'INT32', shape: [-1, 16] },
      ],
    });
  });

  it('keeps serving the good models when one has a broken config or a corrupt model file', async () => {
    await writeFixture(repo, 'good', identityModel('FP32', { batch: true, dims: [-1] }));
    await writeModel(repo, 'broken_config', { onnx: identityModel('FP32', { batch: true, dims: [-1] }).onnx, config: 'name: "broken_config"\nmax_batch_size: [\n' });
    await writeModel(repo, 'corrupt_model', { onnx: new TextEncoder().encode('this is not an onnx file'), config: 'platform: "onnxruntime_onnx"\n' });
    const s = await start();
    expect(s.isModelReady('good')).toBe(true);
    expect(s.isModelReady('broken_config')).toBe(false);
    expect(s.isReady()).toBe(false); // strict readiness: not every model is ready
    const index = await s.repositoryIndex();
    const byName = Object.fromEntries(index.map((entry) => [entry.name, entry]));
    expect(byName.good).toMatchObject({ version: '1', state: ModelState.Ready });
    expect(byName.broken_config!.state).toBe(ModelState.Unavailable);
    expect(byName.broken_config!.reason).toMatch(/config\.pbtxt:\d+:\d+/);
    expect(byName.corrupt_model!.state).toBe(ModelState.Unavailable);
    expect(byName.corrupt_model!.reason).toMatch(/corrupt_model/);
    const error = await errorOf(s.infer({ model: 'broken_config', inputs: [] }));
    expect(error.code).toBe('UNAVAILABLE');
    const ok = await s.infer({ model: 'good', inputs: [new Tensor('INPUT0', 'FP32', [1, 3], new Float32Array([1, 2, 3]))] });
    expect(Array.from(ok.outputs[0]!.data as Float32Array)).toEqual([1, 2, 3]);
  });

  it('answers NOT_FOUND for unknown models and versions, INVALID_ARG for bad requests', async () => {
    await writeFixture(repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }));
    const s = await start();
    expect((await errorOf(s.infer({ model: 'nope', inputs: [] }))).code).toBe('NOT_FOUND');
    expect((await errorOf(s.infer({ model: 'simple', version: '7', inputs: addSubInputs() }))).code).toBe('NOT_FOUND');
    const bad = await errorOf(s.infer({ model: 'simple', inputs: addSubInputs(9) }));
    expect(bad.code).toBe('INVALID_ARG');
    expect(bad.message).toMatch(/batch-size must be <= 8/);
    const reserved = await errorOf(s.infer({ model: 'simple', inputs: addSubInputs(), parameters: { triton_x: 1 } }));
    expect(reserved.message).toMatch(/'triton_x' is reserved/);
  });

  it('follows version_policy and routes requests to a version', async () => {
    const model = identityModel('FP32', { batch: true, dims: [-1] });
    await writeFixture(repo, 'latest', model, { versions: [1, 2, 3] });
    await writeFixture(repo, 'all', model, { versions: [1, 2], extra: 'version_policy: { all: {} }' });
    await writeFixture(repo, 'specific', model, { versions: [1, 2, 3], extra: 'version_policy: { specific: { versions: [1, 3] } }' });
    const s = await start();
    expect(s.modelMetadata('latest').versions).toEqual(['3']);
    expect(s.modelMetadata('all').versions).toEqual(['1', '2']);
    expect(s.modelMetadata('specific').versions).toEqual(['1', '3']);
    expect(s.isModelReady('specific', '2')).toBe(false);
    // infer() takes ownership of input buffers (they may be transferred to a worker), so each call gets its own.
    const input = () => [new Tensor('INPUT0', 'FP32', [1, 1], new Float32Array([5]))];
    expect((await s.infer({ model: 'all', version: '1', inputs: input() })).version).toBe('1');
    expect((await s.infer({ model: 'all', inputs: input() })).version).toBe('2');
  });

  it('auto-completes a model without config.pbtxt from the ONNX file', async () => {
    await writeModel(repo, 'bare', { onnx: addSubModel('FP32', { batch: true, dims: [4] }).onnx });
    const s = await start();
    const config = s.modelConfig('bare');
    expect(config).toMatchObject({ name: 'bare', backend: 'onnxruntime', max_batch_size: 4 });
    expect(config.input).toEqual([
      expect.objectContaining({ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }),
      expect.objectContaining({ name: 'INPUT1', data_type: 'TYPE_FP32', dims: [4] }),
    ]);
    const a = new Tensor('INPUT0', 'FP32', [1, 4], new Float32Array([1, 2, 3, 4]));
    const b = new Tensor('INPUT1', 'FP32', [1, 4], new Float32Array([1, 1, 1, 1]));
    const response = await s.infer({ model: 'bare', inputs: [a, b] });
    expect(Array.from(response.outputs[0]!.data as Float32Array)).toEqual([2, 3, 4, 5]);
  });

  it('refuses to auto-complete with --strict-model-config', async () => {
    await writeModel(repo, 'bare', { onnx: addSubModel('FP32', { batch: true, dims: [4] }).onnx });
    const s = await start({ strictModelConfig: true });
    const [entry] = await s.repositoryIndex();
    expect(entry).toMatchObject({ name: 'bare', state: ModelState.Unavailable });
    expect(entry!.reason).toMatch(/strict-model-config/);
  });

  it('rejects a config that disagrees with the model file, naming the tensor', async () => {
    const model = addSubModel('INT32', { batch: true, dims: [16] });
    await writeModel(repo, 'mismatch', {
      onnx: model.onnx,
      config: [
        'platform: "onnxruntime_onnx"',
        'max_batch_size: 8',
        'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [16] }, { name: "INPUT1" data_type: TYPE_INT32 dims: [16] } ]',
        'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [16] } ]',
      ].join('\n'),
    });
    const s = await start();
    const [entry] = await s.repositoryIndex();
    expect(entry!.state).toBe(ModelState.Unavailable);
    expect(entry!.reason).toMatch(/INPUT0/);
  });
});

describe('model control modes', () => {
  it('explicit mode loads only --load-model names, then what the API asks', async () => {
    const model = identityModel('FP32', { batch: true, dims: [-1] });
    await writeFixture(repo, 'a', model);
    await writeFixture(repo, 'b', model);
    const s = await start({ modelControlMode: 'explicit', loadModels: ['a'] });
    expect(s.isModelReady('a')).toBe(true);
    expect(s.isModelReady('b')).toBe(false);
    expect(await s.repositoryIndex()).toEqual([{ name: 'a', version: '1', state: 'READY', reason: '' }, { name: 'b' }]);
    await s.loadModel('b');
    expect(s.isModelReady('b')).toBe(true);
    await s.unloadModel('a');
    expect(s.isModelReady('a')).toBe(false);
    expect(s.isReady()).toBe(true); // an unloaded model does not make the server unready
    expect((await errorOf(s.infer({ model: 'a', inputs: [] }))).code).toBe('UNAVAILABLE');
    expect((await errorOf(s.loadModel('missing'))).message).toMatch(/no model directory named 'missing'/);
  });

  it('explicit load takes a config override as JSON', async () => {
    await writeFixture(repo, 'm', identityModel('FP32', { batch: true, dims: [-1] }));
    const s = await start({ modelControlMode: 'explicit' });
    await s.loadModel('m', { config: JSON.stringify({ name: 'm', backend: 'onnxruntime', max_batch_size: 2 }) });
    expect(s.modelConfig('m').max_batch_size).toBe(2);
  });

  it('explicit load with override files builds the model from them', async () => {
    const s = await start({ modelControlMode: 'explicit' });
    const onnx = identityModel('FP32', { batch: true, dims: [-1] }).onnx;
    await s.loadModel('from_files', { config: JSON.stringify({ backend: 'onnxruntime' }), files: { '1/model.onnx': onnx } });
    expect(s.isModelReady('from_files')).toBe(true);
  });

  it('mode none refuses load and unload requests', async () => {
    const s = await start();
    const error = await errorOf(s.loadModel('anything'));
    expect(error.code).toBe('UNAVAILABLE');
    expect(error.message).toMatch(/--model-control-mode=explicit/);
  });

  it('poll mode loads new models, reloads changed ones and unloads removed ones', async () => {
    const model = identityModel('FP32', { batch: true, dims: [-1] });
    await writeFixture(repo, 'first', model);
    const s = await start({ modelControlMode: 'poll', repositoryPollSecs: 0.2 });
    expect(s.isModelReady('first')).toBe(true);
    await writeFixture(repo, 'second', model);
    await expect.poll(() => s.isModelReady('second'), { timeout: 10_000 }).toBe(true);
    await writeFile(join(repo, 'first', 'config.pbtxt'), 'platform: "onnxruntime_onnx"\nmax_batch_size: 3\n');
    await expect.poll(() => s.modelConfig('first').max_batch_size, { timeout: 10_000 }).toBe(3);
    await removeTempRepository(join(repo, 'second'));
    await expect.poll(() => s.isModelReady('second'), { timeout: 10_000 }).toBe(false);
  });
});

describe('in-flight requests', () => {
  it('unload lets an in-flight request finish and refuses new ones', async () => {
    await writeFixture(repo, 'slow', slowModel({ layers: 3000 }));
    const s = await start({ modelControlMode: 'explicit', loadModels: ['slow'] });
    const input = new Tensor('INPUT0', 'FP32', [1, 256], new Float32Array(256).fill(0.001));
    const running = s.infer({ model: 'slow', inputs: [input] });
    const unloading = s.unloadModel('slow');
    await expect.poll(() => s.isModelReady('slow')).toBe(false);
    const later = await errorOf(s.infer({ model: 'slow', inputs: [input] }));
    expect(later.code).toBe('UNAVAILABLE');
    const response = await running;
    expect(response.outputs[0]!.shape).toEqual([1, 256]);
    await unloading;
  });
});

describe('instance failure', () => {
  it('replaces an instance whose worker thread dies; only its request fails', async () => {
    const { OnnxBackend } = await import('../../runtime/backends/onnx/onnx-backend.ts');
    const { CRASH_VALUE } = await import('../backends/support/onnx-test-worker-signals.ts');
    const workerUrl = new URL('../backends/support/onnx-test-worker.ts', import.meta.url);
    await writeFixture(repo, 'fragile', identityModel('FP32', { batch: true, dims: [-1] }), { instanceGroup: { count: 1, kind: 'KIND_CPU' } });
    const log = memoryLogger();
    const s = await start({ backends: [new OnnxBackend({ workerUrl })], log });
    const tensor = (value: number) => [new Tensor('INPUT0', 'FP32', [1, 2], new Float32Array([value, 1]))];
    const crash = await errorOf(s.infer({ model: 'fragile', inputs: tensor(CRASH_VALUE) }));
    expect(crash.code).toBe('INTERNAL');
    expect(crash.message).toMatch(/model 'fragile' instance 'fragile_0_0'.*exited unexpectedly/);
    await expect
      .poll(async () => (await s.infer({ model: 'fragile', inputs: tensor(7) }).catch((e: Error) => e)) instanceof Error, { timeout: 10_000 })
      .toBe(false);
    const response = await s.infer({ model: 'fragile', inputs: tensor(3) });
    expect(Array.from(response.outputs[0]!.data as Float32Array)).toEqual([3, 1]);
    expect(log.lines.some((line) => line.includes("instance 'fragile_0_0' replaced"))).toBe(true);
  });
});
