/**
 * Trace settings as Triton's trace extension names them (`GET/POST
 * /v2[/models/{m}]/trace/setting`, gRPC `TraceSetting`, `--trace-config`):
 * one global set and optional per-model overrides. Values cross the API as
 * strings (`trace_level` as a list of strings).
 *
 * - `trace_level`: `["OFF"]` or `["TIMESTAMPS"]`. TENSORS (tensor dumps) is
 *   refused: this server records timestamps only.
 * - `trace_rate`: one request in this many is traced (per model).
 * - `trace_count`: how many more traces to collect; -1 for no limit. It
 *   counts down as traces are collected.
 * - `trace_file`: where traces go, as a JSON array; required once tracing is on.
 * - `log_frequency`: 0 keeps the traces and writes them to `trace_file` at
 *   shutdown; N writes every N traces to `trace_file.0`, `.1`, ... (a trace
 *   goes to the file that was set when it ended).
 *
 * A setting given as `null` (HTTP) or with no values (gRPC) is cleared: a
 * model's falls back to the global one, a global one to its default.
 * Updates are all or nothing.
 *
 * @example
 * ```ts
 * const settings = new TraceSettings();
 * settings.update({ trace_level: ['TIMESTAMPS'], trace_rate: '1', trace_file: '/tmp/trace.json' });
 * settings.update({ trace_rate: '10' }, 'simple'); // simple: every 10th request
 * settings.effective('simple').rate; // 10
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';
import { TRACE_SETTING_NAMES, type TraceSettingsMap, type TraceSettingValue } from '../../sdk/server-answers.ts';

export type { TraceSettingValue } from '../../sdk/server-answers.ts';

export type TraceLevel = 'OFF' | 'TIMESTAMPS';

export interface TraceConfig {
  level: TraceLevel;
  rate: number;
  count: number;
  file: string;
  logFrequency: number;
}

const DEFAULT_TRACE_CONFIG: Readonly<TraceConfig> = Object.freeze({ level: 'OFF', rate: 1000, count: -1, file: '', logFrequency: 0 });

const KEYS: Record<(typeof TRACE_SETTING_NAMES)[number], keyof TraceConfig> = {
  trace_level: 'level',
  trace_rate: 'rate',
  trace_count: 'count',
  trace_file: 'file',
  log_frequency: 'logFrequency',
};

export class TraceSettings {
  #global: TraceConfig = { ...DEFAULT_TRACE_CONFIG };
  readonly #models = new Map<string, Partial<TraceConfig>>();

  /** The settings that apply to `model` (its overrides over the global ones), or the global ones. */
  effective(model?: string): TraceConfig {
    const own = model === undefined ? undefined : this.#models.get(model);
    return own ? { ...this.#global, ...own } : this.#global;
  }

  /** Every setting of `model` (or the global ones) under Triton's names. */
  toTriton(model?: string): TraceSettingsMap {
    const config = this.effective(model);
    return {
      trace_level: [config.level],
      trace_rate: String(config.rate),
      trace_count: String(config.count),
      trace_file: config.file,
      log_frequency: String(config.logFrequency),
    };
  }

  /** Applies `changes` (Triton's names) to `model`'s overrides or to the global settings; a bad one is INVALID_ARG and changes nothing. */
  update(changes: Readonly<Record<string, TraceSettingValue | undefined>>, model?: string): void {
    const scope = model === undefined ? 'global' : `model '${model}'`;
    const base: Partial<TraceConfig> = model === undefined ? { ...this.#global } : { ...this.#models.get(model) };
    for (const [name, value] of Object.entries(changes)) {
      const key = (KEYS as Record<string, keyof TraceConfig | undefined>)[name];
      if (!key) throw NereidError.invalidArg(`unknown trace setting '${name}'; the settings are ${TRACE_SETTING_NAMES.join(', ')}`);
      if (value === null || value === undefined || (Array.isArray(value) && value.length === 0)) {
        if (model === undefined) (base as Record<string, unknown>)[key] = DEFAULT_TRACE_CONFIG[key];
        else delete base[key];
        continue;
      }
      (base as Record<string, unknown>)[key] = parseSetting(name, key, value);
    }
    const next = model === undefined ? (base as TraceConfig) : { ...this.#global, ...base };
    requireFileWhenOn(next, scope);
    if (model === undefined) this.#global = base as TraceConfig;
    else if (Object.keys(base).length === 0) this.#models.delete(model);
    else this.#models.set(model, base);
  }

  /** Drops every setting of `model`'s own: it follows the global ones again. */
  clearModel(model: string): void {
    this.#models.delete(model);
  }

  /** Counts one collected trace against `model`'s trace_count (its own if it has one, else the global one). */
  countTrace(model: string): void {
    const own = this.#models.get(model);
    const target = own?.count !== undefined ? own : this.#global;
    if (target.count! > 0) target.count! -= 1;
  }
}

function parseSetting(name: string, key: keyof TraceConfig, value: string | string[]): TraceConfig[keyof TraceConfig] {
  if (key === 'level') {
    const levels = Array.isArray(value) ? value : [value];
    if (levels.some((level) => level === 'TENSORS')) {
      throw NereidError.invalidArg("trace setting 'trace_level': TENSORS is not supported by this server; use TIMESTAMPS");
    }
    const unknown = levels.find((level) => level !== 'OFF' && level !== 'TIMESTAMPS');
    if (unknown !== undefined) throw NereidError.invalidArg(`trace setting 'trace_level' takes OFF or TIMESTAMPS, got ${JSON.stringify(unknown)}`);
    return levels.includes('TIMESTAMPS') ? 'TIMESTAMPS' : 'OFF';
  }
  const text = Array.isArray(value) ? (value.length === 1 ? value[0]! : undefined) : value;
  if (typeof text !== 'string') throw NereidError.invalidArg(`trace setting '${name}' takes one string, got ${JSON.stringify(value)}`);
  if (key === 'file') return text;
  const min = key === 'rate' ? 1 : key === 'count' ? -1 : 0;
  const number = Number(text);
  if (!/^-?\d+$/.test(text.trim()) || !Number.isSafeInteger(number) || number < min) {
    throw NereidError.invalidArg(`trace setting '${name}' must be an integer >= ${min} (as a string), got ${JSON.stringify(text)}`);
  }
  return number;
}

function requireFileWhenOn(config: TraceConfig, scope: string): void {
  if (config.level !== 'OFF' && config.file === '') {
    throw NereidError.invalidArg(`trace settings (${scope}): tracing at ${config.level} needs a trace_file to write to`);
  }
}
