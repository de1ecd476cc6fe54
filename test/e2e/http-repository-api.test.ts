/**
 * The model repository extension on the real server: index, load, unload,
 * load with a config override and with model files sent in the request, in
 * explicit mode; and the refusal of load/unload in mode none.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSubModel, createTempRepository, identityModel, removeTempRepository, writeFixture, writeModel } from '../support/onnx-fixtures.ts';
import { expectError, postJson, startE2e, type E2eServer } from './support/e2e-server.ts';

interface IndexEntry {
  name: string;
  version?: string;
  state?: string;
  reason?: string;
}

const fp32Input = (values: number[]) => ({ inputs: [{ name: 'INPUT0', datatype: 'FP32', shape: [1, values.length], data: values }] });

describe('repository API in explicit mode', () => {
  let repo: string;
  let e2e: E2eServer;
  let url: (path: string) => string;

  beforeAll(async () => {
    repo = await createTempRepository();
    const identity = identityModel('FP32', { batch: true, dims: [-1] });
    await writeFixture(repo, 'a', identity);
    await writeFixture(repo, 'b', identity);
    await writeFixture(repo, 'c', addSubModel('INT32', { batch: true, dims: [4] }));
    await writeModel(repo, 'broken', { onnx: identity.onnx, config: 'platform: "onnxruntime_onnx"\nmax_batch_size: 4\ninput [ { name: "INPUT0" data_type: TYPE_NOPE } ]\n' });
    e2e = await startE2e({ modelRepository: repo, modelControlMode: 'explicit', loadModels: ['a'] });
    url = (path) => `${e2e.baseUrl}${path}`;
  });
  afterAll(async () => {
    await e2e?.close();
    await removeTempRepository(repo);
  });

  const index = async (body?: unknown): Promise<IndexEntry[]> => {
    const res = await postJson(url('/v2/repository/index'), body);
    expect(res.status).toBe(200);
    return (await res.json()) as IndexEntry[];
  };
  const load = (model: string, body?: unknown) => postJson(url(`/v2/repository/models/${model}/load`), body);
  const unload = (model: string, body?: unknown) => postJson(url(`/v2/repository/models/${model}/unload`), body);
  const infer = (model: string, body: unknown) => postJson(url(`/v2/models/${model}/infer`), body);

  it('indexes every model on disk; {"ready": true} keeps only the loaded ones', async () => {
    const all = await index();
    expect(all.find((e) => e.name === 'a')).toEqual({ name: 'a', version: '1', state: 'READY', reason: '' });
    expect(all.find((e) => e.name === 'b')).toEqual({ name: 'b' });
    expect(all.map((e) => e.name)).toEqual(expect.arrayContaining(['a', 'b', 'broken', 'c']));
    const ready = await index({ ready: true });
    expect(ready.every((e) => e.state === 'READY')).toBe(true);
    expect(ready.map((e) => e.name)).toContain('a');
    expect(ready.map((e) => e.name)).not.toContain('broken');
    await expectError(await postJson(url('/v2/repository/index'), { ready: 'yes' }), 400, "'ready' must be a boolean");
  });

  it('loads a model (200, then ready and serving)', async () => {
    await expectError(await fetch(url('/v2/models/b/ready')), 400, 'not ready');
    const res = await load('b');
    expect(res.status).toBe(200);
    expect((await fetch(url('/v2/models/b/ready'))).status).toBe(200);
    const answer = await infer('b', fp32Input([1.5, -2]));
    expect(answer.status).toBe(200);
    expect(((await answer.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual([1.5, -2]);
    expect((await index()).find((e) => e.name === 'b')).toMatchObject({ version: '1', state: 'READY' });
  });

  it('unloads a model: then not ready, infer 503 naming it, the server stays ready, and it loads again', async () => {
    expect((await load('a')).status).toBe(200);
    expect((await unload('a')).status).toBe(200);
    await expectError(await fetch(url('/v2/models/a/ready')), 400, 'not ready');
    await expectError(await infer('a', fp32Input([1])), 503, "'a'", 'not ready', 'UNAVAILABLE');
    expect((await index()).find((e) => e.name === 'a')).toMatchObject({ name: 'a', state: 'UNAVAILABLE' });
    expect((await fetch(url('/v2/health/ready'))).status).toBe(200);
    expect((await load('a')).status).toBe(200);
    expect((await infer('a', fp32Input([4]))).status).toBe(200);
  });

  it('loads with a {"parameters": {"config": "<json>"}} override, visible in /config and enforced', async () => {
    const config = JSON.stringify({ backend: 'onnxruntime', max_batch_size: 2 });
    expect((await load('c', { parameters: { config } })).status).toBe(200);
    const completed = (await (await fetch(url('/v2/models/c/config'))).json()) as Record<string, unknown>;
    expect(completed).toMatchObject({ name: 'c', backend: 'onnxruntime', max_batch_size: 2 });
    const rows = (n: number) => ({
      inputs: ['INPUT0', 'INPUT1'].map((name) => ({ name, datatype: 'INT32', shape: [n, 4], data: Array(4 * n).fill(3) })),
    });
    await expectError(await infer('c', rows(3)), 400, 'batch-size must be <= 2', "'c'");
    const ok = await infer('c', rows(2));
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { outputs: { data: number[] }[] }).outputs[0]!.data).toEqual(Array(8).fill(6));
    // A plain load reads config.pbtxt from disk again.
    expect((await load('c')).status).toBe(200);
    expect(((await (await fetch(url('/v2/models/c/config'))).json()) as { max_batch_size: number }).max_batch_size).toBe(8);
    expect((await infer('c', rows(3))).status).toBe(200);
  });

  it('loads a model that exists only in the request ("file:1/model.onnx" + config)', async () => {
    const onnx = identityModel('INT64', { batch: true, dims: [-1] }).onnx;
    const res = await load('from_request', {
      parameters: { config: JSON.stringify({ backend: 'onnxruntime', max_batch_size: 4 }), 'file:1/model.onnx': Buffer.from(onnx).toString('base64') },
    });
    expect(res.status).toBe(200);
    const config = (await (await fetch(url('/v2/models/from_request/config'))).json()) as { name: string; input: { data_type: string }[] };
    expect(config.name).toBe('from_request');
    expect(config.input[0]!.data_type).toBe('TYPE_INT64');
    // Raw text: a JS number literal could not hold -(2^53 + 1) exactly.
    const answer = await infer('from_request', '{"inputs":[{"name":"INPUT0","datatype":"INT64","shape":[1,2],"data":[7,-9007199254740993]}]}');
    expect(answer.status).toBe(200);
    expect(await answer.text()).toContain('"data":[7,-9007199254740993]');
    expect((await unload('from_request')).status).toBe(200);
    await expectError(await infer('from_request', { inputs: [] }), 503, "'from_request'");
  });

  it('refuses bad load requests with 400 naming the problem', async () => {
    await expectError(await load('b', { parameters: { config: '{"max_batch_size": ' } }), 400, "'b'");
    await expectError(await load('b', { parameters: { 'file:1/model.onnx': 'AAAA' } }), 400, "'b'", "'config' parameter");
    await expectError(await load('b', { parameters: { config: '{}', 'file:1/model.onnx': '***' } }), 400, "'file:1/model.onnx'", 'base64');
    await expectError(await load('b', { parameters: { colour: 'blue' } }), 400, "unknown parameter 'colour'", "'config' or 'file:<version>/<path>'");
    await expectError(await load('b', '{"parameters": '), 400, 'failed to parse the load request JSON');
    // b still serves: a refused load changes nothing.
    expect((await fetch(url('/v2/models/b/ready'))).status).toBe(200);
  });

  it('answers 400 naming the file, line and column when the model on disk is broken', async () => {
    await expectError(await load('broken'), 400, 'broken/config.pbtxt:3:37', "unknown value 'TYPE_NOPE'", "'data_type'");
    const entry = (await index()).find((e) => e.name === 'broken');
    expect(entry).toMatchObject({ state: 'UNAVAILABLE', reason: expect.stringContaining('config.pbtxt:3') });
  });

  it('answers 404 naming the model for a load or unload of a model that does not exist', async () => {
    await expectError(await load('missing'), 404, "failed to load 'missing'", "no model directory named 'missing'");
    await expectError(await unload('never_seen'), 404, "failed to unload 'never_seen'");
  });

  it('leaves no trace in the index after a load of a model that does not exist', async () => {
    await expectError(await load('ghost'), 404, "no model directory named 'ghost'");
    expect((await index()).map((e) => e.name)).not.toContain('ghost');
  });
});

describe('repository API in mode none', () => {
  it('refuses load and unload with 503, telling to use explicit mode; the index still answers', async () => {
    const repo = await createTempRepository();
    await writeFixture(repo, 'only', identityModel('FP32', { batch: true, dims: [-1] }));
    const e2e = await startE2e({ modelRepository: repo });
    try {
      for (const action of ['load', 'unload']) {
        const res = await postJson(`${e2e.baseUrl}/v2/repository/models/only/${action}`);
        await expectError(res, 503, `explicit model ${action} is not allowed in model control mode 'none'`, '--model-control-mode=explicit');
      }
      const index = (await (await postJson(`${e2e.baseUrl}/v2/repository/index`)).json()) as IndexEntry[];
      expect(index).toEqual([{ name: 'only', version: '1', state: 'READY', reason: '' }]);
      expect((await fetch(`${e2e.baseUrl}/v2/models/only/ready`)).status).toBe(200);
    } finally {
      await e2e.close();
      await removeTempRepository(repo);
    }
  });
});
