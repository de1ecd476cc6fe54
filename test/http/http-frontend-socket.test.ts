/**
 * The HTTP frontend over real sockets: Node's fetch for the JSON endpoints,
 * raw `node:http` over a keep-alive agent for the binary protocol, and a bare
 * TCP socket for what an HTTP client library would never send.
 */
import { connect } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { encodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { decodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { concatChunks } from '../../sdk/codec/http-message.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { EchoServer } from './support/echo-server.ts';
import { inferOverHttp, rawRequest, startHttp, type RunningHttp } from './support/http-harness.ts';

let server: EchoServer;
let http: RunningHttp;

beforeEach(async () => {
  server = new EchoServer();
  http = await startHttp(server);
});
afterEach(() => http.close());

const int32 = (name: string, values: number[]) => new Tensor(name, 'INT32', [1, values.length], Int32Array.from(values));

describe('JSON endpoints with fetch', () => {
  it('serves health, metadata and a JSON infer', async () => {
    expect((await fetch(`${http.baseUrl}/v2/health/ready`)).status).toBe(200);
    const meta = await fetch(`${http.baseUrl}/v2/models/echo`);
    expect(meta.headers.get('content-type')).toBe('application/json');
    expect(((await meta.json()) as { name: string }).name).toBe('echo');

    const res = await fetch(`${http.baseUrl}/v2/models/echo/infer`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ id: 'f', inputs: [{ name: 'INPUT0', datatype: 'UINT64', shape: [1], data: [1] }] }),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({
      id: 'f', model_name: 'echo', model_version: '2',
      outputs: [{ name: 'OUTPUT0', datatype: 'UINT64', shape: [1], data: [1] }],
    });
  });

  it('keeps UINT64 max exact through JSON in both directions', async () => {
    const res = await fetch(`${http.baseUrl}/v2/models/echo/infer`, {
      method: 'POST',
      body: '{"inputs":[{"name":"INPUT0","datatype":"UINT64","shape":[1],"data":[18446744073709551615]}]}',
    });
    expect(await res.text()).toContain('"data":[18446744073709551615]');
  });

  it('answers errors as {"error": ...} JSON', async () => {
    const res = await fetch(`${http.baseUrl}/v2/models/nope/infer`, { method: 'POST', body: '{"inputs":[]}' });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/json');
    expect(await res.json()).toEqual({ error: "Request for unknown model: 'nope' is not found" });
  });
});

describe('binary protocol with node:http', () => {
  it('round-trips binary inputs and outputs over one kept-alive socket', async () => {
    const reused: boolean[] = [];
    for (let i = 0; i < 3; i++) {
      const outcome = await inferOverHttp(http.port, { model: 'echo', inputs: [int32('INPUT0', [i, 2, 3]), int32('INPUT1', [4, 5, 6])] }, { binary: true, agent: http.agent });
      expect(outcome.ok).toBe(true);
      if (!outcome.ok) return;
      reused.push(outcome.raw.reusedSocket);
      expect(outcome.raw.headers['content-type']).toBe('application/octet-stream');
      // Triton's spelling of the header, as sent.
      expect(outcome.raw.rawHeaders).toContain('Inference-Header-Content-Length');
      expect(outcome.response.outputs.map((t) => [t.name, Array.from(t.data as Int32Array)])).toEqual([
        ['OUTPUT0', [i, 2, 3]],
        ['OUTPUT1', [4, 5, 6]],
      ]);
    }
    expect(reused).toEqual([false, true, true]);
  });

  it('carries a large tensor (8 MiB, many TCP chunks each way) intact', async () => {
    const values = new Float32Array(2 * 1024 * 1024);
    for (let i = 0; i < values.length; i++) values[i] = i * 0.5;
    const big = new Tensor('INPUT0', 'FP32', [values.length], values);
    const bytes = Tensor.fromStrings('INPUT1', [2], ['a', 'b'.repeat(100_000)]);
    const outcome = await inferOverHttp(http.port, { model: 'echo', inputs: [big, bytes] }, { binary: true, agent: http.agent });
    expect(outcome.ok).toBe(true);
    if (!outcome.ok) return;
    // Byte comparison: a deep equal over two million elements would take seconds.
    expect(Buffer.compare(outcome.response.outputs[0].toBytes(), big.toBytes())).toBe(0);
    expect(outcome.response.outputs[1].strings()).toEqual(['a', 'b'.repeat(100_000)]);
  });

  it('reads a chunked request body (no Content-Length)', async () => {
    const message = encodeInferRequest({ model: 'echo', inputs: [int32('INPUT0', [7, 8])] }, { binary: true });
    const body = concatChunks(message.chunks);
    const raw = await rawRequest(http.port, {
      method: 'POST',
      path: '/v2/models/echo/infer',
      headers: { 'Transfer-Encoding': 'chunked', 'Inference-Header-Content-Length': message.headerLength! },
      body: [body.subarray(0, 10), body.subarray(10, 50), body.subarray(50)],
    });
    expect(raw.status).toBe(200);
    const response = decodeInferResponse(raw.body, raw.headers['inference-header-content-length'] as string);
    expect(Array.from(response.outputs[0].data as Int32Array)).toEqual([7, 8]);
  });

  it('enforces the input size limit for declared and chunked bodies', async () => {
    const small = await startHttp(server, { maxInputSize: 1000 });
    try {
      const declared = await rawRequest(small.port, { method: 'POST', path: '/v2/models/echo/infer', headers: { 'Content-Length': 5000, 'Inference-Header-Content-Length': 10 }, body: new Uint8Array(5000) });
      expect(declared.status).toBe(400);
      expect(declared.headers.connection).toBe('close');
      expect(JSON.parse(declared.body.toString()).error).toBe(
        'Request body size of 5000 bytes exceeds the maximum allowed value of 1000 bytes. Use --http-max-input-size to increase the limit.',
      );
      const chunked = await rawRequest(small.port, {
        method: 'POST', path: '/v2/models/echo/infer', headers: { 'Transfer-Encoding': 'chunked' }, body: [new Uint8Array(600), new Uint8Array(600)],
      });
      expect(chunked.status).toBe(400);
      expect(JSON.parse(chunked.body.toString()).error).toMatch(/^Request JSON size of at least \d+ bytes exceeds the maximum allowed value of 1000 bytes/);
    } finally {
      await small.close();
    }
  });
});

describe('connection handling', () => {
  it('answers a malformed HTTP request with a JSON 400 and closes the connection', async () => {
    const reply = await new Promise<string>((resolve, reject) => {
      const socket = connect(http.port, '127.0.0.1', () => socket.write('GARBAGE\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('end', () => resolve(data));
      socket.on('error', reject);
    });
    expect(reply).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(reply).toContain('Content-Type: application/json');
    expect(reply).toMatch(/\r\n\r\n\{"error":"Bad Request: malformed HTTP request \(HPE_[A-Z_]+\)"\}$/);
  });

  it('close() lets an in-flight request finish and then resolves', async () => {
    server.inferDelayMs = 200;
    const pending = inferOverHttp(http.port, { model: 'echo', inputs: [int32('INPUT0', [1])] }, { binary: true, agent: http.agent });
    await new Promise((resolve) => setTimeout(resolve, 50));
    const closing = http.frontend.close();
    const outcome = await pending;
    expect(outcome.ok).toBe(true);
    await closing;
    expect(http.frontend.port).toBeUndefined();
    await expect(fetch(`${http.baseUrl}/v2/health/live`)).rejects.toThrow();
  });
});
