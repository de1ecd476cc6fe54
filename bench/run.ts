/**
 * `npm run bench:http` (and the first part of `npm run bench`): the
 * foundation's figures, all in one run so the ratios are comparable on a
 * shared machine.
 *
 * For the add/sub model (`simple`) and the MLP (`mlp`), at concurrency 1 and 16:
 *   raw        onnxruntime-node alone, one session in a worker thread (the floor)
 *   infer()    the in-process server API
 *   http-json  KServe v2 JSON over a keep-alive socket to `nereid serve` in its own process
 *   http-bin   the same with the binary tensor extension (tritonclient's default)
 * plus an empty fastify route in its own process (the HTTP floor), and the
 * health-check latency while 16 clients keep every instance busy.
 *
 * Environment: BENCH_DURATION_MS (default 3000) per measurement.
 * Results are printed and written to .bench-results/foundation.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { encodeInferRequest } from '../sdk/codec/http-infer-request.ts';
import { concatChunks } from '../sdk/codec/http-message.ts';
import type { InferRequest } from '../sdk/inference.ts';
import { Tensor } from '../sdk/tensor.ts';
import { createLogger } from '../runtime/logging/logger.ts';
import { createServer } from '../runtime/server/create-server.ts';
import { freePort, startChild, stopChild } from './child-process.ts';
import { closedLoop } from './closed-loop.ts';
import { KeepAliveClient } from './http-client.ts';
import { RawSession, type RawFeed } from './raw-session.ts';
import { BENCH_MODELS, rawFeeds } from './workloads.ts';
import { summarize, type RunStats } from './stats.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const root = fileURLToPath(new URL('..', import.meta.url));
const repository = `${root}models`;

interface Workload {
  readonly model: string;
  readonly feeds: () => RawFeed[];
}

const workloads: Workload[] = BENCH_MODELS.map((model) => ({ model, feeds: () => rawFeeds(model) }));

const DATATYPE_OF: Record<string, 'INT32' | 'FP32'> = { int32: 'INT32', float32: 'FP32' };

function inferRequest(workload: Workload): InferRequest {
  return {
    model: workload.model,
    inputs: workload.feeds().map((feed) => new Tensor(feed.name, DATATYPE_OF[feed.type]!, feed.dims, feed.data as Int32Array)),
  };
}

function httpBody(workload: Workload, binary: boolean): { body: Uint8Array; headers: Record<string, string | number> } {
  const encoded = encodeInferRequest(inferRequest(workload), { binary });
  const headers: Record<string, string | number> = { 'content-type': encoded.contentType };
  if (encoded.headerLength !== undefined) headers['inference-header-content-length'] = encoded.headerLength;
  return { body: concatChunks(encoded.chunks, encoded.byteLength), headers };
}

interface Row {
  model: string;
  path: string;
  concurrency: number;
  stats: RunStats;
}

const rows: Row[] = [];
const record = (model: string, path: string, concurrency: number, stats: RunStats): void => {
  rows.push({ model, path, concurrency, stats });
  const f = (n: number): string => n.toFixed(0).padStart(7);
  process.stdout.write(
    `${model.padEnd(8)} ${path.padEnd(12)} c=${String(concurrency).padEnd(3)} p50 ${f(stats.p50)} µs  p99 ${f(stats.p99)} µs  ${f(stats.throughput)} req/s\n`,
  );
};

async function checkOk(result: Promise<{ status: number; body: Buffer }>): Promise<void> {
  const { status, body } = await result;
  if (status !== 200) throw new Error(`HTTP ${status}: ${body.toString()}`);
}

async function main(): Promise<void> {
  process.stdout.write(`nereid foundation benchmark, ${durationMs} ms per measurement\n\n`);
  const concurrencies = [1, 16];
  const quiet = createLogger({ quiet: true });

  // In-process: raw worker session vs server.infer().
  const server = await createServer({ modelRepository: repository, log: quiet });
  for (const workload of workloads) {
    const raw = await RawSession.create(`${repository}/${workload.model}/1/model.onnx`);
    for (const concurrency of concurrencies) {
      record(workload.model, 'raw', concurrency, await closedLoop(() => raw.run(workload.feeds()), { concurrency, durationMs }));
      record(workload.model, 'infer()', concurrency, await closedLoop(() => server.infer(inferRequest(workload)), { concurrency, durationMs }));
    }
    await raw.dispose();
  }
  await server.close();

  // HTTP: the empty fastify floor, then nereid serve, each in its own process.
  const fastifyPort = await freePort();
  const fastify = await startChild(`${root}bench/empty-fastify.ts`, [String(fastifyPort)], /ready/);
  const floorBody = httpBody(workloads[0]!, true);
  for (const concurrency of concurrencies) {
    const client = new KeepAliveClient(fastifyPort, concurrency);
    record('-', 'fastify', concurrency, await closedLoop(() => checkOk(client.send('POST', '/', floorBody.body, floorBody.headers)), { concurrency, durationMs }));
    client.close();
  }
  await stopChild(fastify);

  // The floor with inference: fastify + the raw worker session, no protocol work.
  for (const workload of workloads) {
    const rawPort = await freePort();
    const child = await startChild(`${root}bench/fastify-raw-worker.ts`, [String(rawPort), `${repository}/${workload.model}/1/model.onnx`, workload.model], /ready/);
    const { body, headers } = httpBody(workload, true);
    for (const concurrency of concurrencies) {
      const client = new KeepAliveClient(rawPort, concurrency);
      record(workload.model, 'fastify+raw', concurrency, await closedLoop(() => checkOk(client.send('POST', '/', body, headers)), { concurrency, durationMs }));
      client.close();
    }
    await stopChild(child);
  }

  const port = await freePort();
  const nereid = await startChild(
    `${root}runtime/cli/main.ts`,
    ['serve', '--model-repository', repository, '--http-port', String(port), '--http-address', '127.0.0.1', '--metrics-port', '0', '--grpc-port', '0'],
    /HTTP service listening/,
  );
  for (const workload of workloads) {
    const path = `/v2/models/${workload.model}/infer`;
    for (const binary of [false, true]) {
      const { body, headers } = httpBody(workload, binary);
      for (const concurrency of concurrencies) {
        const client = new KeepAliveClient(port, concurrency);
        const stats = await closedLoop(() => checkOk(client.send('POST', path, body, headers)), { concurrency, durationMs });
        record(workload.model, binary ? 'http-bin' : 'http-json', concurrency, stats);
        client.close();
      }
    }
  }

  // Health checks while 16 clients keep the MLP's instance busy.
  const load = new KeepAliveClient(port, 16);
  const probe = new KeepAliveClient(port, 1);
  const mlpBody = httpBody(workloads[1]!, true);
  const busy = closedLoop(() => checkOk(load.send('POST', '/v2/models/mlp/infer', mlpBody.body, mlpBody.headers)), { concurrency: 16, durationMs: durationMs + 1000, warmupMs: 0 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  const health = await probeHealth(probe, durationMs);
  record('mlp', 'health@c16', 1, health);
  await busy;
  load.close();
  probe.close();
  await stopChild(nereid);

  printRatios();
  await mkdir(`${root}.bench-results`, { recursive: true });
  await writeFile(`${root}.bench-results/foundation.json`, JSON.stringify({ durationMs, rows }, null, 2));
}

/** GET /v2/health/ready every 2 ms for `durationMs`; only the request itself is timed. */
async function probeHealth(client: KeepAliveClient, durationMs: number): Promise<RunStats> {
  const latencies: number[] = [];
  const start = performance.now();
  while (performance.now() - start < durationMs) {
    const t0 = performance.now();
    await checkOk(client.send('GET', '/v2/health/ready'));
    latencies.push((performance.now() - t0) * 1000);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  return summarize(latencies, performance.now() - start);
}

function find(model: string, path: string, concurrency: number): RunStats | undefined {
  return rows.find((r) => r.model === model && r.path === path && r.concurrency === concurrency)?.stats;
}

function printRatios(): void {
  process.stdout.write('\nOverhead over the raw worker session (p50, µs added; throughput ratio):\n');
  for (const { model } of workloads) {
    for (const concurrency of [1, 16]) {
      const raw = find(model, 'raw', concurrency)!;
      for (const path of ['infer()', 'http-json', 'http-bin']) {
        const stats = find(model, path, concurrency)!;
        process.stdout.write(
          `${model.padEnd(8)} ${path.padEnd(10)} c=${String(concurrency).padEnd(3)} +${(stats.p50 - raw.p50).toFixed(0).padStart(5)} µs p50   x${(stats.throughput / raw.throughput).toFixed(2)} throughput\n`,
        );
      }
    }
  }
  process.stdout.write('\nHTTP binary against the HTTP floors (p50 µs added):\n');
  for (const { model } of workloads) {
    for (const concurrency of [1, 16]) {
      const bin = find(model, 'http-bin', concurrency)!;
      const withRaw = find(model, 'fastify+raw', concurrency)!;
      const empty = find('-', 'fastify', concurrency)!;
      process.stdout.write(
        `${model.padEnd(8)} c=${String(concurrency).padEnd(3)} vs empty route +${(bin.p50 - empty.p50).toFixed(0).padStart(5)}   vs fastify+raw worker +${(bin.p50 - withRaw.p50).toFixed(0).padStart(5)}   throughput x${(bin.throughput / withRaw.throughput).toFixed(2)} of fastify+raw\n`,
      );
    }
  }

  const health = find('mlp', 'health@c16', 1)!;
  process.stdout.write(`health check under load: p50 ${health.p50.toFixed(0)} µs, p99 ${health.p99.toFixed(0)} µs\n`);
}

await main();
