/**
 * The real server over a real socket: health, server and model metadata,
 * readiness, /config, and a repository where some models are broken. One
 * server serves the bundled models/ plus a temp repository holding a model
 * without config.pbtxt, a multi-version model, a broken config.pbtxt and a
 * corrupt model.onnx.
 */
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inferOverHttp } from '../http/support/http-harness.ts';
import { addSubModel, createTempRepository, identityModel, removeTempRepository, writeFixture, writeModel } from '../support/onnx-fixtures.ts';
import { BUNDLED_MODELS, bundledModels, expectError, postJson, startE2e, type E2eServer } from './support/e2e-server.ts';
import { expectSimpleAnswer, simpleJsonBody, simpleTensors } from './support/simple-model.ts';

const BROKEN_PBTXT = 'name: "broken_config"\nmax_batch_size: [\n';

let repo: string;
let e2e: E2eServer;
let url: (path: string) => string;

beforeAll(async () => {
  repo = await createTempRepository();
  await writeModel(repo, 'bare', { onnx: addSubModel('FP32', { batch: true, dims: [4] }).onnx });
  await writeFixture(repo, 'multi', identityModel('INT16', { batch: true, dims: [-1] }), { versions: [1, 2, 3], extra: 'version_policy: { specific: { versions: [1, 3] } }' });
  await writeModel(repo, 'broken_config', { onnx: identityModel('FP32', { batch: true, dims: [-1] }).onnx, config: BROKEN_PBTXT });
  await writeModel(repo, 'corrupt_model', { onnx: new TextEncoder().encode('this is not an onnx file'), config: 'platform: "onnxruntime_onnx"\n' });
  e2e = await startE2e({ modelRepository: [BUNDLED_MODELS, repo] });
  url = (path) => `${e2e.baseUrl}${path}`;
});
afterAll(async () => {
  await e2e?.close();
  await removeTempRepository(repo);
});

describe('health and server metadata', () => {
  it('is live (200, empty body) but not ready (400) while a model failed to load, under strict readiness', async () => {
    const live = await fetch(url('/v2/health/live'));
    expect(live.status).toBe(200);
    expect(await live.text()).toBe('');
    const ready = await fetch(url('/v2/health/ready'));
    expect(ready.status).toBe(400);
    expect(await ready.text()).toBe('');
  });

  it('GET /v2 names the server, its version and the extensions it implements', async () => {
    const res = await fetch(url('/v2'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json');
    const body = (await res.json()) as { name: string; version: string; extensions: string[] };
    expect(body.name).toBe('nereid');
    expect(body.version).toMatch(/^\d+\.\d+\.\d+/);
    expect(body.extensions).toEqual(expect.arrayContaining(['binary_tensor_data', 'model_repository', 'model_configuration', 'parameters', 'logging', 'trace']));
  });

  it('GET /v2/logging answers the log settings; POST changes the ones named (all or nothing), and the server log follows', async () => {
    const defaults = { log_file: '', log_info: true, log_warning: true, log_error: true, log_verbose_level: 0, log_format: 'default' };
    const get = await fetch(url('/v2/logging'));
    expect(get.headers.get('content-type')).toBe('application/json');
    expect(await get.json()).toEqual(defaults);
    try {
      const changed = await postJson(url('/v2/logging'), { log_error: false, log_verbose_level: 1 });
      expect(changed.status).toBe(200);
      expect(await changed.json()).toEqual({ ...defaults, log_error: false, log_verbose_level: 1 });
      // The log the server and the frontend share follows at once.
      const before = e2e.logLines.length;
      e2e.log.error('not written');
      e2e.log.verbose('written');
      expect(e2e.logLines.slice(before)).toEqual([expect.stringMatching(/^V .* written$/)]);

      await expectError(await postJson(url('/v2/logging'), { log_verbose_level: 3, log_format: 'xml' }), 400, `log setting 'log_format' must be one of "default", "ISO8601", got "xml"`);
      await expectError(await postJson(url('/v2/logging'), { log_info: 'no' }), 400, "log setting 'log_info' must be a boolean");
      await expectError(await postJson(url('/v2/logging'), [1]), 400, 'must be an object');
      await expectError(await postJson(url('/v2/logging')), 400, 'expected a JSON object of settings');
      await expectError(await fetch(url('/v2/logging'), { method: 'PUT' }), 405, 'Method Not Allowed');
      expect(await (await fetch(url('/v2/logging'))).json()).toMatchObject({ log_error: false, log_verbose_level: 1 });
    } finally {
      await postJson(url('/v2/logging'), { log_error: true, log_verbose_level: 0 });
    }
  });

  it("trace extension: /v2/trace/setting turns on TIMESTAMPS tracing; traced requests land in trace_file.<k> in Triton's schema, an ensemble's steps as its children", async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nereid-trace-'));
    const file = join(dir, 'trace.json');
    try {
      expect(await (await fetch(url('/v2/trace/setting'))).json()).toEqual({ trace_level: ['OFF'], trace_rate: '1000', trace_count: '-1', trace_file: '', log_frequency: '0' });
      const on = await postJson(url('/v2/trace/setting'), { trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_file: file, log_frequency: '7' });
      expect(await on.json()).toEqual({ trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_count: '-1', trace_file: file, log_frequency: '7' });
      for (let seed = 0; seed < 2; seed++) expect((await postJson(url('/v2/models/simple/infer'), simpleJsonBody(seed))).status).toBe(200);
      // simple_chain: two steps of simple, traced as the ensemble's children.
      expect((await postJson(url('/v2/models/simple_chain/infer'), simpleJsonBody(3))).status).toBe(200);
      // add_sub_bls: a model.ts whose BLS call passes trace: request.trace(), so the call is its child (7 traces in all).
      expect((await postJson(url('/v2/models/add_sub_bls/infer'), simpleJsonBody(4))).status).toBe(200);
      await expect.poll(() => readdir(dir), { timeout: 5_000 }).toEqual(['trace.json.0']);
      type Trace = { id: number; parent_id?: number; model_name: string; model_version: number; timestamps: { name: string; ns: number }[] };
      const traces = JSON.parse(await readFile(`${file}.0`, 'utf8')) as Trace[];
      const chain = traces.find((trace) => trace.model_name === 'simple_chain')!;
      const bls = traces.find((trace) => trace.model_name === 'add_sub_bls')!;
      expect([chain.parent_id, bls.parent_id]).toEqual([undefined, undefined]);
      const roots = traces.filter((trace) => trace.model_name === 'simple' && trace.parent_id === undefined);
      const children = traces.filter((trace) => trace.parent_id !== undefined);
      expect(roots.map((trace) => trace.model_version)).toEqual([1, 1]);
      expect(children.map((trace) => [trace.model_name, trace.parent_id]).sort()).toEqual([['simple', bls.id], ['simple', chain.id], ['simple', chain.id]].sort());
      expect(new Set(traces.map((trace) => trace.id)).size).toBe(7);
      for (const { model_name, timestamps } of traces) {
        // An ensemble computes nothing itself: its steps carry the compute timestamps (a model.ts's execute is its compute).
        const computed = model_name === 'simple_chain' ? [] : ['COMPUTE_START', 'COMPUTE_INPUT_END', 'COMPUTE_OUTPUT_START', 'COMPUTE_END'];
        expect(timestamps.map((t) => t.name)).toEqual(['REQUEST_START', 'QUEUE_START', ...computed, 'REQUEST_END']);
        const ns = timestamps.map((t) => t.ns);
        expect(ns).toEqual([...ns].sort((x, y) => x - y));
        expect(ns.at(-1)! - ns[0]!).toBeGreaterThan(0);
      }

      // A model's own settings override the global ones; a POST naming none clears them.
      expect(await (await postJson(url('/v2/models/simple/trace/setting'), { trace_rate: '5' })).json()).toMatchObject({ trace_rate: '5', trace_file: file });
      expect(await (await fetch(url('/v2/models/simple/trace/setting'))).json()).toMatchObject({ trace_rate: '5' });
      expect(await (await fetch(url('/v2/trace/setting'))).json()).toMatchObject({ trace_rate: '1' });
      expect(await (await postJson(url('/v2/models/simple/trace/setting'), {})).json()).toMatchObject({ trace_rate: '1' });

      await expectError(await postJson(url('/v2/trace/setting'), { trace_level: ['TENSORS'] }), 400, 'TENSORS is not supported by this server');
      await expectError(await postJson(url('/v2/trace/setting'), { trace_rate: 5 }), 400, "trace setting 'trace_rate' must be a string, a list of strings or null");
      await expectError(await fetch(url('/v2/models/no_such_model/trace/setting')), 404, 'no_such_model');
    } finally {
      await postJson(url('/v2/trace/setting'), { trace_level: ['OFF'], trace_rate: null, trace_file: null, log_frequency: null });
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('answers 405 for a known path asked with the wrong verb, and 404 for an unknown path', async () => {
    await expectError(await fetch(url('/v2/models/simple/infer')), 405, 'Method Not Allowed');
    await expectError(await fetch(url('/v2/nothing/here')), 404, 'Not Found');
  });
});

describe('model metadata, readiness and config', () => {
  const simpleMetadata = {
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
  };

  it('serves model metadata with and without /versions/N', async () => {
    for (const path of ['/v2/models/simple', '/v2/models/simple/versions/1']) {
      const res = await fetch(url(path));
      expect(res.status, path).toBe(200);
      expect(await res.json(), path).toEqual(simpleMetadata);
    }
    const multi = (await (await fetch(url('/v2/models/multi/versions/3'))).json()) as { versions: string[]; inputs: unknown[] };
    expect(multi.versions).toEqual(['1', '3']);
    expect(multi.inputs).toEqual([{ name: 'INPUT0', datatype: 'INT16', shape: [-1, -1] }]);
  });

  it('answers 404 for an unknown model or version, naming it (metadata, config, infer)', async () => {
    await expectError(await fetch(url('/v2/models/nope')), 404, "'nope'", 'not found');
    await expectError(await fetch(url('/v2/models/nope/config')), 404, "'nope'", 'not found');
    await expectError(await postJson(url('/v2/models/nope/infer'), simpleJsonBody(1)), 404, "'nope'", 'not found');
    // version 2 of multi exists on disk, but the version policy does not serve it.
    await expectError(await fetch(url('/v2/models/multi/versions/2')), 404, "'multi'", 'version 2', 'served versions: 1, 3');
    await expectError(await fetch(url('/v2/models/simple/versions/7/config')), 404, "'simple'", 'version 7', 'served versions: 1');
    await expectError(await postJson(url('/v2/models/simple/versions/7/infer'), simpleJsonBody(1)), 404, "'simple'", 'version 7');
  });

  it('answers model readiness 200 for a served version, 400 otherwise', async () => {
    for (const path of ['/v2/models/simple/ready', '/v2/models/simple/versions/1/ready', '/v2/models/multi/versions/3/ready', '/v2/models/bare/ready']) {
      expect((await fetch(url(path))).status, path).toBe(200);
    }
    for (const path of ['/v2/models/multi/versions/2/ready', '/v2/models/nope/ready', '/v2/models/broken_config/ready', '/v2/models/corrupt_model/ready']) {
      await expectError(await fetch(url(path)), 400, 'not ready');
    }
  });

  it('serves the completed config of a model with a config.pbtxt', async () => {
    const res = await fetch(url('/v2/models/simple/config'));
    expect(res.status).toBe(200);
    const config = (await res.json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      name: 'simple',
      platform: 'onnxruntime_onnx',
      backend: 'onnxruntime',
      max_batch_size: 8,
      input: [
        expect.objectContaining({ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }),
        expect.objectContaining({ name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] }),
      ],
      output: [
        expect.objectContaining({ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] }),
        expect.objectContaining({ name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] }),
      ],
      instance_group: [expect.objectContaining({ count: 1, kind: 'KIND_CPU' })],
    });
    expect(await (await fetch(url('/v2/models/simple/versions/1/config'))).json()).toEqual(config);
  });

  it('serves the auto-completed config of a model without config.pbtxt, and the model answers', async () => {
    const config = (await (await fetch(url('/v2/models/bare/config'))).json()) as Record<string, unknown>;
    expect(config).toMatchObject({
      name: 'bare',
      backend: 'onnxruntime',
      max_batch_size: 4,
      input: [
        expect.objectContaining({ name: 'INPUT0', data_type: 'TYPE_FP32', dims: [4] }),
        expect.objectContaining({ name: 'INPUT1', data_type: 'TYPE_FP32', dims: [4] }),
      ],
      output: [
        expect.objectContaining({ name: 'OUTPUT0', data_type: 'TYPE_FP32', dims: [4] }),
        expect.objectContaining({ name: 'OUTPUT1', data_type: 'TYPE_FP32', dims: [4] }),
      ],
    });
    const res = await postJson(url('/v2/models/bare/infer'), {
      inputs: [
        { name: 'INPUT0', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] },
        { name: 'INPUT1', datatype: 'FP32', shape: [1, 4], data: [0.5, 0.5, 0.5, 0.5] },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { outputs: { name: string; data: number[] }[] };
    expect(body.outputs.map((o) => [o.name, o.data])).toEqual([
      ['OUTPUT0', [1.5, 2.5, 3.5, 4.5]],
      ['OUTPUT1', [0.5, 1.5, 2.5, 3.5]],
    ]);
  });
});

describe('a repository with a broken config.pbtxt and a corrupt model.onnx', () => {
  it('lists both UNAVAILABLE in the index, with reasons naming the file (line:col for the pbtxt)', async () => {
    const res = await postJson(url('/v2/repository/index'));
    expect(res.status).toBe(200);
    const index = (await res.json()) as { name: string; version?: string; state?: string; reason?: string }[];
    const byName = Object.fromEntries(index.map((entry) => [entry.name, entry]));
    expect(Object.keys(byName).sort()).toEqual([...bundledModels(), 'bare', 'broken_config', 'corrupt_model', 'multi'].sort());
    expect(byName.simple).toEqual({ name: 'simple', version: '1', state: 'READY', reason: '' });
    expect(byName.broken_config!.state).toBe('UNAVAILABLE');
    expect(byName.broken_config!.reason).toContain('broken_config/config.pbtxt:2:17');
    expect(byName.broken_config!.reason).toContain('max_batch_size');
    expect(byName.corrupt_model!.state).toBe('UNAVAILABLE');
    expect(byName.corrupt_model!.reason).toContain('corrupt_model/1/model.onnx');
  });

  it('leaves them out of the index with {"ready": true}', async () => {
    const index = (await (await postJson(url('/v2/repository/index'), { ready: true })).json()) as { name: string; version: string }[];
    const expected = [...bundledModels().map((name) => `${name}:1`), 'bare:1', 'multi:1', 'multi:3'].sort();
    expect(index.map((entry) => `${entry.name}:${entry.version}`)).toEqual(expected);
  });

  it('answers 503 with the load failure for infer and metadata on them, while the others serve', async () => {
    await expectError(await postJson(url('/v2/models/broken_config/infer'), { inputs: [] }), 503, "'broken_config'", 'config.pbtxt:2:17');
    await expectError(await postJson(url('/v2/models/corrupt_model/infer'), { inputs: [] }), 503, "'corrupt_model'", 'model.onnx');
    await expectError(await fetch(url('/v2/models/broken_config')), 503, 'UNAVAILABLE', 'config.pbtxt:2:17');
    const outcome = await inferOverHttp(e2e.port, { model: 'simple', inputs: simpleTensors(3) }, { binary: true });
    if (!outcome.ok) throw new Error(`simple failed: ${outcome.status} ${outcome.error}`);
    expectSimpleAnswer(outcome.response, 3);
  });
});

describe('readiness without strict readiness', () => {
  it('is ready (200) with a failed model when strictReadiness is false', async () => {
    const lenient = await createTempRepository();
    await writeModel(lenient, 'broken_config', { onnx: identityModel('FP32', { batch: true, dims: [-1] }).onnx, config: BROKEN_PBTXT });
    await writeFixture(lenient, 'good', identityModel('FP32', { batch: true, dims: [-1] }));
    const other = await startE2e({ modelRepository: lenient, strictReadiness: false });
    try {
      expect((await fetch(`${other.baseUrl}/v2/health/ready`)).status).toBe(200);
      expect((await fetch(`${other.baseUrl}/v2/models/good/ready`)).status).toBe(200);
      await expectError(await fetch(`${other.baseUrl}/v2/models/broken_config/ready`), 400, 'not ready');
    } finally {
      await other.close();
      await removeTempRepository(lenient);
    }
  });
});
