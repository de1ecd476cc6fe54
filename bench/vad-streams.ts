/**
 * Live audio streams against the `vad` model: each stream sends one 32 ms
 * chunk every 32 ms on its own gRPC ModelStreamInfer stream (one sequence),
 * as a microphone would, and every answer's latency is measured from the
 * moment its chunk left. Streams start at evenly spread phases of the 32 ms
 * period, as independent callers would, rather than all at once.
 *
 * A run keeps up in real time when the answers come back within a chunk's
 * duration (p99 < 32 ms), every chunk is answered (no backlog left at the
 * end), and the client itself sent on time (its timers are not late: on a
 * shared machine the client competes with the server for the same cores).
 */
import { GrpcClient, Tensor } from '../sdk/client/index.ts';
import { CHUNK_MS, CHUNK_SAMPLES } from '../examples/vad/stream-vad.ts';
import { summarize, type RunStats } from './stats.ts';

export interface StreamsRun {
  readonly streams: number;
  /** Chunk round-trip latency, µs. */
  readonly latency: RunStats;
  /** How late the client sent chunks against their schedule, µs. */
  readonly sendLag: RunStats;
  readonly sent: number;
  readonly answered: number;
  readonly failed: number;
  /** Client process CPU time per chunk, µs (this process only; the server runs in its own). */
  readonly clientCpuUsPerChunk: number;
  readonly realTime: boolean;
}

/** Runs `streams` live streams for `durationMs` of audio each; `audio` is cycled through, each stream from its own offset. */
export async function runLiveStreams(address: string, audio: Float32Array, streams: number, durationMs: number, runTag: string): Promise<StreamsRun> {
  const chunks = Math.max(2, Math.round(durationMs / CHUNK_MS));
  const client = new GrpcClient(address);
  const latencies: number[] = [];
  const lags: number[] = [];
  let failed = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now() + 20;
  const runs = Array.from({ length: streams }, (_, k) => runOne(k));
  const results = await Promise.all(runs);
  const cpu = process.cpuUsage(cpuBefore);
  client.close();
  const sent = results.reduce((sum, r) => sum + r.sent, 0);
  const answered = results.reduce((sum, r) => sum + r.answered, 0);
  const wallMs = performance.now() - started;
  const latency = summarize(latencies, wallMs);
  const sendLag = summarize(lags, wallMs);
  const periodUs = CHUNK_MS * 1000;
  return {
    streams,
    latency,
    sendLag,
    sent,
    answered,
    failed,
    clientCpuUsPerChunk: (cpu.user + cpu.system) / Math.max(1, sent),
    realTime: failed === 0 && answered === sent && latency.p99 < periodUs && sendLag.p99 < periodUs,
  };

  async function runOne(k: number): Promise<{ sent: number; answered: number }> {
    const stream = client.openStream();
    const sequenceId = `${runTag}-${k}`;
    const offset = (k * 7919 * CHUNK_SAMPLES) % Math.max(CHUNK_SAMPLES, audio.length - CHUNK_SAMPLES);
    const phase = (k * CHUNK_MS) / streams;
    const sentAt = new Float64Array(chunks);
    let next = 0;
    let timer: NodeJS.Timeout | undefined;
    const tick = (): void => {
      const index = next++;
      const due = started + phase + index * CHUNK_MS;
      const now = performance.now();
      lags.push((now - due) * 1000);
      sentAt[index] = now;
      const from = (offset + index * CHUNK_SAMPLES) % (audio.length - CHUNK_SAMPLES);
      try {
        stream.send({
          model: 'vad',
          id: String(index),
          inputs: [new Tensor('audio', 'FP32', [1, CHUNK_SAMPLES], audio.subarray(from, from + CHUNK_SAMPLES))],
          parameters: { sequence_id: sequenceId, sequence_start: index === 0, sequence_end: index === chunks - 1 },
        });
      } catch {
        return; // the stream failed: the loop below counts it
      }
      if (next === chunks) stream.end();
      else timer = setTimeout(tick, Math.max(0, started + phase + next * CHUNK_MS - performance.now()));
    };
    timer = setTimeout(tick, Math.max(0, started + phase - performance.now()));
    let answered = 0;
    // A backlog still unanswered a second after the last chunk is a failure to keep up, not something to wait out.
    const deadline = setTimeout(() => stream.cancel(), durationMs + 1000 + CHUNK_MS * 2);
    try {
      for await (const item of stream) {
        if (!item.ok) {
          failed++;
          continue;
        }
        latencies.push((performance.now() - sentAt[Number(item.response.id)]!) * 1000);
        answered++;
      }
    } catch {
      failed++;
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
    }
    return { sent: next, answered };
  }
}
