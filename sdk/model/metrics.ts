/**
 * Custom metrics from a model, as Triton's Python backend offers them
 * (`pb_utils.MetricFamily` and `Metric`): counters, gauges and histograms
 * with labels, served next to the server's own metrics on the metrics port
 * (`GET /metrics`).
 *
 * The values live on the server, not in the isolate: every call here is one
 * synchronous host callback (about a microsecond). Families are server-wide,
 * as in Triton: registering a name that exists, with the same kind, gets that
 * family (its first description stays), and a metric with labels that exist
 * is that same series. So each instance of a model can register the same
 * metric in `initialize` and they all add into one value. A model's metrics
 * are dropped when its last instance is unloaded.
 *
 * Mistakes throw a NereidError naming the model and the metric: INVALID_ARG
 * for a bad name, label or bucket list, a kind that differs from the
 * registered family's, or a negative counter increment; UNSUPPORTED for an
 * operation the kind does not have (`set` on a counter, `value()` on a histogram).
 *
 * @example
 * ```ts
 * import { InferenceResponse, MetricFamily, type InferenceRequest, type Metric, type Model } from 'nereid/model';
 *
 * export default class Timed implements Model {
 *   #busy!: Metric;
 *   #sizes!: Metric;
 *   initialize() {
 *     const busy = new MetricFamily({ name: 'timed_busy_ms', description: 'Time spent in execute', kind: 'counter' });
 *     this.#busy = busy.metric({ labels: { model: 'timed' } });
 *     const sizes = new MetricFamily({ name: 'timed_batch_size', description: 'Requests per execute', kind: 'histogram' });
 *     this.#sizes = sizes.metric({ buckets: [1, 2, 4, 8] });
 *   }
 *   execute(requests: InferenceRequest[]): InferenceResponse[] {
 *     const start = performance.now();
 *     const responses = requests.map(() => new InferenceResponse());
 *     this.#sizes.observe(requests.length);
 *     this.#busy.increment(performance.now() - start);
 *     return responses;
 *   }
 * }
 * ```
 */
import { NereidError, type ErrorData } from '../errors.ts';
import { boundHost } from './host-slot.ts';
import type { HostBridge, MetricKind, MetricOp } from './isolate-protocol.ts';

export type { MetricKind } from './isolate-protocol.ts';

/**
 * What `new MetricFamily(...)` takes.
 *
 * @example
 * ```ts
 * const init: MetricFamilyInit = { name: 'tokens_total', description: 'Tokens generated', kind: MetricFamily.COUNTER };
 * ```
 */
export interface MetricFamilyInit {
  /** Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`); `nv_`, `process_` and `nodejs_` are the server's. */
  name: string;
  /** The `# HELP` text. */
  description: string;
  kind: MetricKind;
}

/**
 * What `family.metric(...)` takes.
 *
 * @example
 * ```ts
 * latency.metric({ labels: { route: 'short' }, buckets: [1, 5, 25, 100] }); // a histogram series
 * ```
 */
export interface MetricInit {
  /** Label names and values, both strings; none by default. */
  labels?: Readonly<Record<string, string>>;
  /** Histogram bucket upper bounds, increasing (required for histograms, refused for the other kinds); `+Inf` is implied. */
  buckets?: readonly number[];
}

/**
 * One labelled series of a family. Get one with `family.metric({ labels })`.
 *
 * @example
 * ```ts
 * const served = requests.metric({ labels: { model: 'generate' } });
 * served.increment();      // counter + 1
 * served.value();          // e.g. 42
 * ```
 */
export interface Metric {
  readonly family: MetricFamily;
  readonly labels: Readonly<Record<string, string>>;
  /** Counter (by a non-negative amount) or gauge (either way); by 1 when `value` is left out. */
  increment(value?: number): void;
  /** Gauge only. */
  set(value: number): void;
  /** Histogram only: counts `value` in its bucket and adds it to the sum. */
  observe(value: number): void;
  /** The current value of a counter or gauge. */
  value(): number;
}

/** A host answer: the number, or the error it carries thrown with its code. */
function unwrap(result: number | ErrorData): number {
  if (typeof result === 'number') return result;
  throw NereidError.fromData(result);
}

/**
 * A named metric of one kind; its series are the metrics made from it.
 *
 * @example
 * ```ts
 * const family = new MetricFamily({ name: 'cache_hits', description: 'Lookups answered from the cache', kind: MetricFamily.COUNTER });
 * const hits = family.metric({ labels: { cache: 'tokens' } });
 * hits.increment();
 * ```
 */
export class MetricFamily {
  /** Triton's `MetricFamily.COUNTER`, `.GAUGE` and `.HISTOGRAM`, for code ported from Python. */
  static readonly COUNTER = 'counter' as const;
  static readonly GAUGE = 'gauge' as const;
  static readonly HISTOGRAM = 'histogram' as const;

  readonly name: string;
  readonly description: string;
  readonly kind: MetricKind;
  readonly #host: HostBridge;
  readonly #id: number;

  constructor(init: MetricFamilyInit) {
    const { name, description = '', kind } = (init ?? {}) as Partial<MetricFamilyInit>;
    if (typeof name !== 'string' || typeof description !== 'string' || typeof kind !== 'string') {
      throw NereidError.invalidArg(`MetricFamily: expects { name: string, description: string, kind: 'counter' | 'gauge' | 'histogram' }`);
    }
    this.#host = boundHost('MetricFamily');
    this.#id = unwrap(this.#host.metricFamily(name, description, kind));
    this.name = name;
    this.description = description;
    this.kind = kind;
  }

  /** The series with these labels (and, for a histogram, buckets): a new one, or the one that exists. */
  metric(init: MetricInit = {}): Metric {
    let labelsJson: string;
    let bucketsJson: string;
    try {
      labelsJson = JSON.stringify(init.labels ?? {});
      bucketsJson = init.buckets === undefined ? '' : JSON.stringify(init.buckets);
    } catch (error) {
      throw NereidError.invalidArg(`metric family '${this.name}': labels and buckets must be plain data (${(error as Error).message})`);
    }
    const id = unwrap(this.#host.metric(this.#id, labelsJson, bucketsJson));
    return new HostMetric(this, Object.freeze({ ...init.labels }), this.#host, id);
  }
}

/** A Metric whose value lives on the host under `id`. */
class HostMetric implements Metric {
  readonly family: MetricFamily;
  readonly labels: Readonly<Record<string, string>>;
  readonly #host: HostBridge;
  readonly #id: number;

  constructor(family: MetricFamily, labels: Readonly<Record<string, string>>, host: HostBridge, id: number) {
    this.family = family;
    this.labels = labels;
    this.#host = host;
    this.#id = id;
  }

  increment(value = 1): void {
    this.#update('increment', value);
  }

  set(value: number): void {
    this.#update('set', value);
  }

  observe(value: number): void {
    this.#update('observe', value);
  }

  value(): number {
    return this.#update('value', 0);
  }

  #update(op: MetricOp, value: number): number {
    if (typeof value !== 'number') throw NereidError.invalidArg(`metric family '${this.family.name}': ${op} expects a number, got ${typeof value}`);
    return unwrap(this.#host.metricUpdate(this.#id, op, value));
  }
}
