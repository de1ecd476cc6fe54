/**
 * A closed-loop load generator: `concurrency` callers each send one request,
 * wait for its answer, and send the next, until the time budget is spent.
 * A warm-up phase runs first and is not measured.
 */
import { summarize, type RunStats } from './stats.ts';

export interface LoadOptions {
  readonly concurrency: number;
  readonly durationMs: number;
  readonly warmupMs?: number;
}

export async function closedLoop(call: () => Promise<unknown>, options: LoadOptions): Promise<RunStats> {
  const run = async (durationMs: number, record: boolean): Promise<{ latencies: number[]; wallMs: number }> => {
    const latencies: number[] = [];
    const start = performance.now();
    const end = start + durationMs;
    const caller = async (): Promise<void> => {
      while (performance.now() < end) {
        const t0 = performance.now();
        await call();
        if (record) latencies.push((performance.now() - t0) * 1000);
      }
    };
    await Promise.all(Array.from({ length: options.concurrency }, caller));
    return { latencies, wallMs: performance.now() - start };
  };
  await run(options.warmupMs ?? Math.min(1000, options.durationMs / 4), false);
  const { latencies, wallMs } = await run(options.durationMs, true);
  return summarize(latencies, wallMs);
}
