/**
 * The HTTP frontend's routes, status codes and error bodies, in-process with
 * fastify's inject() (no socket needed), against the echo test double.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { decodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { concatChunks } from '../../sdk/codec/http-message.ts';
import type { InferRequest } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';
import type { HttpFrontend } from '../../runtime/http/http-frontend.ts';
import { EchoServer } from './support/echo-server.ts';
import { inferPath, injectableFrontend } from './support/http-harness.ts';

let server: EchoServer;
let frontend: HttpFrontend;
let logLines: string[];

beforeEach(() => {
  server = new EchoServer();
  ({ frontend, logLines } = injectableFrontend(server));
});
afterEach(() => frontend.close());

async function get(url: string) {
  return frontend.inject({ method: 'GET', url });
}
async function post(url: string, payload?: string | Uint8Array, headers: Record<string, string | number> = {}) {
  return frontend.inject({ method: 'POST', url, payload: payload === undefined ? undefined : Buffer.from(payload), headers });
}
async function infer(request: InferRequest, binary: boolean) {
  const message = encodeInferRequest(request, { binary });
  const headers: Record<string, string | number> = { 'content-type': message.contentType };
  if (message.headerLength !== undefined) headers['inference-header-content-length'] = message.headerLength;
  return post(inferPath(request.model, request.version), concatChunks(message.chunks), headers);
}
const errorOf = (res: { body: string }) => JSON.parse(res.body).error as string;

describe('server endpoints', () => {
  it('GET /v2 answers the server metadata as application/json', async () => {
    const res = await get('/v2');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toEqual(server.metadata());
  });

  it('health: 200 when live/ready, 400 with an empty body when not', async () => {
    expect((await get('/v2/health/live')).statusCode).toBe(200);
    expect((await get('/v2/health/ready')).statusCode).toBe(200);
    server.ready = false;
    const notReady = await get('/v2/health/ready');
    expect([notReady.statusCode, notReady.body]).toEqual([400, '']);
    expect((await get('/v2/health/live')).statusCode).toBe(200);
    server.live = false;
    expect((await get('/v2/health/live')).statusCode).toBe(400);
  });

  it('answers 405 {"error":"Method Not Allowed"} for a known path and the wrong verb', async () => {
    for (const [method, url] of [['POST', '/v2/health/live'], ['HEAD', '/v2'], ['DELETE', '/v2/models/echo'], ['GET', '/v2/models/echo/infer'],
      ['PUT', '/v2/models/echo/versions/1/infer'], ['GET', '/v2/repository/index'], ['GET', '/v2/repository/models/echo/load']] as const) {
      const res = await frontend.inject({ method, url });
      expect(res.statusCode, `${method} ${url}`).toBe(405);
      if (method !== 'HEAD') expect(res.json()).toEqual({ error: 'Method Not Allowed' });
    }
  });

  it('answers 404 {"error":"Not Found"} for unknown paths, as Triton', async () => {
    for (const url of ['/', '/v1/models/echo', '/v2/health', '/v2/health/live/', '/v2/models/', '/v2/models/echo/versions/x',
      '/v2/models/echo/versions/-1/ready', '/v2/models/echo/versions/', '/v2/models/echo/nope', '/v2/repository/models//load']) {
      const res = url.includes('load') ? await post(url) : await get(url);
      expect(res.statusCode, url).toBe(404);
      expect(res.headers['content-type']).toBe('application/json');
      expect(res.json(), url).toEqual({ error: 'Not Found' });
    }
  });

  it('answers a URL that does not decode with 400 and our error format', async () => {
    const res = await get('/v2/models/a%2');
    expect(res.statusCode).toBe(400);
    expect(Object.keys(res.json())).toEqual(['error']);
  });
});

describe('model endpoints', () => {
  it('returns model metadata, with and without a version', async () => {
    const res = await get('/v2/models/echo');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.json()).toMatchObject({ name: 'echo', versions: ['1', '2'], platform: 'echo' });
    expect((await get('/v2/models/echo/versions/2')).statusCode).toBe(200);
  });

  it("maps the server's errors through the status table", async () => {
    const unknown = await get('/v2/models/nope');
    expect([unknown.statusCode, errorOf(unknown)]).toEqual([404, "Request for unknown model: 'nope' is not found"]);
    expect((await get('/v2/models/sleepy')).statusCode).toBe(503);
    expect((await get('/v2/models/sleepy/config')).statusCode).toBe(503);
  });

  it('takes the version as a positive integer (leading zeros dropped)', async () => {
    const res = await get('/v2/models/echo/versions/007');
    expect([res.statusCode, errorOf(res)]).toEqual([404, "Request for unknown model: 'echo' version 7 is not found"]);
    const zero = await get('/v2/models/echo/versions/0');
    expect([zero.statusCode, errorOf(zero)]).toEqual([400, "invalid model version '0' for model 'echo': versions are positive integers"]);
  });

  it('decodes model names from the URL', async () => {
    await server.loadModel('a b/c%');
    const res = await get(`/v2/models/${encodeURIComponent('a b/c%')}`);
    expect(res.statusCode).toBe(200);
    expect(res.json().name).toBe('a b/c%');
  });

  it('model ready: 200, or 400 "Model version not ready" (unknown models too)', async () => {
    expect((await get('/v2/models/echo/ready')).statusCode).toBe(200);
    expect((await get('/v2/models/echo/versions/1/ready')).statusCode).toBe(200);
    for (const url of ['/v2/models/sleepy/ready', '/v2/models/nope/ready', '/v2/models/echo/versions/9/ready']) {
      const res = await get(url);
      expect([res.statusCode, res.json()], url).toEqual([400, { error: 'Model version not ready' }]);
    }
  });

  it('returns the model config as JSON, 64-bit integers exact', async () => {
    const res = await get('/v2/models/echo/config');
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('"big":18446744073709551615');
  });
});

describe('infer', () => {
  const input = new Tensor('INPUT0', 'INT32', [1, 4], new Int32Array([1, 2, 3, 4]));

  it('answers a JSON request with JSON (no Inference-Header-Content-Length)', async () => {
    const res = await infer({ model: 'echo', id: 'j1', inputs: [input] }, false);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/json');
    expect(res.headers['inference-header-content-length']).toBeUndefined();
    expect(res.json()).toEqual({
      id: 'j1', model_name: 'echo', model_version: '2',
      outputs: [{ name: 'OUTPUT0', datatype: 'INT32', shape: [1, 4], data: [1, 2, 3, 4] }],
    });
  });

  it('answers a binary request with binary outputs', async () => {
    const res = await infer({ model: 'echo', version: '1', inputs: [input] }, true);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('application/octet-stream');
    const headerLength = res.headers['inference-header-content-length'] as string;
    const response = decodeInferResponse(res.rawPayload, headerLength);
    expect(response.version).toBe('1');
    expect(Array.from(response.outputs[0].data as Int32Array)).toEqual([1, 2, 3, 4]);
    expect(server.inferRequests[0].version).toBe('1');
  });

  it('accepts any content type, or none, for the body', async () => {
    const json = JSON.stringify({ inputs: [{ name: 'INPUT0', datatype: 'INT8', shape: [1], data: [5] }] });
    for (const contentType of [undefined, 'application/json', 'application/octet-stream', 'text/plain', 'application/x-whatever; q=1']) {
      const res = await post('/v2/models/echo/infer', json, contentType ? { 'content-type': contentType } : {});
      expect(res.statusCode, String(contentType)).toBe(200);
    }
  });

  it('answers decoding errors with 400 and the codec message', async () => {
    const bad = await post('/v2/models/echo/infer', '{"inputs":[{"name":"X","datatype":"INT32","shape":[2],"data":[1]}]}', { 'content-type': 'application/json' });
    expect([bad.statusCode, errorOf(bad)]).toEqual([400, "input 'X': shape [2] expects 2 elements, 'data' has 1"]);
    const malformed = await post('/v2/models/echo/infer', '{"inputs":', { 'content-type': 'application/json' });
    expect([malformed.statusCode, errorOf(malformed)]).toEqual([400, 'failed to parse the request JSON: Unexpected end of JSON input at position 10']);
    const empty = await post('/v2/models/echo/infer');
    expect(empty.statusCode).toBe(400);
    const header = await post('/v2/models/echo/infer', '{"inputs":[]}', { 'inference-header-content-length': 99 });
    expect(errorOf(header)).toContain('Inference-Header-Content-Length is 99 but the body has only 13 bytes');
  });

  it('maps UNSUPPORTED to 501 (shared memory), NOT_FOUND to 404, UNAVAILABLE to 503', async () => {
    const shm = await post('/v2/models/echo/infer', JSON.stringify({ inputs: [{ name: 'X', datatype: 'INT32', shape: [1], parameters: { shared_memory_region: 'r' } }] }));
    expect(shm.statusCode).toBe(501);
    expect((await infer({ model: 'nope', inputs: [input] }, true)).statusCode).toBe(404);
    expect((await infer({ model: 'sleepy', inputs: [input] }, false)).statusCode).toBe(503);
    const output = await infer({ model: 'echo', inputs: [input], outputs: [{ name: 'NOPE' }] }, false);
    expect([output.statusCode, errorOf(output)]).toEqual([400, "unexpected inference output 'NOPE' for model 'echo'"]);
  });

  it('turns an unexpected exception into 500 with its message, and logs it in full', async () => {
    const res = await infer({ model: 'broken', inputs: [input] }, false);
    expect([res.statusCode, res.json()]).toEqual([500, { error: 'the broken model always fails' }]);
    expect(logLines.join('\n')).toMatch(/POST \/v2\/models\/broken\/infer failed with 500[\s\S]*at EchoServer\.infer/);
  });

  it('refuses FP16 outputs requested as JSON with 400, as Triton', async () => {
    const half = new Tensor('INPUT0', 'FP16', [1], new Uint16Array([0x3c00]));
    const res = await infer({ model: 'echo', inputs: [half], parameters: { binary_data_output: false } }, true);
    expect([res.statusCode, errorOf(res)]).toEqual([400, expect.stringContaining("sending FP16 data via JSON is not supported. Please use the binary data format for output 'OUTPUT0'")]);
  });

  it('enforces --http-max-input-size with a 400 that names the limit and the flag', async () => {
    const small = injectableFrontend(server, { maxInputSize: 100 }).frontend;
    const res = await small.inject({ method: 'POST', url: '/v2/models/echo/infer', payload: Buffer.alloc(101, 0x20), headers: { 'content-type': 'application/json' } });
    expect(res.statusCode).toBe(400);
    expect(res.headers.connection).toBe('close');
    expect(errorOf(res)).toBe('Request JSON size of 101 bytes exceeds the maximum allowed value of 100 bytes. Use --http-max-input-size to increase the limit.');
    const ok = await small.inject({ method: 'POST', url: '/v2/models/echo/infer', payload: '{"inputs":[]}' });
    expect(ok.statusCode).toBe(200);
    await small.close();
  });

  it('refuses compressed request bodies clearly (UNSUPPORTED) until compression lands', async () => {
    const res = await post('/v2/models/echo/infer', '{"inputs":[]}', { 'content-encoding': 'gzip' });
    expect([res.statusCode, errorOf(res)]).toEqual([501, "Content-Encoding 'gzip' is not supported yet; send the request body uncompressed"]);
  });

  it('answers an unparseable Content-Type in our error format', async () => {
    const res = await post('/v2/models/echo/infer', '{"inputs":[]}', { 'content-type': '/' });
    expect(res.statusCode).toBeGreaterThanOrEqual(400);
    expect(Object.keys(res.json())).toEqual(['error']);
  });
});

describe('model repository extension', () => {
  it('POST /v2/repository/index lists models, optionally only ready ones', async () => {
    const all = await post('/v2/repository/index');
    expect(all.statusCode).toBe(200);
    expect(all.headers['content-type']).toBe('application/json');
    expect(all.json().map((e: { name: string }) => e.name)).toEqual(['echo', 'sleepy', 'broken']);
    const ready = await post('/v2/repository/index', '{"ready":true}', { 'content-type': 'application/json' });
    expect(ready.json().map((e: { name: string }) => e.name)).toEqual(['echo', 'broken']);
    const bad = await post('/v2/repository/index', '{"ready":"yes"}');
    expect([bad.statusCode, errorOf(bad)]).toEqual([400, `repository index request: 'ready' must be a boolean, got "yes"`]);
    const malformed = await post('/v2/repository/index', '{"ready":');
    expect(errorOf(malformed)).toBe('failed to parse the repository index request JSON: Unexpected end of JSON input at position 9');
  });

  it('load passes the config and base64 files on as LoadModelOptions', async () => {
    expect((await post('/v2/repository/models/plain/load')).statusCode).toBe(200);
    const files = { 'file:1/model.onnx': Buffer.from([0, 1, 2, 255]).toString('base64'), 'file:1/sub/x.txt': '' };
    const res = await post('/v2/repository/models/custom/load', JSON.stringify({ parameters: { config: '{"backend":"onnxruntime"}', ...files } }));
    expect([res.statusCode, res.body]).toEqual([200, '']);
    expect(server.loads).toEqual([
      { name: 'plain', options: {} },
      { name: 'custom', options: { config: '{"backend":"onnxruntime"}', files: { '1/model.onnx': new Uint8Array([0, 1, 2, 255]), '1/sub/x.txt': new Uint8Array(0) } } },
    ]);
  });

  it('load checks its parameters', async () => {
    const cases: Array<[unknown, string]> = [
      [{ parameters: { 'file:1/model.onnx': 'AAAA' } }, "'file:' parameters need a 'config' parameter too"],
      [{ parameters: { config: '{}', 'file:1/m': 'not base64!' } }, "parameter 'file:1/m' is not valid base64"],
      [{ parameters: { config: {} } }, "parameter 'config' must be a string"],
      [{ parameters: { other: 'x' } }, "unknown parameter 'other'; expected 'config' or 'file:<version>/<path>'"],
      [{ parameters: [] }, "'parameters' must be an object"],
    ];
    for (const [body, message] of cases) {
      const res = await post('/v2/repository/models/m/load', JSON.stringify(body));
      expect(res.statusCode, message).toBe(400);
      expect(errorOf(res)).toContain(message);
    }
    const missing = await post('/v2/repository/models/missing/load');
    expect([missing.statusCode, errorOf(missing)]).toEqual([404, "failed to load 'missing', no version is available"]);
  });

  it('unload passes unload_dependents on', async () => {
    expect((await post('/v2/repository/models/echo/unload')).statusCode).toBe(200);
    expect((await post('/v2/repository/models/broken/unload', '{"parameters":{"unload_dependents":true}}')).statusCode).toBe(200);
    expect(server.unloads).toEqual([
      { name: 'echo', options: { unloadDependents: false } },
      { name: 'broken', options: { unloadDependents: true } },
    ]);
    const bad = await post('/v2/repository/models/echo/unload', '{"parameters":{"unload_dependents":1}}');
    expect([bad.statusCode, errorOf(bad)]).toEqual([400, "unload request for model 'echo': 'unload_dependents' must be a boolean, got 1"]);
    expect((await post('/v2/repository/models/nope/unload')).statusCode).toBe(400);
  });

  it('refuses a named repository as UNSUPPORTED (501)', async () => {
    for (const url of ['/v2/repository/mine/index', '/v2/repository/mine/models/echo/load', '/v2/repository/mine/models/echo/unload']) {
      const res = await post(url);
      expect([res.statusCode, errorOf(res)], url).toEqual([501, "'repository_name' specification is not supported"]);
    }
  });
});
