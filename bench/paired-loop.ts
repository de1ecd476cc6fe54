/**
 * Closed-loop load over two or more arms measured in alternating rounds
 * (A B A B ...), for comparisons where the difference is small next to the
 * drift of a shared VM: each arm sees the same machine weather. Latencies of
 * an arm's rounds are merged; its throughput is over the wall time of its
 * own rounds only.
 *
 * An arm may `prepare` each call's argument outside the timed region (a fresh
 * input tensor, say), so allocation is not counted as latency.
 */
import { summarize, type RunStats } from './stats.ts';

export interface Arm<P = unknown> {
  readonly name: string;
  readonly prepare?: () => P;
  readonly call: (prepared: P) => Promise<unknown>;
}

export interface PairedOptions {
  readonly concurrency: number;
  /** Total measured time per arm, split across the rounds. */
  readonly durationMs: number;
  readonly rounds?: number;
  /** Unmeasured warm-up per arm before the first round. */
  readonly warmupMs?: number;
}

async function sample(arm: Arm, concurrency: number, durationMs: number, latencies: number[] | undefined): Promise<number> {
  const start = performance.now();
  const end = start + durationMs;
  const caller = async (): Promise<void> => {
    while (performance.now() < end) {
      const prepared = arm.prepare?.();
      const t0 = performance.now();
      await arm.call(prepared);
      latencies?.push((performance.now() - t0) * 1000);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, caller));
  return performance.now() - start;
}

/** Stats per arm name. Every arm runs `durationMs` in all, in `rounds` alternating slices (default 4). */
export async function pairedLoops(arms: readonly Arm<any>[], options: PairedOptions): Promise<Map<string, RunStats>> {
  const rounds = Math.max(1, options.rounds ?? 4);
  const warmupMs = options.warmupMs ?? Math.min(500, options.durationMs / 4);
  for (const arm of arms) await sample(arm, options.concurrency, warmupMs, undefined);
  const latencies = new Map(arms.map((arm) => [arm.name, [] as number[]]));
  const wall = new Map(arms.map((arm) => [arm.name, 0]));
  for (let round = 0; round < rounds; round++) {
    // Alternate the order too (ABBA), so neither arm always runs right after the other's load.
    const order = round % 2 === 0 ? arms : [...arms].reverse();
    for (const arm of order) {
      wall.set(arm.name, wall.get(arm.name)! + (await sample(arm, options.concurrency, options.durationMs / rounds, latencies.get(arm.name))));
    }
  }
  return new Map(arms.map((arm) => [arm.name, summarize(latencies.get(arm.name)!, wall.get(arm.name)!)]));
}

export interface InterleavedResult {
  readonly a: RunStats;
  readonly b: RunStats;
  /** Median over call pairs of (b - a), µs: robust to drift slower than one pair. */
  readonly medianDifference: number;
}

/**
 * For long calls at concurrency 1, where few rounds would fit: `a` and `b`
 * one call each, in alternating order (ab, ba, ab, ...), each arm for about
 * `durationMs` after a warm-up. Each pair's difference is kept. Throughput
 * is over the arm's own time.
 */
export async function interleavedPairs(
  a: Arm<any>,
  b: Arm<any>,
  options: { durationMs: number; warmupMs?: number; onMeasureStart?: () => void },
): Promise<InterleavedResult> {
  const time = async (arm: Arm<any>): Promise<number> => {
    const prepared = arm.prepare?.();
    const t0 = performance.now();
    await arm.call(prepared);
    return (performance.now() - t0) * 1000;
  };
  const warmEnd = performance.now() + (options.warmupMs ?? Math.min(500, options.durationMs / 4));
  while (performance.now() < warmEnd) {
    await time(a);
    await time(b);
  }
  options.onMeasureStart?.();
  const la: number[] = [];
  const lb: number[] = [];
  const differences: number[] = [];
  const end = performance.now() + options.durationMs * 2;
  for (let pair = 0; pair < 3 || performance.now() < end; pair++) {
    let ta: number;
    let tb: number;
    if (pair % 2 === 0) {
      ta = await time(a);
      tb = await time(b);
    } else {
      tb = await time(b);
      ta = await time(a);
    }
    la.push(ta);
    lb.push(tb);
    differences.push(tb - ta);
  }
  const sum = (xs: number[]): number => xs.reduce((x, y) => x + y, 0);
  return {
    a: summarize(la, sum(la) / 1000),
    b: summarize(lb, sum(lb) / 1000),
    medianDifference: summarize(differences, 1).p50,
  };
}
