/**
 * The floor for streaming VAD: onnxruntime-node alone, in this process, one
 * session of the same silero_vad file with the same settings as the server's
 * (one intra-op thread), scoring B streams per call exactly as the `vad`
 * model.ts does ([B, 64 + 512] input, [2, B, 128] state carried from call to
 * call). Every 32 ms brings one chunk per stream, so one batched call per
 * period keeps up with B streams as long as a call takes under 32 ms: the
 * largest such B is how many streams raw onnxruntime could serve in real
 * time on one core, with no server, network or client at all.
 */
import * as ort from 'onnxruntime-node';
import { summarize, type RunStats } from './stats.ts';
import { CHUNK_MS, CHUNK_SAMPLES } from '../examples/vad/stream-vad.ts';

const CONTEXT = 64;

export interface RawBatchRun {
  readonly batch: number;
  /** Time of one batched call, µs. */
  readonly call: RunStats;
  /** p50 call time per stream, µs. */
  readonly perStreamUs: number;
  readonly realTime: boolean;
}

/** Times `calls` batched calls at each batch size, the state carried from call to call. */
export async function rawBatchRuns(modelPath: string, audio: Float32Array, batches: readonly number[], calls: number): Promise<RawBatchRun[]> {
  const session = await ort.InferenceSession.create(modelPath, { intraOpNumThreads: 1, interOpNumThreads: 1, executionMode: 'sequential' });
  const sr = new ort.Tensor('int64', BigInt64Array.of(16_000n), []);
  const runs: RawBatchRun[] = [];
  try {
    for (const batch of batches) {
      let state: ort.Tensor = new ort.Tensor('float32', new Float32Array(2 * batch * 128), [2, batch, 128]);
      const width = CONTEXT + CHUNK_SAMPLES;
      const times: number[] = [];
      for (let call = 0; call < calls + 3; call++) {
        const input = new Float32Array(batch * width);
        for (let row = 0; row < batch; row++) {
          const from = ((row * 7919 + call) * CHUNK_SAMPLES) % (audio.length - width);
          input.set(audio.subarray(from, from + width), row * width);
        }
        const started = performance.now();
        const out = await session.run({ input: new ort.Tensor('float32', input, [batch, width]), state, sr });
        // The first calls warm the session up.
        if (call >= 3) times.push((performance.now() - started) * 1000);
        state = out.stateN!;
      }
      const stats = summarize(times, times.reduce((a, b) => a + b, 0) / 1000);
      runs.push({ batch, call: stats, perStreamUs: stats.p50 / batch, realTime: stats.p99 < CHUNK_MS * 1000 });
    }
  } finally {
    await session.release();
  }
  return runs;
}
