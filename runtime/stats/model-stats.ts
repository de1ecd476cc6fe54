/**
 * Statistics of one model version, as Triton's statistics extension reports
 * them (`GET /v2/models/{m}/versions/{v}/stats`), and the source of the
 * per-model Prometheus series.
 *
 * Who records what:
 * - the scheduler, once per execution (batch): `recordExecution`;
 * - the model version, once per request when it finishes: `recordSuccess`
 *   (with its queue time and the compute time of its execution) or
 *   `recordFailure` (with the reason Triton's failure metric uses).
 * As in Triton, queue and compute durations count successful requests only,
 * and a request of batch size N counts once in `success` and N times in
 * `inference_count`.
 *
 * Durations are nanoseconds (numbers: 2^53 ns is 104 days of cumulative time
 * per counter, and the JSON rendering needs numbers anyway).
 *
 * @example
 * ```ts
 * const stats = new ModelStats('simple', 1);
 * stats.recordExecution(4, results); // results[0].compute: { inputNs: 2_000, inferNs: 30_000, outputNs: 1_000 }
 * stats.recordSuccess(80_000, 10_000, { inputNs: 2_000, inferNs: 30_000, outputNs: 1_000 });
 * stats.snapshot().inference_stats.success; // { count: 1, ns: 80000 }
 * ```
 */
import type { ComputeTiming, ExecResult } from '../backends/backend.ts';

/** Why a request failed, as `nv_inference_request_failure{reason}` names it. */
export type FailureReason = 'REJECTED' | 'CANCELED' | 'BACKEND' | 'OTHER';
export const FAILURE_REASONS: readonly FailureReason[] = ['REJECTED', 'CANCELED', 'BACKEND', 'OTHER'];

import type { InferBatchStatistics, InferStatistics, ModelStatistics, StatisticDuration } from '../../sdk/server-answers.ts';

export type { InferBatchStatistics, InferStatistics, ModelStatistics, StatisticDuration } from '../../sdk/server-answers.ts';

/** A duration in milliseconds (`performance.now()` differences) as the statistics' nanoseconds. */
export function millisToNanos(ms: number): number {
  return Math.round(ms * 1e6);
}

/** Nanoseconds since `startMs`, a `performance.now()` reading. */
export function nanosSince(startMs: number): number {
  return millisToNanos(performance.now() - startMs);
}

const duration = (): StatisticDuration => ({ count: 0, ns: 0 });

function add(target: StatisticDuration, ns: number, count = 1): void {
  target.count += count;
  target.ns += ns;
}

export class ModelStats {
  readonly name: string;
  readonly version: number;
  readonly #inference: InferStatistics = {
    success: duration(),
    fail: duration(),
    queue: duration(),
    compute_input: duration(),
    compute_infer: duration(),
    compute_output: duration(),
    cache_hit: duration(),
    cache_miss: duration(),
  };
  readonly #batches = new Map<number, InferBatchStatistics>();
  /** Failed requests by reason (the failure metric's label). */
  readonly #failures = new Map<FailureReason, number>(FAILURE_REASONS.map((reason) => [reason, 0]));
  #inferenceCount = 0;
  #executionCount = 0;
  #lastInference = 0;

  constructor(name: string, version: number) {
    this.name = name;
    this.version = version;
  }

  /**
   * One execution of `batchSize` inferences (the sum of its requests' batch
   * sizes; 1 per request without batching) that answered `results`. An
   * execution in which every request failed is not counted, as Triton's
   * backends report batch statistics only when some request succeeded.
   */
  recordExecution(batchSize: number, results: readonly ExecResult[]): void {
    if (!results.some((result) => result.ok)) return;
    const compute = results[0]?.compute;
    this.#executionCount++;
    this.#inferenceCount += batchSize;
    let batch = this.#batches.get(batchSize);
    if (!batch) {
      batch = { batch_size: batchSize, compute_input: duration(), compute_infer: duration(), compute_output: duration() };
      this.#batches.set(batchSize, batch);
    }
    add(batch.compute_input, compute?.inputNs ?? 0);
    add(batch.compute_infer, compute?.inferNs ?? 0);
    add(batch.compute_output, compute?.outputNs ?? 0);
  }

  /** A request that succeeded: its end-to-end time, its time queued in the scheduler, and the compute time of its execution. */
  recordSuccess(requestNs: number, queueNs: number, compute: ComputeTiming | undefined): void {
    const stats = this.#inference;
    add(stats.success, requestNs);
    add(stats.queue, queueNs);
    add(stats.compute_input, compute?.inputNs ?? 0);
    add(stats.compute_infer, compute?.inferNs ?? 0);
    add(stats.compute_output, compute?.outputNs ?? 0);
    this.#lastInference = Date.now();
  }

  recordFailure(requestNs: number, reason: FailureReason): void {
    add(this.#inference.fail, requestNs);
    this.#failures.set(reason, (this.#failures.get(reason) ?? 0) + 1);
    this.#lastInference = Date.now();
  }

  /** Failed requests with `reason` so far. */
  failures(reason: FailureReason): number {
    return this.#failures.get(reason) ?? 0;
  }

  /** A copy of the statistics in the extension's JSON shape (batch sizes ascending). */
  snapshot(): ModelStatistics {
    const copy = (d: StatisticDuration): StatisticDuration => ({ count: d.count, ns: d.ns });
    const inference = Object.fromEntries(Object.entries(this.#inference).map(([key, d]) => [key, copy(d)])) as unknown as InferStatistics;
    return {
      name: this.name,
      version: String(this.version),
      last_inference: this.#lastInference,
      inference_count: this.#inferenceCount,
      execution_count: this.#executionCount,
      inference_stats: inference,
      response_stats: {},
      batch_stats: [...this.#batches.values()]
        .sort((a, b) => a.batch_size - b.batch_size)
        .map((b) => ({ batch_size: b.batch_size, compute_input: copy(b.compute_input), compute_infer: copy(b.compute_infer), compute_output: copy(b.compute_output) })),
      memory_usage: [],
    };
  }
}
