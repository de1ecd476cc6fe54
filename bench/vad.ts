/**
 * `npm run bench:vad`: how many live audio streams the bundled `vad` model
 * sustains in real time on this machine, against raw onnxruntime-node.
 *
 *   server  `nereid serve` in its own process (vad + silero_vad, gRPC on a
 *           free port); this process plays N live streams (vad-streams.ts:
 *           one 32 ms chunk per stream every 32 ms, one gRPC stream and one
 *           sequence each) for a few seconds at each N of a rising ladder,
 *           then halves the gap between the last N that kept up and the
 *           first that did not. Kept up: p99 answer latency < 32 ms, every
 *           chunk answered, and the client's own sends on time. A step that
 *           falls behind runs once more before it counts as failed: other
 *           work on a shared machine stalls a run now and then.
 *   raw     onnxruntime-node alone in this process, the same file and
 *           settings, one batched call of B streams per 32 ms (vad-raw.ts):
 *           the largest B whose call takes < 32 ms at p99 is the floor's
 *           capacity on one core.
 *
 * Both arms run on the same cores, the client too: on a 2-core machine the
 * client's CPU is taken from the server (its time per chunk is printed).
 *
 * Environment: BENCH_VAD_SECONDS (default 3): audio per stream at each step;
 * BENCH_VAD_MAX_STREAMS (default 512): top of the ladder; BENCH_VAD_RAW_CALLS
 * (default 30): calls per batch size of the floor.
 * Results are printed and written to .bench-results/vad.json.
 */
import { readFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { GrpcClient } from '../sdk/client/index.ts';
import { readWav } from '../examples/vad/wav.ts';
import { freePort, startChild, stopChild } from './child-process.ts';
import { processCpuMicros } from './process-cpu.ts';
import { rawBatchRuns, type RawBatchRun } from './vad-raw.ts';
import { CHUNK_MS } from '../examples/vad/stream-vad.ts';
import { runLiveStreams, type StreamsRun } from './vad-streams.ts';

const seconds = Number(process.env.BENCH_VAD_SECONDS ?? 3);
const maxStreams = Number(process.env.BENCH_VAD_MAX_STREAMS ?? 512);
const rawCalls = Number(process.env.BENCH_VAD_RAW_CALLS ?? 30);
const root = fileURLToPath(new URL('..', import.meta.url));
const LADDER = [1, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024];
const RAW_BATCHES = [1, 8, 32, 64, 128, 256, 384, 512, 768];

const ms = (us: number): string => (Number.isFinite(us) ? (us / 1000).toFixed(1) : '-').padStart(6);

interface ServerRun extends StreamsRun {
  /** Chunks per silero call. */
  readonly meanBatch: number;
  /** Server process CPU time per chunk, µs (NaN where /proc is missing). */
  readonly serverCpuUsPerChunk: number;
}

function printStreams(run: ServerRun): void {
  process.stdout.write(
    `  ${String(run.streams).padStart(5)} streams  latency p50 ${ms(run.latency.p50)} ms  p99 ${ms(run.latency.p99)} ms  ` +
      `send lag p99 ${ms(run.sendLag.p99)} ms  answered ${run.answered}/${run.sent}${run.failed ? ` (${run.failed} failed)` : ''}  ` +
      `mean batch ${run.meanBatch.toFixed(1)}  CPU/chunk server ${run.serverCpuUsPerChunk.toFixed(0)} µs, client ${run.clientCpuUsPerChunk.toFixed(0)} µs  ` +
      `${run.realTime ? 'real time' : 'FALLS BEHIND'}\n`,
  );
}

async function benchServer(audio: Float32Array): Promise<{ runs: ServerRun[]; sustained: number }> {
  const grpcPort = await freePort();
  const args = ['serve', '--model-repository', `${root}models`, '--http-port', '0', '--http-address', '127.0.0.1', '--grpc-port', String(grpcPort)];
  args.push('--grpc-address', '127.0.0.1', '--allow-metrics', 'false', '--model-control-mode', 'explicit', '--load-model', 'vad', '--load-model', 'silero_vad');
  const child = await startChild(`${root}runtime/cli/main.ts`, args, /gRPC service listening/);
  const address = `127.0.0.1:${grpcPort}`;
  const stats = new GrpcClient(address);
  const runs: ServerRun[] = [];
  let tag = 0;
  const measureOnce = async (streams: number): Promise<ServerRun> => {
    const before = (await stats.modelStatistics('vad')).model_stats[0]!;
    const cpuBefore = processCpuMicros(child.pid!) ?? NaN;
    const run = await runLiveStreams(address, audio, streams, seconds * 1000, `bench-${tag++}`);
    const cpuAfter = processCpuMicros(child.pid!) ?? NaN;
    const after = (await stats.modelStatistics('vad')).model_stats[0]!;
    const meanBatch = (after.inference_count - before.inference_count) / Math.max(1, after.execution_count - before.execution_count);
    const measured: ServerRun = { ...run, meanBatch, serverCpuUsPerChunk: (cpuAfter - cpuBefore) / Math.max(1, run.answered) };
    printStreams(measured);
    // Let a backlog drain (and idle sequences expire) before the next step.
    await new Promise((resolve) => setTimeout(resolve, run.realTime ? 200 : 1500));
    return measured;
  };
  const measure = async (streams: number): Promise<ServerRun> => {
    const first = await measureOnce(streams);
    runs.push(first);
    if (first.realTime) return first;
    const second = await measureOnce(streams);
    runs.push(second);
    return second;
  };
  try {
    process.stdout.write(`\n[server] live streams against nereid serve (vad + silero_vad), ${seconds} s of audio per stream per step\n`);
    await runLiveStreams(address, audio, 8, 500, 'warm-up');
    let sustained = 0;
    let failedAt = 0;
    for (const streams of LADDER.filter((n) => n <= maxStreams)) {
      const run = await measure(streams);
      if (!run.realTime) {
        failedAt = streams;
        break;
      }
      sustained = streams;
    }
    // Narrow the gap between the last step that kept up and the first that did not, to within an eighth.
    while (failedAt > 0 && failedAt - sustained > Math.max(4, sustained / 8)) {
      const streams = Math.round((sustained + failedAt) / 2);
      const run = await measure(streams);
      if (run.realTime) sustained = streams;
      else failedAt = streams;
    }
    return { runs, sustained };
  } finally {
    stats.close();
    await stopChild(child);
  }
}

function printRaw(run: RawBatchRun): void {
  process.stdout.write(
    `  batch ${String(run.batch).padStart(4)}  call p50 ${ms(run.call.p50)} ms  p99 ${ms(run.call.p99)} ms  ` +
      `${run.perStreamUs.toFixed(1).padStart(6)} µs per stream  ${run.realTime ? 'real time' : 'too slow'}\n`,
  );
}

async function main(): Promise<void> {
  const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');
  process.stdout.write(`nereid streaming VAD benchmark: ${CHUNK_MS} ms chunks in real time\n`);
  process.stdout.write(`node ${process.version}, ${availableParallelism()} CPUs, load average ${load()} (other processes compete for the same cores)\n`);
  const audio = readWav(readFileSync(`${root}examples/vad/speech.wav`)).samples;
  const server = await benchServer(audio);

  process.stdout.write(`\n[raw] onnxruntime-node alone, one session, one intra-op thread, one batched call of B streams per ${CHUNK_MS} ms\n`);
  const raw = await rawBatchRuns(`${root}models/silero_vad/1/model.onnx`, audio, RAW_BATCHES, rawCalls);
  raw.forEach(printRaw);
  const rawSustained = Math.max(0, ...raw.filter((run) => run.realTime).map((run) => run.batch));

  process.stdout.write(`\nstreams sustained in real time: nereid ${server.sustained} (over gRPC, client on the same machine); raw onnxruntime-node ${rawSustained} (one core, no I/O)`);
  process.stdout.write(rawSustained > 0 ? `; ratio ${(server.sustained / rawSustained).toFixed(2)}\n` : '\n');
  process.stdout.write(`load average at the end: ${load()}\n`);
  await mkdir(`${root}.bench-results`, { recursive: true });
  const machine = { node: process.version, cpus: availableParallelism(), loadavgEnd: loadavg() };
  await writeFile(
    `${root}.bench-results/vad.json`,
    JSON.stringify({ seconds, machine, server: { sustained: server.sustained, runs: server.runs }, raw: { sustained: rawSustained, runs: raw } }, null, 2),
  );
}

await main();
