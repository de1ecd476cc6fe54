/**
 * The Prometheus text the metrics endpoint serves. The only module that
 * imports prom-client, which writes the exposition format.
 *
 * What it holds, each read at scrape time from its one source:
 * - per model version (ModelStats), Triton's series with labels `model`,
 *   `version` and `_<tag>` for each `metric_tags` entry:
 *   `nv_inference_request_success`, `nv_inference_request_failure` (also
 *   `reason`), `nv_inference_count`, `nv_inference_exec_count`,
 *   `nv_inference_pending_request_count` and the `*_duration_us` counters;
 * - the custom metrics models registered (CustomMetrics);
 * - the process: Triton's `nv_cpu_*` gauges and prom-client's default
 *   process and Node.js metrics.
 *
 * The model and custom series go into a registry built for each scrape: an
 * unloaded model simply is not there, and label names follow what is loaded
 * (prom-client fixes a metric's label names when it is created). The process
 * metrics live in one registry per process, since prom-client's default
 * metrics start monitors (event loop delay, GC) that are never stopped.
 *
 * @example
 * ```ts
 * const exporter = new PrometheusExporter(server);
 * const text = await exporter.render(); // "# HELP nv_inference_request_success ...\n..."
 * reply(200, { 'Content-Type': exporter.contentType }, text);
 * ```
 */
import { collectDefaultMetrics, Counter, Gauge, Registry, type Metric } from 'prom-client';
import type { ModelStatistics } from '../stats/model-stats.ts';
import { FAILURE_REASONS } from '../stats/model-stats.ts';
import type { CustomFamilySnapshot } from './custom-metrics.ts';
import { CpuUsage, memoryBytes } from './host-usage.ts';
import type { MetricsSource, ModelVersionMetrics } from './metrics-source.ts';

type Labels = Record<string, string>;

/** Triton's cumulative per-model counters, from a statistics snapshot (durations: ns in ModelStats, µs in the metric). */
const MODEL_COUNTERS: readonly { name: string; help: string; value: (s: ModelStatistics) => number }[] = [
  { name: 'nv_inference_request_success', help: 'Requests that succeeded (one per request, whatever its batch size)', value: (s) => s.inference_stats.success.count },
  { name: 'nv_inference_count', help: 'Inferences performed: the batch sizes of executed requests, added up', value: (s) => s.inference_count },
  { name: 'nv_inference_exec_count', help: 'Model executions performed (one per batch)', value: (s) => s.execution_count },
  { name: 'nv_inference_request_duration_us', help: 'Time from arrival to response of successful requests, in microseconds, added up', value: (s) => micros(s.inference_stats.success.ns) },
  { name: 'nv_inference_queue_duration_us', help: 'Time successful requests waited in the scheduler, in microseconds, added up', value: (s) => micros(s.inference_stats.queue.ns) },
  { name: 'nv_inference_compute_input_duration_us', help: 'Time the backend spent preparing inputs of successful requests, in microseconds, added up', value: (s) => micros(s.inference_stats.compute_input.ns) },
  { name: 'nv_inference_compute_infer_duration_us', help: 'Time the backend spent running the model for successful requests, in microseconds, added up', value: (s) => micros(s.inference_stats.compute_infer.ns) },
  { name: 'nv_inference_compute_output_duration_us', help: 'Time the backend spent producing outputs of successful requests, in microseconds, added up', value: (s) => micros(s.inference_stats.compute_output.ns) },
];

function micros(ns: number): number {
  return Math.floor(ns / 1000);
}

export class PrometheusExporter {
  /** The exposition format's content type: `text/plain; version=0.0.4; charset=utf-8`. */
  readonly contentType: string = Registry.PROMETHEUS_CONTENT_TYPE;
  readonly #source: MetricsSource;

  constructor(source: MetricsSource) {
    this.#source = source;
  }

  /** Every series, read now. */
  async render(): Promise<string> {
    const registry = new Registry();
    addModelMetrics(registry, this.#source.modelVersionMetrics());
    for (const family of this.#source.customMetrics.snapshot()) registry.registerMetric(customFamily(family));
    // Each registry's text ends with a newline; a blank line between families, as within one registry.
    return `${await processRegistry().metrics()}\n${await registry.metrics()}`;
  }
}

function addModelMetrics(registry: Registry, versions: readonly ModelVersionMetrics[]): void {
  // Every series of a metric has the same label names; a model without some tag just leaves that label out.
  // `model` and `version` are named even with no model loaded: a metric without label names prints a bare 0.
  const labelNames = [...new Set(['model', 'version', ...versions.flatMap((version) => Object.keys(version.metricTags).map(tagLabel))])];
  const registers = [registry];
  const counter = (spec: (typeof MODEL_COUNTERS)[number]) => ({ spec, metric: new Counter({ name: spec.name, help: spec.help, labelNames, registers }) });
  // Created in the order they are printed: success, failure, then the rest.
  const success = counter(MODEL_COUNTERS[0]!);
  const failure = new Counter({ name: 'nv_inference_request_failure', help: 'Requests that failed, by reason (REJECTED, CANCELED, BACKEND, OTHER)', labelNames: [...labelNames, 'reason'], registers });
  const counters = [success, ...MODEL_COUNTERS.slice(1).map(counter)];
  const pending = new Gauge({ name: 'nv_inference_pending_request_count', help: 'Requests a model has accepted and not yet handed to an instance', labelNames, registers });
  for (const version of versions) {
    const labels = modelLabels(version);
    const stats = version.stats.snapshot();
    for (const { spec, metric } of counters) metric.inc(labels, spec.value(stats));
    for (const reason of FAILURE_REASONS) failure.inc(sortedLabels({ ...labels, reason }), version.stats.failures(reason));
    pending.set(labels, version.pendingCount);
  }
}

/** `model`, `version` and the `metric_tags` as `_<tag>`, names sorted as Triton prints them. */
function modelLabels(version: ModelVersionMetrics): Labels {
  const labels: Labels = { model: version.stats.name, version: String(version.stats.version) };
  for (const [tag, value] of Object.entries(version.metricTags)) labels[tagLabel(tag)] = value;
  return sortedLabels(labels);
}

/** The label of a `metric_tags` key: `_` first, as Triton; characters a label name cannot hold become `_`. */
function tagLabel(tag: string): string {
  return `_${tag.replace(/[^a-zA-Z0-9_]/g, '_')}`;
}

function sortedLabels(labels: Labels): Labels {
  return Object.fromEntries(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** One sample as prom-client's registry reads it from a metric's `get()`. */
interface Sample {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

/**
 * A custom family as prom-client's registry reads a metric when it renders:
 * `name`, then `get()` for help, type and samples (Registry.getMetricsAsString).
 * prom-client's own Histogram cannot carry this: its buckets are per family
 * and it only takes observations, where a custom histogram's buckets are per
 * series and its counts are kept in CustomMetrics.
 */
function customFamily(family: CustomFamilySnapshot): Metric {
  const values: Sample[] = [];
  for (const series of family.series) {
    if (!series.buckets) {
      values.push({ value: series.value, labels: series.labels });
      continue;
    }
    for (const { le, count } of series.buckets) {
      values.push({ metricName: `${family.name}_bucket`, labels: { ...series.labels, le: le === Infinity ? '+Inf' : le }, value: count });
    }
    values.push({ metricName: `${family.name}_sum`, labels: series.labels, value: series.value });
    values.push({ metricName: `${family.name}_count`, labels: series.labels, value: series.buckets[series.buckets.length - 1]!.count });
  }
  const rendered = { name: family.name, help: family.help, type: family.kind, aggregator: 'sum', values };
  const metric = { ...rendered, get: () => Promise.resolve(rendered), reset: () => {} };
  // The registry uses nothing else of a metric; the cast is only for prom-client's declared union of its own classes.
  return metric as unknown as Metric;
}

let shared: Registry | undefined;

/** The process metrics, created once per process at the first scrape (see the file comment): a server nobody scrapes runs no monitors. */
function processRegistry(): Registry {
  if (shared) return shared;
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const cpu = new CpuUsage();
  const registers = [registry];
  new Gauge({ name: 'nv_cpu_utilization', help: 'Busy share of all CPUs since the previous scrape, from 0 to 1', registers, collect() { this.set(cpu.utilization()); } });
  new Gauge({ name: 'nv_cpu_memory_total_bytes', help: 'Physical memory of the machine, in bytes', registers, collect() { this.set(memoryBytes().total); } });
  new Gauge({ name: 'nv_cpu_memory_used_bytes', help: 'Physical memory in use on the machine, in bytes', registers, collect() { this.set(memoryBytes().used); } });
  shared = registry;
  return registry;
}
