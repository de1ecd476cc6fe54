/**
 * Applies Triton's defaults to a parsed (and possibly auto-completed) config,
 * as Triton core does in its normalisation passes:
 *
 * 1. backend fields: `name` from the directory, `backend` <-> `platform` for
 *    the framework pairs Triton knows, `default_model_filename`;
 * 2. `version_policy` latest 1; dynamic batching preferred size
 *    `[max_batch_size]`; sequence idle timeout 1 s and oldest-strategy
 *    preferred size; pinned memory on for non-ensembles;
 * 3. instance groups: one group named after the model when none is given,
 *    `<model>_<index>` names, KIND_AUTO resolved, counts defaulted (2 for
 *    CPU groups of onnxruntime/tensorflow models, else 1), GPU groups
 *    spread over every GPU;
 * 4. every remaining proto3 default filled in (see proto-defaults.ts), so
 *    the result is what `/config` prints.
 *
 * Pure: the input is not modified. Checks belong to validate-config.ts.
 */
import type { InstanceGroupKind, ModelConfig, ModelInstanceGroup } from '../../sdk/model-config.ts';
import { withProtoDefaults } from './proto-defaults.ts';
import { MODEL_CONFIG_SCHEMA } from './proto-schema.ts';

export interface NormalizeContext {
  /** The model directory name; becomes `name` when the config has none. */
  readonly modelName: string;
  /** Whether GPU instances can be created; resolves KIND_AUTO. */
  readonly gpuAvailable: boolean;
  /** The usable GPU ids. Defaults to `[0]` when `gpuAvailable`, else none. */
  readonly gpuIds?: readonly number[];
  /** Instance count for groups that give none, replacing Triton's per-backend rule. */
  readonly defaultInstanceCount?: number;
  /** Model file name for configs that give none, when the backend is not in Triton's table. */
  readonly defaultModelFilename?: string;
}

/** Triton's default `max_sequence_idle_microseconds`: one second. */
export const SEQUENCE_IDLE_DEFAULT_MICROSECONDS = 1_000_000;

/** Backends implied by a platform, as in Triton's AutoCompleteBackendFields. */
const BACKEND_OF_PLATFORM: Readonly<Record<string, string>> = {
  onnxruntime_onnx: 'onnxruntime',
  tensorrt_plan: 'tensorrt',
  pytorch_libtorch: 'pytorch',
  tensorflow_graphdef: 'tensorflow',
  tensorflow_savedmodel: 'tensorflow',
};

/** Platforms implied by a backend. */
const PLATFORM_OF_BACKEND: Readonly<Record<string, string>> = {
  onnxruntime: 'onnxruntime_onnx',
  tensorrt: 'tensorrt_plan',
  pytorch: 'pytorch_libtorch',
};

/** Default model file names Triton fills in for these backends. */
const MODEL_FILENAME_OF_BACKEND: Readonly<Record<string, string>> = {
  onnxruntime: 'model.onnx',
  tensorrt: 'model.plan',
  pytorch: 'model.pt',
  python: 'model.py',
};

/** Triton gives CPU groups of these backends two instances by default. */
const TWO_CPU_INSTANCE_BACKENDS: ReadonlySet<string> = new Set(['onnxruntime', 'tensorflow']);

function normalizeBackendFields(config: ModelConfig, context: NormalizeContext): void {
  if (!config.name) config.name = context.modelName;
  if (!config.backend && config.platform && BACKEND_OF_PLATFORM[config.platform]) {
    config.backend = BACKEND_OF_PLATFORM[config.platform];
  }
  if (!config.platform && config.backend && PLATFORM_OF_BACKEND[config.backend]) {
    config.platform = PLATFORM_OF_BACKEND[config.backend];
  }
  if (!config.default_model_filename) {
    const filename = (config.backend && MODEL_FILENAME_OF_BACKEND[config.backend]) || context.defaultModelFilename;
    if (filename) config.default_model_filename = filename;
  }
}

function normalizeScheduling(config: ModelConfig): void {
  if (!config.version_policy) config.version_policy = { latest: { num_versions: 1 } };
  const maxBatchSize = config.max_batch_size ?? 0;
  const dynamic = config.dynamic_batching;
  if (dynamic && !dynamic.preferred_batch_size?.length && maxBatchSize > 0) {
    dynamic.preferred_batch_size = [maxBatchSize];
  }
  const sequence = config.sequence_batching;
  if (sequence) {
    if (!sequence.max_sequence_idle_microseconds) sequence.max_sequence_idle_microseconds = SEQUENCE_IDLE_DEFAULT_MICROSECONDS;
    if (sequence.oldest && !sequence.oldest.preferred_batch_size?.length && maxBatchSize > 0) {
      sequence.oldest.preferred_batch_size = [maxBatchSize];
    }
  }
  if (!config.ensemble_scheduling) {
    const optimization = (config.optimization ??= {});
    optimization.input_pinned_memory ??= { enable: true };
    optimization.output_pinned_memory ??= { enable: true };
  }
}

function defaultCount(kind: InstanceGroupKind, config: ModelConfig, context: NormalizeContext): number {
  if (context.defaultInstanceCount !== undefined) return context.defaultInstanceCount;
  return kind === 'KIND_CPU' && TWO_CPU_INSTANCE_BACKENDS.has(config.backend ?? '') ? 2 : 1;
}

function normalizeInstanceGroups(config: ModelConfig, context: NormalizeContext): void {
  // Instance groups do not apply to ensembles (validation rejects them there).
  if (config.ensemble_scheduling) return;
  const gpuIds = context.gpuIds ?? (context.gpuAvailable ? [0] : []);
  const supported = new Set(gpuIds);
  if (!config.instance_group?.length) {
    // Triton names the group it creates after the model itself, without an index.
    config.instance_group = [{ name: config.name }];
  }
  config.instance_group = config.instance_group.map((source, index): ModelInstanceGroup => {
    const group: ModelInstanceGroup = { ...source };
    if (!group.name) group.name = `${config.name}_${index}`;
    let kind = group.kind ?? 'KIND_AUTO';
    if (kind === 'KIND_AUTO') {
      const listedAvailable = (group.gpus ?? []).every((id) => supported.has(id));
      kind = supported.size > 0 && listedAvailable ? 'KIND_GPU' : 'KIND_CPU';
    }
    group.kind = kind;
    if (!group.count || group.count < 1) group.count = defaultCount(kind, config, context);
    if (kind === 'KIND_GPU' && !group.gpus?.length) group.gpus = [...gpuIds];
    return group;
  });
}

/**
 * Returns the normalised copy of `raw`: Triton's defaults applied and every
 * proto3 default filled in, keys in proto declaration order.
 *
 * @example
 * ```ts
 * const config = normalizeConfig(parseModelConfigText(text, file), { modelName: 'simple', gpuAvailable: false });
 * config.instance_group; // [{ name: 'simple', kind: 'KIND_CPU', count: 2, gpus: [], ... }]
 * ```
 */
export function normalizeConfig(raw: ModelConfig, context: NormalizeContext): ModelConfig {
  const config = structuredClone(raw);
  normalizeBackendFields(config, context);
  normalizeScheduling(config);
  normalizeInstanceGroups(config, context);
  return withProtoDefaults(MODEL_CONFIG_SCHEMA, config as unknown as Record<string, unknown>) as unknown as ModelConfig;
}
