/**
 * Loads one model from its directory: config (from disk or an override),
 * backend, auto-complete from the model file, normalise, validate, freeze,
 * then one ModelVersion per version the policy selects.
 *
 * Every failure is a NereidError naming the model (and file, where there is one);
 * the caller marks that model UNAVAILABLE and keeps serving the others.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { Backend, ModelHost } from '../backends/backend.ts';
import type { BackendRegistry } from '../backends/backend-registry.ts';
import { autoCompleteConfig } from '../config/auto-complete.ts';
import { readModelConfig } from '../config/load-model-config.ts';
import { normalizeConfig } from '../config/normalize-config.ts';
import { validateAgainstSignature, validateConfig } from '../config/validate-config.ts';
import { validateEnsembleSteps } from '../config/validate-ensemble-steps.ts';
import type { Logger } from '../logging/logger.ts';
import { listVersions } from '../repository/scan-repository.ts';
import { selectVersions } from '../repository/version-policy.ts';
import { modelFileMissing } from './model-file-missing.ts';
import { ModelVersion } from './model-version.ts';

export interface ModelLoadSettings {
  readonly backends: BackendRegistry;
  readonly log: Logger;
  /** `--strict-model-config`: no auto-complete; the config must declare everything. */
  readonly strictModelConfig: boolean;
  /** max_batch_size auto-complete gives a batchable model (Triton's default-max-batch-size, 4). */
  readonly defaultMaxBatchSize: number;
  /** The server, as the models it hosts see it (BLS). */
  readonly host: ModelHost;
}

export interface LoadedModel {
  readonly config: ModelConfig;
  readonly versions: Map<number, ModelVersion>;
}

/** The completed, validated and frozen config of the model in `modelDir`. */
export async function completeModelConfig(
  name: string,
  modelDir: string,
  override: ModelConfig | undefined,
  settings: ModelLoadSettings,
  steps?: ReadonlyMap<string, ModelConfig>,
): Promise<{ config: ModelConfig; versions: number[]; backend: Backend }> {
  const onDisk = override ?? (await readModelConfig(modelDir));
  if (!onDisk && settings.strictModelConfig) {
    throw NereidError.invalidArg(`model '${name}': no config.pbtxt in ${modelDir}, and --strict-model-config=true forbids auto-completing one`);
  }
  const raw: ModelConfig = { ...(onDisk ?? { name }) };
  if (!raw.name) raw.name = name;
  const available = await listVersions(modelDir);
  const versions = selectVersions(name, raw.version_policy, available);
  if (raw.platform === ENSEMBLE_PLATFORM) return { config: completeEnsembleConfig(name, raw, settings, steps), versions, backend: ENSEMBLE_BACKEND };
  const newestDir = join(modelDir, String(versions[versions.length - 1]));
  const backend = settings.backends.resolve(raw, newestDir);
  // A model found by its file alone gets the backend that serves that file, so /config names it.
  if (!raw.backend && !raw.platform) raw.backend = backend.name;
  const modelPath = join(newestDir, raw.default_model_filename || backend.defaultModelFilename);
  if (!existsSync(modelPath)) {
    throw modelFileMissing(`model '${name}'`, modelPath);
  }
  const signature = backend.readSignature ? await backend.readSignature(modelPath, raw, settings.log) : undefined;
  let completed = signature
    ? autoCompleteConfig(raw, signature, { defaultMaxBatchSize: settings.defaultMaxBatchSize, strict: settings.strictModelConfig })
    : raw;
  if (backend.completeConfig && !settings.strictModelConfig) {
    completed = await backend.completeConfig(completed, modelPath, { modelDir, log: settings.log });
  }
  const gpuAvailable = backend.gpuAvailable?.() ?? false;
  const normalized = normalizeConfig(completed, { modelName: name, gpuAvailable, defaultModelFilename: backend.defaultModelFilename });
  validateConfig(normalized, { modelName: name, knownBackends: settings.backends.names, gpuAvailable });
  if (signature) validateAgainstSignature(normalized, signature);
  return { config: deepFreeze(normalized), versions, backend };
}

/** Loads every selected version; if one fails, the versions already loaded are unloaded again. */
export async function loadModel(
  name: string,
  modelDir: string,
  override: ModelConfig | undefined,
  settings: ModelLoadSettings,
  steps?: ReadonlyMap<string, ModelConfig>,
): Promise<LoadedModel> {
  const { config, versions, backend } = await completeModelConfig(name, modelDir, override, settings, steps);
  const loaded = new Map<number, ModelVersion>();
  try {
    for (const version of versions) {
      const versionDir = join(modelDir, String(version));
      const modelPath = join(versionDir, config.default_model_filename || backend.defaultModelFilename);
      if (backend !== ENSEMBLE_BACKEND && !existsSync(modelPath)) throw modelFileMissing(`model '${name}' version ${version}`, modelPath);
      const log = settings.log.child(`[${name}:${version}]`);
      const context = { config, modelName: name, version, modelDir, versionDir, modelPath, log, host: settings.host };
      loaded.set(version, await ModelVersion.create(backend, context));
    }
  } catch (error) {
    await Promise.allSettled([...loaded.values()].map((v) => v.unload()));
    throw error;
  }
  return { config, versions: loaded };
}

const ENSEMBLE_PLATFORM = 'ensemble';

/**
 * Ensembles have no backend, model file or instances: their "backend" only
 * names them, and their scheduler runs the steps (create-scheduler.ts).
 */
const ENSEMBLE_BACKEND: Backend = {
  name: ENSEMBLE_PLATFORM,
  platforms: [ENSEMBLE_PLATFORM],
  defaultModelFilename: '',
  createInstance: () => Promise.reject(NereidError.internal('an ensemble has no instances')),
};

/** Normalise and validate an ensemble, then check it against the configs its steps are served with. */
function completeEnsembleConfig(name: string, raw: ModelConfig, settings: ModelLoadSettings, steps: ReadonlyMap<string, ModelConfig> | undefined): ModelConfig {
  const normalized = normalizeConfig(raw, { modelName: name, gpuAvailable: false, defaultModelFilename: '' });
  validateConfig(normalized, { modelName: name, knownBackends: settings.backends.names, gpuAvailable: false });
  validateEnsembleSteps(normalized, steps ?? new Map());
  return deepFreeze(normalized);
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value as object)) deepFreeze(child);
  }
  return value;
}
