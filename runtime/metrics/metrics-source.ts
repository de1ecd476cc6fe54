/**
 * What the metrics endpoint reads from the server at each scrape. Nothing is
 * copied ahead of time: the model statistics (ModelStats) and the custom
 * metrics registry are the one source of truth, and a model version that is
 * unloaded is simply no longer listed, so its series leave the output, as in
 * Triton.
 *
 * @example
 * ```ts
 * const source: MetricsSource = server; // createServer() gives one
 * for (const { stats, pendingCount } of source.modelVersionMetrics()) console.log(stats.name, stats.version, pendingCount);
 * ```
 */
import type { ModelStats } from '../stats/model-stats.ts';
import type { CustomMetrics } from './custom-metrics.ts';

/** One loaded model version, as its per-model series report it. */
export interface ModelVersionMetrics {
  /** Its counts and durations (and its name and version, the `model` and `version` labels). */
  readonly stats: ModelStats;
  /** `nv_inference_pending_request_count`: requests accepted and not yet handed to an instance. */
  readonly pendingCount: number;
  /** The config's `metric_tags`: extra labels on its series, each name with a leading `_`, as Triton adds them. */
  readonly metricTags: Readonly<Record<string, string>>;
}

export interface MetricsSource {
  /** Every loaded version of every model, by name then version. */
  modelVersionMetrics(): readonly ModelVersionMetrics[];
  /** The metrics models registered from model.ts. */
  readonly customMetrics: CustomMetrics;
}
