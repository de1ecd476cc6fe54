/** The benchmark's request for each bundled model, as raw onnxruntime feeds. */
import type { RawFeed } from './raw-session.ts';

const FEEDS: Record<string, () => RawFeed[]> = {
  simple: () => [
    { name: 'INPUT0', type: 'int32', dims: [1, 16], data: Int32Array.from({ length: 16 }, (_, i) => i) },
    { name: 'INPUT1', type: 'int32', dims: [1, 16], data: new Int32Array(16).fill(1) },
  ],
  mlp: () => [{ name: 'input', type: 'float32', dims: [1, 64], data: Float32Array.from({ length: 64 }, (_, i) => Math.sin(i)) }],
};

export const BENCH_MODELS: readonly string[] = Object.keys(FEEDS);

/** Fresh feeds for `model` (each call allocates, as each client request would). */
export function rawFeeds(model: string): RawFeed[] {
  const feeds = FEEDS[model];
  if (!feeds) throw new Error(`no benchmark workload for model '${model}'`);
  return feeds();
}
