/**
 * The model configuration, with Triton's `inference.ModelConfig` field names
 * (snake_case, as in `config.pbtxt` and the `/config` JSON). Enums are their
 * string names; 64-bit integers are JavaScript numbers, as Triton renders them.
 *
 * A parsed config may leave fields out; after normalisation every field the
 * server relies on is present (see `runtime/config/normalize-config.ts`).
 *
 * @example
 * ```ts
 * const config: ModelConfig = {
 *   name: 'simple',
 *   platform: 'onnxruntime_onnx',
 *   max_batch_size: 8,
 *   input: [{ name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] }],
 *   output: [{ name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] }],
 * };
 * ```
 */
import type { ConfigDataType } from './datatypes.ts';

export type ConfigDataTypeName = ConfigDataType | 'TYPE_INVALID';

export interface ModelVersionPolicy {
  latest?: { num_versions?: number };
  all?: Record<string, never>;
  specific?: { versions?: number[] };
}

export interface ModelTensorReshape {
  shape: number[];
}

export interface ModelInput {
  name: string;
  data_type: ConfigDataTypeName;
  format?: 'FORMAT_NONE' | 'FORMAT_NHWC' | 'FORMAT_NCHW';
  dims: number[];
  reshape?: ModelTensorReshape;
  is_shape_tensor?: boolean;
  allow_ragged_batch?: boolean;
  optional?: boolean;
  is_non_linear_format_io?: boolean;
}

export interface ModelOutput {
  name: string;
  data_type: ConfigDataTypeName;
  dims: number[];
  reshape?: ModelTensorReshape;
  label_filename?: string;
  is_shape_tensor?: boolean;
  is_non_linear_format_io?: boolean;
}

export type InstanceGroupKind = 'KIND_AUTO' | 'KIND_GPU' | 'KIND_CPU' | 'KIND_MODEL';

export interface ModelRateLimiter {
  resources?: { name: string; global?: boolean; count: number }[];
  priority?: number;
}

export interface ModelInstanceGroup {
  name?: string;
  kind?: InstanceGroupKind;
  count?: number;
  rate_limiter?: ModelRateLimiter;
  gpus?: number[];
  secondary_devices?: { kind?: 'KIND_NVDLA'; device_id?: number }[];
  profile?: string[];
  passive?: boolean;
  host_policy?: string;
}

export interface ModelQueuePolicy {
  timeout_action?: 'REJECT' | 'DELAY';
  default_timeout_microseconds?: number;
  allow_timeout_override?: boolean;
  max_queue_size?: number;
}

export interface ModelDynamicBatching {
  preferred_batch_size?: number[];
  max_queue_delay_microseconds?: number;
  preserve_ordering?: boolean;
  priority_levels?: number;
  default_priority_level?: number;
  default_queue_policy?: ModelQueuePolicy;
  priority_queue_policy?: Record<string, ModelQueuePolicy>;
}

export interface SequenceControl {
  kind: 'CONTROL_SEQUENCE_START' | 'CONTROL_SEQUENCE_READY' | 'CONTROL_SEQUENCE_END' | 'CONTROL_SEQUENCE_CORRID';
  int32_false_true?: number[];
  fp32_false_true?: number[];
  bool_false_true?: boolean[];
  data_type?: ConfigDataTypeName;
}

export interface SequenceState {
  input_name: string;
  output_name: string;
  data_type: ConfigDataTypeName;
  dims: number[];
  initial_state?: {
    data_type: ConfigDataTypeName;
    dims: number[];
    zero_data?: boolean;
    data_file?: string;
    name: string;
  }[];
  use_same_buffer_for_input_output?: boolean;
  use_growable_memory?: boolean;
}

export interface ModelSequenceBatching {
  max_sequence_idle_microseconds?: number;
  control_input?: { name: string; control: SequenceControl[] }[];
  direct?: { max_queue_delay_microseconds?: number; minimum_slot_utilization?: number };
  oldest?: {
    max_candidate_sequences?: number;
    preferred_batch_size?: number[];
    max_queue_delay_microseconds?: number;
    preserve_ordering?: boolean;
  };
  state?: SequenceState[];
  iterative_sequence?: boolean;
}

export interface EnsembleStep {
  model_name: string;
  model_version?: number;
  input_map?: Record<string, string>;
  output_map?: Record<string, string>;
  model_namespace?: string;
}

export interface ModelEnsembling {
  step: EnsembleStep[];
  max_inflight_requests?: number;
}

export interface ModelParameter {
  string_value: string;
}

/** A CUDA graph to capture (TensorRT only); input shapes exclude the batch dimension. */
export interface CudaGraphSpec {
  batch_size?: number;
  input?: Record<string, { dim?: number[] }>;
  graph_lower_bound?: { batch_size?: number; input?: Record<string, { dim?: number[] }> };
}

export interface ModelOptimizationPolicy {
  graph?: { level?: number };
  priority?: 'PRIORITY_DEFAULT' | 'PRIORITY_MAX' | 'PRIORITY_MIN';
  cuda?: {
    graphs?: boolean;
    busy_wait_events?: boolean;
    graph_spec?: CudaGraphSpec[];
    output_copy_stream?: boolean;
  };
  execution_accelerators?: {
    gpu_execution_accelerator?: { name: string; parameters?: Record<string, string> }[];
    cpu_execution_accelerator?: { name: string; parameters?: Record<string, string> }[];
  };
  input_pinned_memory?: { enable?: boolean };
  output_pinned_memory?: { enable?: boolean };
  gather_kernel_buffer_threshold?: number;
  eager_batching?: boolean;
}

export interface ModelWarmupInput {
  data_type: ConfigDataTypeName;
  dims: number[];
  zero_data?: boolean;
  random_data?: boolean;
  input_data_file?: string;
}

export interface ModelWarmup {
  name: string;
  batch_size?: number;
  inputs?: Record<string, ModelWarmupInput>;
  count?: number;
}

/** An input the backend builds from the requests of a formed batch (ragged batching). */
export interface BatchInput {
  kind?:
    | 'BATCH_ELEMENT_COUNT'
    | 'BATCH_ACCUMULATED_ELEMENT_COUNT'
    | 'BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO'
    | 'BATCH_MAX_ELEMENT_COUNT_AS_SHAPE'
    | 'BATCH_ITEM_SHAPE'
    | 'BATCH_ITEM_SHAPE_FLATTEN';
  target_name?: string[];
  data_type?: ConfigDataTypeName;
  source_input?: string[];
}

/** An output the backend scatters back to the requests of a batch. */
export interface BatchOutput {
  target_name?: string[];
  kind?: 'BATCH_SCATTER_WITH_INPUT_SHAPE';
  source_input?: string[];
}

/** Per-model overrides of metric settings (histogram buckets). */
export interface ModelMetrics {
  metric_control?: {
    metric_identifier?: { family?: string };
    histogram_options?: { buckets?: number[] };
  }[];
}

export interface ModelConfig {
  name: string;
  platform?: string;
  backend?: string;
  runtime?: string;
  version_policy?: ModelVersionPolicy;
  max_batch_size?: number;
  input?: ModelInput[];
  output?: ModelOutput[];
  batch_input?: BatchInput[];
  batch_output?: BatchOutput[];
  optimization?: ModelOptimizationPolicy;
  dynamic_batching?: ModelDynamicBatching;
  sequence_batching?: ModelSequenceBatching;
  ensemble_scheduling?: ModelEnsembling;
  instance_group?: ModelInstanceGroup[];
  default_model_filename?: string;
  cc_model_filenames?: Record<string, string>;
  metric_tags?: Record<string, string>;
  parameters?: Record<string, ModelParameter>;
  model_warmup?: ModelWarmup[];
  model_operations?: { op_library_filename?: string[] };
  model_transaction_policy?: { decoupled?: boolean };
  model_repository_agents?: { agents?: { name: string; parameters?: Record<string, string> }[] };
  response_cache?: { enable?: boolean };
  model_metrics?: ModelMetrics;
}
