/**
 * `npm run bench:grpc` (and the last part of `npm run bench`): gRPC against
 * HTTP, `nereid serve` in its own process, both frontends of the same server.
 *
 *   unary   ModelInfer (raw_input_contents, as Triton clients send; one
 *           channel, concurrent calls multiplexed on it) vs HTTP binary
 *           tensors (keep-alive sockets), on `simple` and on `add_sub_bls`
 *           (simple behind one BLS call), concurrency 1 and 16. At c=1 the
 *           arms alternate call by call, at c=16 in rounds (paired-loop.ts).
 *           Figure: gRPC / HTTP throughput (issue 5 target >= 0.8x; Triton's
 *           own is about 0.9x).
 *   cpu     client (this process) and server (the child) CPU time per
 *           request of each arm on `simple` at c=16: on 2 shared cores a
 *           heavier client takes CPU from the server. Figure: the server's
 *           capacity ratio (HTTP CPU / gRPC CPU per request), the
 *           throughput ratio once the clients run on cores of their own.
 *   floor   the same light clients against an empty fastify route and an
 *           empty grpc-js ModelInfer (empty-fastify.ts, empty-grpc.ts):
 *           the frameworks' own gRPC-to-HTTP ratio, and nereid's against it.
 *   stream  the decoupled `generate`: time to first token and per-token
 *           interval over ModelStreamInfer and over SSE (grpc-stream.ts);
 *           skipped while models/generate is not decoupled.
 *
 * Environment: BENCH_DURATION_MS (default 3000): measured time per arm per
 * case; BENCH_STREAM_REPS (default 40): generations per streaming arm;
 * BENCH_CPU_CALLS (default 4000): calls per arm per round of the cpu section.
 * Results are printed and written to .bench-results/grpc.json.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { encodeInferRequest } from '../sdk/codec/http-infer-request.ts';
import { concatChunks } from '../sdk/codec/http-message.ts';
import { Tensor } from '../sdk/tensor.ts';
import { freePort, startChild, stopChild } from './child-process.ts';
import { GrpcBenchClient, type InferReply } from './grpc-client.ts';
import { benchStreaming } from './grpc-stream.ts';
import { KeepAliveClient } from './http-client.ts';
import { processCpuMicros } from './process-cpu.ts';
import { interleavedPairs, pairedLoops, type Arm } from './paired-loop.ts';
import { RawGrpcClient } from './grpc-raw-client.ts';
import { Report } from './scripts-report.ts';
import type { RunStats } from './stats.ts';

const durationMs = Number(process.env.BENCH_DURATION_MS ?? 3000);
const streamRepetitions = Number(process.env.BENCH_STREAM_REPS ?? 40);
const root = fileURLToPath(new URL('..', import.meta.url));
const repository = `${root}models`;
const cli = `${root}runtime/cli/main.ts`;
const concurrencies = [1, 16] as const;
const UNARY_MODELS = ['simple', 'add_sub_bls'];
const TARGET_RATIO = 0.8;

const INPUT0 = Int32Array.from({ length: 16 }, (_, i) => i);
const INPUT1 = new Int32Array(16).fill(1);

/** The HTTP binary body and headers for `model`, built once (as scripts-bls.ts does). */
function httpBody(model: string): { body: Uint8Array; headers: Record<string, string | number> } {
  const encoded = encodeInferRequest(
    { model, inputs: [new Tensor('INPUT0', 'INT32', [1, 16], INPUT0.slice()), new Tensor('INPUT1', 'INT32', [1, 16], INPUT1.slice())] },
    { binary: true },
  );
  const headers: Record<string, string | number> = { 'content-type': encoded.contentType };
  if (encoded.headerLength !== undefined) headers['inference-header-content-length'] = encoded.headerLength;
  return { body: concatChunks(encoded.chunks, encoded.byteLength), headers };
}

/** The ModelInferRequest a Triton client sends for `model`: tensors in raw_input_contents. */
function grpcRequest(model: string): unknown {
  return {
    model_name: model,
    inputs: [
      { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
      { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
    ],
    raw_input_contents: [Buffer.from(INPUT0.buffer), Buffer.from(INPUT1.buffer)],
  };
}

function checkGrpcReply(reply: InferReply, model: string): void {
  const raw = reply.raw_output_contents ?? [];
  const sum = new Int32Array(new Uint8Array(raw[0] ?? []).buffer);
  const difference = new Int32Array(new Uint8Array(raw[1] ?? []).buffer);
  const ok = sum.length === 16 && difference.length === 16 && INPUT0.every((x, i) => sum[i] === x + 1 && difference[i] === x - 1);
  if (!ok) throw new Error(`gRPC ${model}: unexpected outputs ${JSON.stringify(reply.outputs)}`);
}

async function benchUnary(report: Report, grpc: GrpcBenchClient, httpPort: number, grpcPort: number): Promise<void> {
  const section = 'unary';
  report.print(`\n[${section}] gRPC ModelInfer (raw_input_contents, one channel) vs HTTP binary (keep-alive), nereid serve in its own process\n`);
  for (const model of UNARY_MODELS) {
    const message = grpcRequest(model);
    const { body, headers } = httpBody(model);
    checkGrpcReply(await grpc.infer(message), model);
    for (const concurrency of concurrencies) {
      const http = new KeepAliveClient(httpPort, concurrency);
      try {
        const first = await http.send('POST', `/v2/models/${model}/infer`, body, headers);
        if (first.status !== 200) throw new Error(`HTTP ${first.status} from ${model}: ${first.body.toString()}`);
        const httpArm: Arm = {
          name: `${model} http-bin`,
          call: async () => {
            const result = await http.send('POST', `/v2/models/${model}/infer`, body, headers);
            if (result.status !== 200) throw new Error(`HTTP ${result.status} from ${model}`);
          },
        };
        const grpcArm: Arm = { name: `${model} grpc`, call: () => grpc.infer(message) };
        // The same call from a client as light as the HTTP one: the ratio then measures the servers.
        const raw = new RawGrpcClient(grpcPort);
        const frame = RawGrpcClient.frame(message);
        const rawArm: Arm = { name: `${model} grpc-raw`, call: () => raw.infer(frame) };
        let stats: Map<string, RunStats>;
        let pairDifference: number | undefined;
        let rawDifference: number | undefined;
        if (concurrency === 1) {
          const pairs = await interleavedPairs(httpArm, grpcArm, { durationMs });
          const rawPairs = await interleavedPairs(httpArm, rawArm, { durationMs });
          stats = new Map([[httpArm.name, pairs.a], [grpcArm.name, pairs.b], [rawArm.name, rawPairs.b]]);
          pairDifference = pairs.medianDifference;
          rawDifference = rawPairs.medianDifference;
        } else {
          stats = await pairedLoops([httpArm, grpcArm, rawArm], { concurrency, durationMs });
        }
        raw.close();
        const h = report.row(section, httpArm.name, concurrency, stats.get(httpArm.name)!);
        const g = report.row(section, grpcArm.name, concurrency, stats.get(grpcArm.name)!);
        const r = report.row(section, rawArm.name, concurrency, stats.get(rawArm.name)!);
        report.figure({ section, name: `${model} gRPC (light client) / HTTP throughput, c=${concurrency}`, value: r.throughput / h.throughput, unit: 'x', target: TARGET_RATIO, atLeast: true });
        if (rawDifference !== undefined) {
          report.figure({ section, name: `${model} gRPC (light client) - HTTP latency, c=1 (median pair diff)`, value: rawDifference, unit: 'µs' });
        }
        report.figure({ section, name: `${model} gRPC / HTTP throughput, c=${concurrency}`, value: g.throughput / h.throughput, unit: 'x', target: TARGET_RATIO, atLeast: true, note: 'grpc-js client; Triton ~0.9x' });
        if (pairDifference !== undefined) {
          report.figure({ section, name: `${model} gRPC - HTTP latency, c=1 (median pair diff)`, value: pairDifference, unit: 'µs' });
        }
        report.figure({ section, name: `${model} gRPC - HTTP p99, c=${concurrency}`, value: g.p99 - h.p99, unit: 'µs' });
      } finally {
        http.close();
      }
    }
  }
}

interface CpuArm {
  readonly name: string;
  readonly call: () => Promise<unknown>;
  /** The server process that answers this arm's calls. */
  readonly serverPid: number;
}

/** Client (this process) and server CPU time per call of each arm: `calls` calls at c=16, the arms alternating over two rounds. */
async function cpuPerCall(arms: readonly CpuArm[], calls: number): Promise<Map<string, { client: number; server: number }>> {
  const totals = new Map(arms.map((arm) => [arm.name, { client: 0, server: 0 }]));
  for (const round of [0, 1]) {
    for (const arm of round === 0 ? arms : [...arms].reverse()) {
      let left = calls;
      const worker = async (): Promise<void> => {
        while (left-- > 0) await arm.call();
      };
      const client0 = process.cpuUsage();
      const server0 = processCpuMicros(arm.serverPid)!;
      await Promise.all(Array.from({ length: 16 }, worker));
      const client = process.cpuUsage(client0);
      const total = totals.get(arm.name)!;
      total.client += (client.user + client.system) / (2 * calls);
      total.server += (processCpuMicros(arm.serverPid)! - server0) / (2 * calls);
    }
  }
  return totals;
}

/**
 * Where the CPU goes: client (this process) and server (the child) CPU time
 * per request of each arm on `simple` at concurrency 16. On 2 shared cores
 * the client's cost competes with the server's, so a heavier client lowers
 * the throughput; the server's CPU per request is what bounds its own
 * throughput when the clients run elsewhere.
 */
async function benchCpu(report: Report, grpc: GrpcBenchClient, httpPort: number, grpcPort: number, serverPid: number, calls: number): Promise<number | undefined> {
  const section = 'cpu';
  if (processCpuMicros(serverPid) === undefined) {
    report.skip(section, 'no /proc: CPU time per request not measured');
    return undefined;
  }
  report.print(`\n[${section}] CPU time per request, simple, c=16, ${calls} calls per arm per round, 2 rounds\n`);
  const model = 'simple';
  const message = grpcRequest(model);
  const { body, headers } = httpBody(model);
  const http = new KeepAliveClient(httpPort, 16);
  const raw = new RawGrpcClient(grpcPort);
  const frame = RawGrpcClient.frame(message);
  try {
    const perCall = await cpuPerCall(
      [
        { name: 'http-bin', call: () => http.send('POST', `/v2/models/${model}/infer`, body, headers), serverPid },
        { name: 'grpc', call: () => grpc.infer(message), serverPid },
        { name: 'grpc-raw', call: () => raw.infer(frame), serverPid },
      ],
      calls,
    );
    for (const [name, cpu] of perCall) {
      report.figure({ section, name: `${model} ${name}: client CPU per request`, value: cpu.client, unit: 'µs' });
      report.figure({ section, name: `${model} ${name}: server CPU per request`, value: cpu.server, unit: 'µs', note: '/proc, 10 ms ticks' });
    }
    const capacity = perCall.get('http-bin')!.server / perCall.get('grpc-raw')!.server;
    report.figure({
      section,
      name: `${model} server capacity, gRPC / HTTP`,
      value: capacity,
      unit: 'x',
      target: TARGET_RATIO,
      atLeast: true,
      note: 'HTTP server CPU per request / gRPC server CPU per request: the throughput ratio with the clients on other cores',
    });
    return capacity;
  } finally {
    http.close();
    raw.close();
  }
}

/**
 * The frameworks alone: an empty fastify POST route (empty-fastify.ts) and
 * an empty grpc-js ModelInfer (empty-grpc.ts), each in its own process,
 * called with the same light clients and bodies as the unary section, at
 * c=16. What nereid's ratios can be held against: the part of the gap
 * between the protocols that comes before any inference.
 */
async function benchFloor(report: Report, calls: number): Promise<{ throughput: number; capacity?: number }> {
  const section = 'floor';
  report.print(`\n[${section}] empty fastify POST route vs empty grpc-js ModelInfer (decodes the request, answers a fixed response), each in its own process, c=16\n`);
  const [fastifyPort, grpcPort] = [await freePort(), await freePort()];
  const fastify = await startChild(`${root}bench/empty-fastify.ts`, [String(fastifyPort)], /ready/);
  const grpcServer = await startChild(`${root}bench/empty-grpc.ts`, [String(grpcPort)], /ready/);
  const http = new KeepAliveClient(fastifyPort, 16);
  const raw = new RawGrpcClient(grpcPort);
  try {
    const { body, headers } = httpBody('simple');
    const frame = RawGrpcClient.frame(grpcRequest('simple'));
    const httpArm: CpuArm = { name: 'empty fastify', call: () => http.send('POST', '/', body, headers), serverPid: fastify.pid! };
    const grpcArm: CpuArm = { name: 'empty grpc-js', call: () => raw.infer(frame), serverPid: grpcServer.pid! };
    const stats = await pairedLoops([httpArm, grpcArm], { concurrency: 16, durationMs });
    const h = report.row(section, httpArm.name, 16, stats.get(httpArm.name)!);
    const g = report.row(section, grpcArm.name, 16, stats.get(grpcArm.name)!);
    const throughput = g.throughput / h.throughput;
    report.figure({ section, name: 'empty grpc-js / empty fastify throughput, c=16', value: throughput, unit: 'x' });
    if (processCpuMicros(fastify.pid!) === undefined) return { throughput };
    const perCall = await cpuPerCall([httpArm, grpcArm], calls);
    for (const [name, cpu] of perCall) report.figure({ section, name: `${name}: server CPU per request`, value: cpu.server, unit: 'µs' });
    const capacity = perCall.get(httpArm.name)!.server / perCall.get(grpcArm.name)!.server;
    report.figure({ section, name: 'server capacity, empty grpc-js / empty fastify', value: capacity, unit: 'x' });
    return { throughput, capacity };
  } finally {
    http.close();
    raw.close();
    await Promise.all([stopChild(fastify), stopChild(grpcServer)]);
  }
}

function isDecoupled(model: string): boolean {
  const config = `${repository}/${model}/config.pbtxt`;
  return existsSync(config) && /^\s*model_transaction_policy\s*\{\s*decoupled:\s*true/m.test(readFileSync(config, 'utf8'));
}

async function main(): Promise<void> {
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  const loadStart = loadavg();
  process.stdout.write(`nereid gRPC vs HTTP benchmark, ${durationMs} ms per arm per case (arms alternate)\n`);
  process.stdout.write(`node ${process.version}, ${availableParallelism()} CPUs, load average ${load()} (other processes compete for the same cores)\n`);
  const report = new Report();

  const streaming = isDecoupled('generate') && existsSync(`${repository}/generate_decoder`);
  const models = [...UNARY_MODELS, ...(streaming ? ['generate', 'generate_decoder'] : [])];
  const [httpPort, grpcPort] = [await freePort(), await freePort()];
  const args = ['serve', '--model-repository', repository, '--http-port', String(httpPort), '--http-address', '127.0.0.1'];
  args.push('--grpc-port', String(grpcPort), '--grpc-address', '127.0.0.1', '--metrics-port', '0', '--model-control-mode', 'explicit');
  for (const model of models) args.push('--load-model', model);
  const ready = /(gRPC service listening[\s\S]*HTTP service listening)|(HTTP service listening[\s\S]*gRPC service listening)/;
  const child = await startChild(cli, args, ready);
  const grpc = new GrpcBenchClient(`127.0.0.1:${grpcPort}`);
  try {
    await benchUnary(report, grpc, httpPort, grpcPort);
    const calls = Number(process.env.BENCH_CPU_CALLS ?? 4000);
    const capacity = await benchCpu(report, grpc, httpPort, grpcPort, child.pid!, calls);
    const floor = await benchFloor(report, calls);
    const light = report.figures.find((figure) => figure.name === 'simple gRPC (light client) / HTTP throughput, c=16');
    if (light) report.figure({ section: 'floor', name: 'nereid / floor, gRPC-to-HTTP throughput ratio, c=16', value: light.value / floor.throughput, unit: 'x', note: '1: nereid adds nothing to the gap between the frameworks' });
    if (capacity !== undefined && floor.capacity !== undefined) {
      report.figure({ section: 'floor', name: 'nereid / floor, gRPC-to-HTTP server capacity', value: capacity / floor.capacity, unit: 'x' });
    }
    if (streaming) await benchStreaming(report, grpc, httpPort, { tokens: 32, repetitions: streamRepetitions });
    else report.skip('stream', 'models/generate is not decoupled (model_transaction_policy { decoupled: true }) or generate_decoder is missing');
  } finally {
    grpc.close();
    await stopChild(child);
  }

  report.printSummary();
  process.stdout.write(`\nload average at the end: ${load()}\n`);
  const machine = { node: process.version, cpus: availableParallelism(), loadavgStart: loadStart, loadavgEnd: loadavg() };
  await mkdir(`${root}.bench-results`, { recursive: true });
  await writeFile(
    `${root}.bench-results/grpc.json`,
    JSON.stringify({ durationMs, streamRepetitions, machine, rows: report.rows, figures: report.figures, skipped: report.skipped, notes: report.notes }, null, 2),
  );
}

await main();
