/**
 * Measures the HTTP frontend's per-request overhead: p50 latency of a tiny
 * binary infer (two INT32[1,16] inputs, binary outputs, the echo test double
 * as the model) over one keep-alive socket, against an empty fastify POST
 * route given the same body, both served by one child process, in the same run.
 *
 *   node --import tsx test/http/support/measure-overhead.ts [requests-per-round] [rounds]
 *
 * Not a vitest file: run it by hand. The interesting number is the difference
 * (frontend p50 - empty route p50): decode + infer call + encode + routing.
 */
import { spawn } from 'node:child_process';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import Fastify from 'fastify';
import { encodeInferRequest } from '../../../sdk/codec/http-infer-request.ts';
import { concatChunks } from '../../../sdk/codec/http-message.ts';
import { Tensor } from '../../../sdk/tensor.ts';
import { createHttpFrontend } from '../../../runtime/http/http-frontend.ts';
import { EchoServer } from './echo-server.ts';

async function serve(): Promise<void> {
  const empty = Fastify({ logger: false });
  empty.removeAllContentTypeParsers();
  empty.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
  empty.post('/', async () => '');
  await empty.listen({ port: 0, host: '127.0.0.1' });
  const frontend = createHttpFrontend(new EchoServer(), { port: 0, host: '127.0.0.1' });
  const { port } = await frontend.listen();
  const emptyPort = (empty.server.address() as { port: number }).port;
  process.stdout.write(`${emptyPort} ${port}\n`);
}

function post(agent: Agent, port: number, path: string, body: Uint8Array, headers: Record<string, string | number>): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: 'POST', path, agent, headers }, (res) => {
      res.on('data', () => {});
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function timeRound(send: () => Promise<number>, count: number): Promise<number[]> {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const t0 = process.hrtime.bigint();
    const status = await send();
    latencies.push(Number(process.hrtime.bigint() - t0) / 1000);
    if (status !== 200) throw new Error(`status ${status}`);
  }
  return latencies;
}

const p50 = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function measure(perRound: number, rounds: number): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), '--serve'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line: string = await new Promise((resolve) => createInterface({ input: child.stdout! }).once('line', resolve));
  const [emptyPort, frontendPort] = line.split(' ').map(Number);

  const inputs = [0, 1].map((i) => new Tensor(`INPUT${i}`, 'INT32', [1, 16], Int32Array.from({ length: 16 }, (_, k) => k + i)));
  const message = encodeInferRequest({ model: 'echo', inputs }, { binary: true });
  const body = concatChunks(message.chunks, message.byteLength);
  const inferHeaders = {
    'Content-Type': 'application/octet-stream',
    'Content-Length': body.byteLength,
    'Inference-Header-Content-Length': message.headerLength!,
  };
  const emptyHeaders = { 'Content-Type': 'application/octet-stream', 'Content-Length': body.byteLength };
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const sendEmpty = () => post(agent, emptyPort, '/', body, emptyHeaders);
  const sendInfer = () => post(agent, frontendPort, '/v2/models/echo/infer', body, inferHeaders);

  await timeRound(sendEmpty, perRound);
  await timeRound(sendInfer, perRound);
  const empty: number[] = [];
  const infer: number[] = [];
  for (let round = 0; round < rounds; round++) {
    // Interleave rounds so drift on a shared machine hits both sides alike.
    empty.push(...(await timeRound(sendEmpty, perRound)));
    infer.push(...(await timeRound(sendInfer, perRound)));
  }
  agent.destroy();
  child.kill();
  const e = p50(empty);
  const f = p50(infer);
  process.stdout.write(
    `requests: ${empty.length} each, body ${body.byteLength} bytes\n` +
      `empty fastify POST p50: ${e.toFixed(1)} us\n` +
      `frontend binary infer p50: ${f.toFixed(1)} us\n` +
      `frontend overhead over the empty route: ${(f - e).toFixed(1)} us (ratio ${(f / e).toFixed(2)})\n`,
  );
}

if (process.argv.includes('--serve')) await serve();
else await measure(Number(process.argv[2] ?? 2000), Number(process.argv[3] ?? 5));
