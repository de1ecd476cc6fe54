/**
 * The custom metrics models register (sdk/model/metrics.ts), server-wide as
 * in Triton: one family per name, one series per family and label set,
 * shared by every instance and model that registers it. The values live here
 * and nowhere else; the metrics endpoint reads `snapshot()` at scrape time.
 *
 * Ownership: each script instance gets an owner (`owner(modelName)`) and
 * reaches families and series only through the ids its owner handed out. A
 * family or series lives while some owner holds it; `release()` (the
 * instance's teardown) drops the owner's holds, so the metrics of an unloaded
 * model leave the scrape, as in Triton. A reload keeps them: the new
 * instances register before the old ones are released.
 *
 * Errors are returned as data, not thrown: they go back into the isolate as a
 * host callback's return value (HostBridge), where the sdk throws them.
 *
 * @example
 * ```ts
 * const metrics = new CustomMetrics();
 * const owner = metrics.owner('cache_model');
 * const family = owner.family('cache_hits', 'Lookups answered from the cache', 'counter'); // 0
 * const hits = owner.metric(0, '{"cache":"tokens"}', '');                                  // 0
 * owner.update(0, 'increment', 2);                                                         // 2
 * metrics.snapshot(); // [{ name: 'cache_hits', help: ..., kind: 'counter', series: [{ labels: { cache: 'tokens' }, value: 2 }] }]
 * owner.release();    // nobody holds cache_hits any more: it is gone
 * ```
 */
import type { ErrorCode, ErrorData } from '../../sdk/errors.ts';
import type { MetricKind, MetricOp } from '../../sdk/model/isolate-protocol.ts';
import { familyNameProblem, isMetricKind, METRIC_KINDS, parseBuckets, parseLabels, seriesName, type Labels } from './custom-metric-input.ts';

/** One series as the metrics endpoint renders it. */
export interface CustomSeriesSnapshot {
  readonly labels: Labels;
  /** A counter's or gauge's value; a histogram's sum of observations. */
  readonly value: number;
  /** Histograms only: cumulative counts per upper bound, the last one `Infinity` (the number of observations). */
  readonly buckets?: readonly { readonly le: number; readonly count: number }[];
}

export interface CustomFamilySnapshot {
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly series: readonly CustomSeriesSnapshot[];
}

interface Series {
  readonly labels: Labels;
  /** Canonical form of the labels, the series' key in its family. */
  readonly key: string;
  readonly bounds: readonly number[] | undefined;
  /** Counter or gauge value; histogram sum. */
  value: number;
  /** Histograms: observations per bucket (not cumulative), one more than `bounds` for +Inf. */
  readonly counts: number[];
  holders: number;
}

interface Family {
  readonly name: string;
  readonly help: string;
  readonly kind: MetricKind;
  readonly series: Map<string, Series>;
  holders: number;
}

type Reply = number | ErrorData;

export class CustomMetrics {
  readonly #families = new Map<string, Family>();

  /** A handle for one instance of `modelName`: its registrations, its ids, its holds. */
  owner(modelName: string): CustomMetricsOwner {
    return new CustomMetricsOwner(this.#families, modelName);
  }

  /** Every family and series held now, families in registration order. */
  snapshot(): CustomFamilySnapshot[] {
    return [...this.#families.values()].map((family) => ({
      name: family.name,
      help: family.help,
      kind: family.kind,
      series: [...family.series.values()].map((series) => snapshotSeries(family.kind, series)),
    }));
  }
}

function snapshotSeries(kind: MetricKind, series: Series): CustomSeriesSnapshot {
  if (kind !== 'histogram') return { labels: series.labels, value: series.value };
  let cumulative = 0;
  const bounds = [...series.bounds!, Infinity];
  const buckets = bounds.map((le, i) => ({ le, count: (cumulative += series.counts[i]!) }));
  return { labels: series.labels, value: series.value, buckets };
}

/** One instance's view of the registry. Ids are indexes into its own tables, so one model cannot touch another's series by guessing. */
export class CustomMetricsOwner {
  readonly #all: Map<string, Family>;
  readonly #prefix: string;
  readonly #families: Family[] = [];
  readonly #series: { family: Family; series: Series }[] = [];
  /** Ids already handed out, so registering again (every execute, say) neither grows the tables nor takes a second hold. */
  readonly #familyIds = new Map<string, number>();
  readonly #seriesIds = new Map<string, number>();
  #released = false;

  constructor(all: Map<string, Family>, modelName: string) {
    this.#all = all;
    this.#prefix = `model '${modelName}'`;
  }

  /** `HostBridge.metricFamily`. */
  family(name: string, description: string, kind: MetricKind): Reply {
    if (this.#released) return this.#error('UNAVAILABLE', 'its instance is unloaded; custom metrics are no longer available');
    const problem = familyNameProblem(name);
    if (problem) return this.#error('INVALID_ARG', problem);
    if (!isMetricKind(kind)) return this.#error('INVALID_ARG', `metric family '${name}': kind must be one of ${METRIC_KINDS.join(', ')}, got ${JSON.stringify(kind)}`);
    if (typeof description !== 'string') return this.#error('INVALID_ARG', `metric family '${name}': the description must be a string`);
    const clash = histogramSeriesClash(this.#all, name, kind);
    if (clash) return this.#error('INVALID_ARG', clash);
    const existing = this.#all.get(name);
    if (existing && existing.kind !== kind) {
      return this.#error('INVALID_ARG', `metric family '${name}' is already registered as a ${existing.kind}; it cannot be registered as a ${kind}`);
    }
    const held = this.#familyIds.get(name);
    if (held !== undefined) return held;
    let family = existing;
    if (!family) {
      // As in Triton, the first registration's description stays.
      family = { name, help: description, kind, series: new Map(), holders: 0 };
      this.#all.set(name, family);
    }
    family.holders++;
    this.#familyIds.set(name, this.#families.length);
    return this.#families.push(family) - 1;
  }

  /** `HostBridge.metric`. */
  metric(familyId: number, labelsJson: string, bucketsJson: string): Reply {
    if (this.#released) return this.#error('UNAVAILABLE', 'its instance is unloaded; custom metrics are no longer available');
    const family = this.#families[familyId];
    if (!family) return this.#error('INVALID_ARG', `no metric family with id ${familyId}`);
    const labels = parseLabels(String(labelsJson), family.kind);
    if (!labels.ok) return this.#error('INVALID_ARG', `metric family '${family.name}': ${labels.error}`);
    const what = seriesName(family.name, labels.value);
    const bounds = parseBuckets(String(bucketsJson), family.kind);
    if (!bounds.ok) return this.#error('INVALID_ARG', `metric ${what}: ${bounds.error}`);
    const key = JSON.stringify(labels.value);
    let series = family.series.get(key);
    if (series && !sameBounds(series.bounds, bounds.value)) {
      return this.#error('INVALID_ARG', `metric ${what} already exists with buckets [${series.bounds!.join(', ')}], not [${bounds.value!.join(', ')}]`);
    }
    const heldKey = `${family.name}\n${key}`;
    const held = this.#seriesIds.get(heldKey);
    if (held !== undefined) return held;
    if (!series) {
      const counts = bounds.value ? new Array<number>(bounds.value.length + 1).fill(0) : [];
      series = { labels: labels.value, key, bounds: bounds.value, value: 0, counts, holders: 0 };
      family.series.set(key, series);
    }
    series.holders++;
    this.#seriesIds.set(heldKey, this.#series.length);
    return this.#series.push({ family, series }) - 1;
  }

  /** `HostBridge.metricUpdate`: the value afterwards (a histogram: its number of observations). */
  update(metricId: number, op: MetricOp, value: number): Reply {
    if (this.#released) return this.#error('UNAVAILABLE', 'its instance is unloaded; custom metrics are no longer available');
    const entry = this.#series[metricId];
    if (!entry) return this.#error('INVALID_ARG', `no metric with id ${metricId}`);
    const { family, series } = entry;
    const what = `metric ${seriesName(family.name, series.labels)}`;
    if (op !== 'value' && (typeof value !== 'number' || !Number.isFinite(value))) {
      return this.#error('INVALID_ARG', `${what}: ${op} expects a finite number, got ${String(value)}`);
    }
    const allowed = ALLOWED[family.kind];
    if (!allowed.includes(op)) return this.#error('UNSUPPORTED', `${what}: a ${family.kind} does not support ${op}() (it supports ${allowed.map((o) => `${o}()`).join(', ')})`);
    switch (op) {
      case 'increment':
        if (family.kind === 'counter' && value < 0) return this.#error('INVALID_ARG', `${what}: a counter only goes up; increment by ${value} refused`);
        series.value += value;
        return series.value;
      case 'set':
        series.value = value;
        return series.value;
      case 'observe': {
        const index = series.bounds!.findIndex((bound) => value <= bound);
        series.counts[index === -1 ? series.bounds!.length : index]!++;
        series.value += value;
        return series.counts.reduce((sum, count) => sum + count, 0);
      }
      default:
        return series.value;
    }
  }

  /** Drops this owner's holds; families and series nobody holds any more are removed. Later calls answer UNAVAILABLE. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const { family, series } of this.#series) {
      if (--series.holders === 0) family.series.delete(series.key);
    }
    for (const family of this.#families) {
      if (--family.holders === 0 && this.#all.get(family.name) === family) this.#all.delete(family.name);
    }
  }

  #error(code: ErrorCode, message: string): ErrorData {
    return { code, message: `${this.#prefix}: ${message}` };
  }
}

/** The operations each kind has, as Triton's TRITONSERVER_Metric* functions allow them. */
const ALLOWED: Readonly<Record<MetricKind, readonly MetricOp[]>> = {
  counter: ['increment', 'value'],
  gauge: ['increment', 'set', 'value'],
  histogram: ['observe'],
};

function sameBounds(a: readonly number[] | undefined, b: readonly number[] | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  return a.length === b.length && a.every((bound, i) => bound === b[i]);
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'] as const;

/**
 * A histogram `h` writes the series `h_bucket`, `h_sum` and `h_count`: a
 * family of one of those names next to it would print the same series twice.
 */
function histogramSeriesClash(all: ReadonlyMap<string, { kind: MetricKind }>, name: string, kind: MetricKind): string | undefined {
  for (const suffix of HISTOGRAM_SUFFIXES) {
    if (name.endsWith(suffix) && all.get(name.slice(0, -suffix.length))?.kind === 'histogram') {
      return `metric family '${name}' would clash with the series of histogram '${name.slice(0, -suffix.length)}'`;
    }
    if (kind === 'histogram' && all.has(name + suffix)) {
      return `histogram '${name}' would clash with metric family '${name + suffix}' (a histogram writes ${name}_bucket, ${name}_sum and ${name}_count)`;
    }
  }
  return undefined;
}
