/**
 * The real command line, as a user runs it: `node --import tsx
 * runtime/cli/main.ts serve ...` and `npm start`, over real sockets, with a
 * clean SIGTERM shutdown that lets an in-flight request finish; and the
 * answers to --help, bad flags and a missing repository.
 */
import { readFile } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { encodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { concatChunks, HEADER_LENGTH_HEADER } from '../../sdk/codec/http-message.ts';
import { freePort } from '../../bench/child-process.ts';
import { inferOverHttp, inferPath, type RawResponse } from '../http/support/http-harness.ts';
import { CLI, killAll, LISTENING, METRICS_LISTENING, startProcess, type RunningProcess } from './support/cli-process.ts';
import { bundledModels, REPO_ROOT } from './support/e2e-server.ts';
import { expectSimpleAnswer, simpleTensors } from './support/simple-model.ts';

// Metrics and gRPC on free ports too: the defaults 8002 and 8001 may be taken on the machine running the tests.
const SERVE_MODELS = ['serve', '--model-repository', 'models', '--http-port', '0', '--http-address', '127.0.0.1', '--metrics-port', '0', '--grpc-port', '0', '--grpc-address', '127.0.0.1'];

afterEach(() => killAll());

async function listeningPort(cli: RunningProcess): Promise<number> {
  const [, host, port] = await cli.waitFor(LISTENING);
  expect(host).toBe('127.0.0.1');
  return Number(port);
}

/**
 * Starts a binary infer to `simple` with `Expect: 100-continue` and holds its
 * body back: `headersSeen` resolves once the server has taken the request
 * (its 100 Continue), `sendBody()` then sends the body.
 */
function heldBackInfer(port: number, seed: number): { headersSeen: Promise<void>; sendBody: () => void; response: Promise<RawResponse> } {
  const message = encodeInferRequest({ model: 'simple', id: `held-${seed}`, inputs: simpleTensors(seed) }, { binary: true });
  const body = concatChunks(message.chunks, message.byteLength);
  let sendBody!: () => void;
  let headersSeen!: Promise<void>;
  const response = new Promise<RawResponse>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: inferPath('simple'),
        agent: false,
        headers: {
          'Content-Type': message.contentType,
          'Content-Length': message.byteLength,
          [HEADER_LENGTH_HEADER]: message.headerLength!,
          Expect: '100-continue',
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), reusedSocket: false }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    headersSeen = new Promise((resolveSeen) => req.once('continue', () => resolveSeen()));
    sendBody = () => req.end(body);
    req.flushHeaders();
  });
  return { headersSeen, sendBody: () => sendBody(), response };
}

describe('nereid serve (the real CLI)', () => {
  it('serves models/, answers health and infer, and on SIGTERM finishes the request in flight, then exits 0', async () => {
    const cli = startProcess(process.execPath, [...CLI, ...SERVE_MODELS]);
    const port = await listeningPort(cli);

    expect((await fetch(`http://127.0.0.1:${port}/v2/health/live`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${port}/v2/health/ready`)).status).toBe(200);
    const outcome = await inferOverHttp(port, { model: 'simple', inputs: simpleTensors(4) }, { binary: true });
    if (!outcome.ok) throw new Error(`infer: ${outcome.status} ${outcome.error}`);
    expectSimpleAnswer(outcome.response, 4);

    const held = heldBackInfer(port, 12);
    await held.headersSeen; // the server has the request: it is in flight
    cli.child.kill('SIGTERM');
    await cli.waitFor(/SIGTERM received; draining in-flight requests/);
    held.sendBody();
    const raw = await held.response;
    expect(raw.status, raw.body.toString('utf8', 0, 300)).toBe(200);
    const response = decodeInferResponse(raw.body, raw.headers['inference-header-content-length'] as string);
    expect(response.id).toBe('held-12');
    expectSimpleAnswer(response, 12);

    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr).toMatch(/\bstopped\b/);
    expect(cli.stderr).not.toMatch(/^E /m);
    await expect(fetch(`http://127.0.0.1:${port}/v2/health/live`)).rejects.toThrow();
  });

  it('serves Prometheus metrics on --metrics-port, at the HTTP address by default', async () => {
    const cli = startProcess(process.execPath, [...CLI, ...SERVE_MODELS]);
    const port = await listeningPort(cli);
    const [, host, metricsPort] = await cli.waitFor(METRICS_LISTENING);
    expect(host).toBe('127.0.0.1');
    const outcome = await inferOverHttp(port, { model: 'simple', inputs: simpleTensors(2) }, { binary: true });
    expect(outcome.ok).toBe(true);
    const res = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const text = await res.text();
    expect(text).toMatch(/^nv_inference_request_success\{model="simple",version="1"\} 1$/m);
    expect(text).toMatch(/^nv_inference_count\{model="generate",version="1"\} 0$/m);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('--allow-metrics false starts no metrics listener', async () => {
    const metricsPort = await freePort();
    const cli = startProcess(process.execPath, [...CLI, ...SERVE_MODELS, '--allow-metrics', 'false', '--metrics-port', String(metricsPort)]);
    await listeningPort(cli);
    expect(cli.stderr).not.toMatch(METRICS_LISTENING);
    // Not a fetch to metricsPort: test files run in parallel, and another file's server may take that port meanwhile.
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('--help prints the usage on stdout and exits 0', async () => {
    const cli = startProcess(process.execPath, [...CLI, '--help']);
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stdout).toMatch(/^Usage: nereid serve --model-repository DIR \[options\]/);
    expect(cli.stdout).toContain('--model-control-mode MODE');
    expect(cli.stdout).toContain('--http-port N');
  });

  it('exits 2 on an unknown flag, naming it, with the usage', async () => {
    const cli = startProcess(process.execPath, [...CLI, 'serve', '--model-repository', 'models', '--bogus=1']);
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.stderr).toMatch(/^unknown flag --bogus\n/);
    expect(cli.stderr).toContain('Usage: nereid serve');
  });

  it('exits 2 on an unknown flag that has no value, naming it as unknown', async () => {
    const cli = startProcess(process.execPath, [...CLI, 'serve', '--model-repository', 'models', '--bogus']);
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.stderr).toMatch(/^unknown flag --bogus\n/);
  });

  it('exits 2 on a bad flag value, naming the flag and what it expects', async () => {
    const cli = startProcess(process.execPath, [...CLI, 'serve', '--model-repository', 'models', '--http-port', 'eighty']);
    expect(await cli.exited).toEqual({ code: 2, signal: null });
    expect(cli.stderr).toContain("--http-port expects an integer in [0, 65535], got 'eighty'");
  });

  it('exits non-zero, naming the directory, when the model repository does not exist', async () => {
    const missing = join(REPO_ROOT, 'no-such-repository');
    const cli = startProcess(process.execPath, [...CLI, 'serve', '--model-repository', missing, '--http-port', '0', '--http-address', '127.0.0.1']);
    const { code, signal } = await cli.exited;
    expect(signal).toBeNull();
    expect(code).toBe(1);
    expect(cli.stderr).toMatch(/^nereid: model repository '.*no-such-repository' does not exist$/m);
    expect(cli.stderr).not.toMatch(/HTTP service listening/);
    expect(cli.stderr).not.toMatch(/^\s+at /m); // a message, not a stack trace
  });

  it('exits non-zero when the model repository does not exist, in explicit mode too', async () => {
    const missing = join(REPO_ROOT, 'no-such-repository');
    const cli = startProcess(process.execPath, [...CLI, 'serve', '--model-repository', missing, '--model-control-mode', 'explicit', '--http-port', '0', '--http-address', '127.0.0.1']);
    const ended = cli.exited.then(({ code }) => `exited ${code}`);
    // Only a successful listen counts against the exit; waitFor also fails when the process ends.
    const listening = cli.waitFor(LISTENING).then(
      () => 'listening',
      () => new Promise<string>(() => {}),
    );
    const first = await Promise.race([ended, listening]);
    cli.child.kill('SIGTERM');
    expect(first).toBe('exited 1');
    expect(cli.stderr).toContain('no-such-repository');
  });
});

describe('npm start', () => {
  it('is exactly `serve --model-repository models` through tsx, and serves the bundled models', async () => {
    const pkg = JSON.parse(await readFile(join(REPO_ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
    expect(pkg.scripts.start).toBe('node --no-node-snapshot --import tsx runtime/cli/main.ts serve --model-repository models');

    // npm runs the script through a shell: give it its own process group, so SIGTERM reaches the server too.
    const npm = startProcess('npm', ['start', '--', '--http-port', '0', '--http-address', '127.0.0.1', '--metrics-port', '0', '--grpc-port', '0'], { group: true });
    const port = await listeningPort(npm);
    expect(npm.stdout).toContain('> node --no-node-snapshot --import tsx runtime/cli/main.ts serve --model-repository models --http-port 0 --http-address 127.0.0.1 --metrics-port 0 --grpc-port 0');
    expect(npm.stderr).toContain(`loading model 'simple' from ${join(REPO_ROOT, 'models', 'simple')}`);

    const index = (await (await fetch(`http://127.0.0.1:${port}/v2/repository/index`, { method: 'POST' })).json()) as { name: string; state: string }[];
    expect(index.map((entry) => `${entry.name}:${entry.state}`)).toEqual(bundledModels().map((name) => `${name}:READY`));
    const outcome = await inferOverHttp(port, { model: 'simple', inputs: simpleTensors(1) }, { binary: false });
    if (!outcome.ok) throw new Error(`infer: ${outcome.status} ${outcome.error}`);
    expectSimpleAnswer(outcome.response, 1);

    process.kill(-npm.child.pid!, 'SIGTERM');
    await npm.exited; // npm itself dies of the signal; the server below it shuts down cleanly
    expect(npm.stderr).toMatch(/SIGTERM received/);
    expect(npm.stderr).toMatch(/\bstopped\b/);
  });
});
