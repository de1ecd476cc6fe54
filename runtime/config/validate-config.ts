/**
 * Semantic checks of a normalised config, in the order Triton core runs
 * them: name, platform/backend, max_batch_size, version policy, batchers,
 * ensemble, transaction policy, metrics, then tensors and instance groups.
 * The first broken rule throws NereidError INVALID_ARG with Triton's wording,
 * which names the model (usually as a trailing "for <model>").
 *
 * Known backends come in through the context, so this module does not
 * depend on the backend registry.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { validateEnsemble } from './validate-ensemble.ts';
import { type InstanceGroupContext, validateInstanceGroups } from './validate-instance-groups.ts';
import { validateScheduling } from './validate-scheduling.ts';
import { validateTensors } from './validate-tensors.ts';

export { validateAgainstSignature } from './validate-against-signature.ts';

export interface ValidateContext extends InstanceGroupContext {
  /** The model directory name, which the config's `name` must equal. */
  readonly modelName: string;
  /** Backends this server can load; when given, `backend` must be one of them. */
  readonly knownBackends?: readonly string[];
}

const ENSEMBLE_PLATFORM = 'ensemble';

/** The framework family of Triton's built-in backends and platforms, for the pair check. */
const FRAMEWORK_OF_BACKEND: Readonly<Record<string, string>> = {
  tensorflow: 'tensorflow',
  tensorrt: 'tensorrt',
  onnxruntime: 'onnxruntime',
  pytorch: 'pytorch',
};
const FRAMEWORK_OF_PLATFORM: Readonly<Record<string, string>> = {
  tensorflow_graphdef: 'tensorflow',
  tensorflow_savedmodel: 'tensorflow',
  tensorrt_plan: 'tensorrt',
  onnxruntime_onnx: 'onnxruntime',
  pytorch_libtorch: 'pytorch',
};

function fail(message: string): never {
  throw NereidError.invalidArg(message);
}

function validatePlatformAndBackend(config: ModelConfig, knownBackends: readonly string[] | undefined): void {
  const name = config.name;
  const platform = config.platform ?? '';
  const backend = config.backend ?? '';
  if (!platform && !backend) fail(`must specify 'platform' or 'backend' for '${name}'`);
  if (!backend) {
    // Only ensembles run without a backend.
    if (platform !== ENSEMBLE_PLATFORM) fail(`unexpected platform type '${platform}' for ${name}`);
    return;
  }
  if (platform === ENSEMBLE_PLATFORM) fail(`Ensemble model '${name}' must have platform type '${platform}' and empty backend type`);
  const framework = FRAMEWORK_OF_BACKEND[backend];
  // Backends outside Triton's framework list (python, typescript, custom) accept any platform.
  if (framework !== undefined && framework !== FRAMEWORK_OF_PLATFORM[platform]) {
    fail(`unexpected 'platform' and 'backend' pair, got:${platform}, ${backend}`);
  }
  if (knownBackends && !knownBackends.includes(backend)) {
    fail(`unable to find backend '${backend}' for model '${name}'; available backends: ${knownBackends.join(', ') || 'none'}`);
  }
}

function validateVersionPolicy(config: ModelConfig): void {
  const policy = config.version_policy;
  if (!policy) fail(`must specify 'version policy' for ${config.name}`);
  for (const version of policy.specific?.versions ?? []) {
    if (version < 1) fail(`version policy 'specific' versions must be positive for ${config.name}, got ${version}`);
  }
}

function validateModelMetrics(config: ModelConfig): void {
  for (const control of config.model_metrics?.metric_control ?? []) {
    if (!control.metric_identifier) fail("metric control must specify 'metric_identifier'");
    if (!control.metric_identifier.family) fail("metric identifier must specify non-empty 'family'");
    if (!control.histogram_options) fail("metric control must specify 'histogram_options'");
    if (!control.histogram_options.buckets?.length) fail("histogram options must specify non-empty 'buckets'");
  }
}

/**
 * Throws NereidError INVALID_ARG at the first rule `config` breaks.
 * Expects a normalised config (see normalizeConfig).
 *
 * @example
 * ```ts
 * validateConfig(config, { modelName: 'simple', knownBackends: ['onnxruntime', 'typescript'] });
 * // throws e.g. "model input 'INPUT0' must specify 'dims' for simple"
 * ```
 */
export function validateConfig(config: ModelConfig, context: ValidateContext): void {
  const name = config.name;
  if (!name) fail("model configuration must specify 'name'");
  if (name !== context.modelName) {
    fail(`unexpected directory name '${context.modelName}' for model '${name}', directory name must equal model name`);
  }
  validatePlatformAndBackend(config, context.knownBackends);
  if ((config.max_batch_size ?? 0) < 0) fail(`'max_batch_size' must be non-negative value for ${name}`);
  validateVersionPolicy(config);
  validateScheduling(config);
  if (config.ensemble_scheduling) validateEnsemble(config);
  else if (config.platform === ENSEMBLE_PLATFORM) fail(`ensemble scheduling must be set for ensemble ${name} whose platform is ${ENSEMBLE_PLATFORM}`);
  if (config.model_transaction_policy?.decoupled && config.response_cache?.enable) {
    fail(`Response Cache does not currently support model ${name} with 'decoupled' transaction policy. Please disable the response cache.`);
  }
  validateModelMetrics(config);
  validateTensors(config);
  validateInstanceGroups(config, context);
}
