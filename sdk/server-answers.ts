/**
 * What a server answers besides inferences, as the KServe v2 / Triton
 * protocols shape it: server and model metadata, the repository index, the
 * statistics extension, and the log and trace settings. The server builds these (runtime/) and the
 * clients read them (sdk/client/): one definition for both.
 *
 * @example
 * ```ts
 * const meta: ModelMetadata = await client.modelMetadata('simple');
 * meta.inputs[0]; // { name: 'INPUT0', datatype: 'INT32', shape: [-1, 16] }
 * ```
 */
import type { DataType } from './datatypes.ts';

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}

export interface TensorMetadata {
  name: string;
  datatype: DataType;
  /** -1 marks a variable dimension; includes the leading -1 batch dimension when max_batch_size > 0. */
  shape: number[];
}

export interface ModelMetadata {
  name: string;
  versions: string[];
  platform: string;
  inputs: TensorMetadata[];
  outputs: TensorMetadata[];
}

/** One entry of the repository index; empty fields are left out. */
export interface RepositoryIndexEntry {
  name: string;
  version?: string;
  /** READY, LOADING, UNLOADING, UNAVAILABLE, ... */
  state?: string;
  reason?: string;
}

/** Triton's `StatisticDuration`. */
export interface StatisticDuration {
  count: number;
  ns: number;
}

export interface InferStatistics {
  success: StatisticDuration;
  fail: StatisticDuration;
  queue: StatisticDuration;
  compute_input: StatisticDuration;
  compute_infer: StatisticDuration;
  compute_output: StatisticDuration;
  cache_hit: StatisticDuration;
  cache_miss: StatisticDuration;
}

export interface InferBatchStatistics {
  batch_size: number;
  compute_input: StatisticDuration;
  compute_infer: StatisticDuration;
  compute_output: StatisticDuration;
}

/** One entry of the statistics extension's `model_stats`, field for field. */
export interface ModelStatistics {
  name: string;
  version: string;
  /** Milliseconds since the epoch of the last finished request; 0 before the first. */
  last_inference: number;
  inference_count: number;
  execution_count: number;
  inference_stats: InferStatistics;
  /** Per response index; only decoupled models fill it (none here yet). */
  response_stats: Record<string, never>;
  batch_stats: InferBatchStatistics[];
  memory_usage: { type: string; id: number; byte_size: number }[];
}

/** The statistics extension's answer (`GET /v2/models[/{m}[/versions/{v}]]/stats`, gRPC ModelStatistics). */
export interface ModelStatisticsResponse {
  model_stats: ModelStatistics[];
}

/**
 * Log settings as Triton's logging extension names them: `log_info`,
 * `log_warning`, `log_error` (booleans), `log_verbose_level` (an integer >= 0),
 * `log_format` (`default` or `ISO8601`) and `log_file` (a path; "" for the console).
 */
export type LogSettingsMap = Record<string, boolean | number | string>;

/** Every trace setting of Triton's trace extension. */
export const TRACE_SETTING_NAMES = ['trace_level', 'trace_rate', 'trace_count', 'trace_file', 'log_frequency'] as const;

/**
 * Trace settings under those names, each a string except `trace_level`, a
 * list of strings (`["OFF"]` or `["TIMESTAMPS"]`).
 */
export type TraceSettingsMap = Record<string, string | string[]>;

/** A trace setting as a change carries it: `null` clears it (a model's falls back to the global one, a global one to its default). */
export type TraceSettingValue = string | string[] | null;
