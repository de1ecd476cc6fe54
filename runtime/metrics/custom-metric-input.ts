/**
 * Checks what a model passes to the custom metrics API (sdk/model/metrics.ts)
 * before the registry (custom-metrics.ts) stores it: family names and kinds,
 * labels (a JSON object of strings) and histogram buckets (a JSON array of
 * increasing numbers). The isolate is not trusted to have checked anything:
 * model code can reach the host callbacks with any values.
 *
 * Each check returns the parsed value or what is wrong; the registry puts the
 * model and metric name in front of it.
 *
 * @example
 * ```ts
 * parseLabels('{"b":"2","a":"1"}', 'counter'); // { ok: true, value: { a: '1', b: '2' } } (sorted, as Prometheus prints them)
 * parseBuckets('[1, 0.5]', 'histogram');       // { ok: false, error: 'buckets must increase: 0.5 follows 1' }
 * ```
 */
import type { MetricKind } from '../../sdk/model/isolate-protocol.ts';

export type Labels = Readonly<Record<string, string>>;
export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };

/** Prometheus' metric and label name rules. */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

/** Prefixes of the server's own series (Triton's `nv_`, and the process metrics): a model's family may not shadow them. */
export const RESERVED_PREFIXES: readonly string[] = ['nv_', 'process_', 'nodejs_'];
export const METRIC_KINDS: readonly MetricKind[] = ['counter', 'gauge', 'histogram'];

/** What is wrong with `name` as a family name, or undefined. */
export function familyNameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string' || !METRIC_NAME.test(name)) {
    return `metric family name ${JSON.stringify(name)} is invalid: a name matches [a-zA-Z_:][a-zA-Z0-9_:]*`;
  }
  const reserved = RESERVED_PREFIXES.find((prefix) => name.startsWith(prefix));
  if (reserved) return `metric family name '${name}' is reserved: names starting with ${RESERVED_PREFIXES.join(', ')} are the server's own metrics`;
  return undefined;
}

export function isMetricKind(kind: unknown): kind is MetricKind {
  return typeof kind === 'string' && (METRIC_KINDS as readonly string[]).includes(kind);
}

/** Labels from their JSON text, with names sorted (Prometheus prints them so, and equal label sets then compare equal). */
export function parseLabels(json: string, kind: MetricKind): Checked<Labels> {
  const parsed = parseJson(json);
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'labels must be an object of label names to string values' };
  }
  const labels: Record<string, string> = {};
  for (const name of Object.keys(parsed).sort()) {
    const value = (parsed as Record<string, unknown>)[name];
    if (!LABEL_NAME.test(name) || name.startsWith('__')) {
      return { ok: false, error: `label name ${JSON.stringify(name)} is invalid: a label name matches [a-zA-Z_][a-zA-Z0-9_]* and does not start with __` };
    }
    if (kind === 'histogram' && name === 'le') return { ok: false, error: "label name 'le' is reserved in a histogram (it names the bucket)" };
    if (typeof value !== 'string') return { ok: false, error: `label '${name}' must be a string, got ${JSON.stringify(value)}` };
    labels[name] = value;
  }
  return { ok: true, value: labels };
}

/** Histogram buckets from their JSON text ('' = none given): required for histograms, refused for the other kinds. */
export function parseBuckets(json: string, kind: MetricKind): Checked<readonly number[] | undefined> {
  if (kind !== 'histogram') {
    return json === '' ? { ok: true, value: undefined } : { ok: false, error: `only histogram metrics take buckets, and this family is a ${kind}` };
  }
  if (json === '') return { ok: false, error: 'a histogram metric needs buckets (a non-empty list of increasing numbers)' };
  const parsed = parseJson(json);
  if (!Array.isArray(parsed) || parsed.length === 0) return { ok: false, error: 'buckets must be a non-empty list of increasing numbers' };
  for (let i = 0; i < parsed.length; i++) {
    const bound: unknown = parsed[i];
    if (typeof bound !== 'number' || !Number.isFinite(bound)) return { ok: false, error: `buckets must be finite numbers, got ${JSON.stringify(bound)}` };
    if (i > 0 && bound <= (parsed[i - 1] as number)) return { ok: false, error: `buckets must increase: ${bound} follows ${parsed[i - 1]}` };
  }
  return { ok: true, value: Object.freeze(parsed as number[]) };
}

/** `name{a="1",b="2"}`, how errors name one series. */
export function seriesName(name: string, labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) => `${key}=${JSON.stringify(value)}`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(',')}}`;
}

function parseJson(json: string): unknown {
  try {
    return JSON.parse(json) as unknown;
  } catch {
    return undefined;
  }
}
