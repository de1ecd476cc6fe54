/** Latency statistics for benchmark runs: percentiles in microseconds and throughput. */

export interface RunStats {
  readonly count: number;
  readonly p50: number;
  readonly p90: number;
  readonly p95: number;
  readonly p99: number;
  readonly mean: number;
  /** Completed requests per second over the run's wall time. */
  readonly throughput: number;
}

/** `latencies` in microseconds; `wallMs` the wall-clock duration of the run. */
export function summarize(latencies: number[], wallMs: number): RunStats {
  const sorted = Float64Array.from(latencies).sort();
  const at = (q: number): number => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN);
  const sum = latencies.reduce((a, b) => a + b, 0);
  return {
    count: latencies.length,
    p50: at(0.5),
    p90: at(0.9),
    p95: at(0.95),
    p99: at(0.99),
    mean: latencies.length ? sum / latencies.length : NaN,
    throughput: wallMs > 0 ? (latencies.length * 1000) / wallMs : NaN,
  };
}
