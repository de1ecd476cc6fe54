/**
 * The TypeScript backend (`backend: "typescript"`, model file `model.ts`):
 * Triton's Python backend, rebuilt for TypeScript. Each instance runs the
 * model's bundle in its own isolated-vm isolate (script-instance.ts); the
 * bundle is built once per model file content (bundle/) and shared by all
 * instances.
 *
 * `autoCompleteConfig`, when model.ts exports it, runs in a throwaway isolate
 * before the config is validated, as Triton runs `auto_complete_config` in a
 * short-lived interpreter (only when the model's files mention the hook).
 */
import { NereidError, type ErrorData } from '../../../sdk/errors.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';
import type { SettleResult } from '../../../sdk/model/isolate-protocol.ts';
import { parseConfigJson } from '../../config/config-json.ts';
import type { Logger } from '../../logging/logger.ts';
import type { Backend, BackendLoadContext, InstanceSpec } from '../backend.ts';
import { loadBundle } from './load-bundle.ts';
import { IsolateSandbox } from './isolate-sandbox.ts';
import { ScriptInstance, type LoadedBundle } from './script-instance.ts';
import { checkAutoCompleteChanges } from './auto-complete-changes.ts';
import { authorStack } from './bundle/stack-mapper.ts';
import { scriptOptions } from './script-options.ts';

export class ScriptBackend implements Backend {
  readonly name = 'typescript';
  readonly supportsDecoupled = true;
  readonly platforms: readonly string[] = [];
  readonly defaultModelFilename = 'model.ts';
  /**
   * One bundle per loaded version: all its instances, and any replacement of
   * a failed one, run the code that was loaded, even if model.ts has changed
   * on disk since (poll mode reloads the whole version for that).
   */
  readonly #bundles = new WeakMap<BackendLoadContext, Promise<LoadedBundle>>();
  /**
   * The bundle `completeConfig` built, by model file, for the instances of
   * the same load: they then run the code that completed their config, and
   * the bundle cache is not checked (re-read and re-hashed) a second time.
   */
  readonly #completed = new Map<string, LoadedBundle>();

  async createInstance(context: BackendLoadContext, spec: InstanceSpec): Promise<ScriptInstance> {
    const options = scriptOptions(context.config);
    let bundle = this.#bundles.get(context);
    if (!bundle) {
      const completed = this.#completed.get(context.modelPath);
      this.#completed.delete(context.modelPath);
      bundle = completed ? Promise.resolve(completed) : loadBundle(context.modelPath, context.modelDir, context.modelName);
      this.#bundles.set(context, bundle);
    }
    return ScriptInstance.create(context, spec, await bundle, options);
  }

  async completeConfig(config: ModelConfig, modelPath: string, context: { modelDir: string; log: Logger }): Promise<ModelConfig> {
    const name = config.name;
    const bundle = await loadBundle(modelPath, context.modelDir, name);
    this.#completed.set(modelPath, bundle);
    // No isolate just to learn that the model has no hook (~3 ms per load).
    if (!bundle.mayExportAutoComplete) return config;
    const options = scriptOptions(config);
    let settled: SettleResult | undefined;
    const ignore = () => undefined;
    const noMetrics: ErrorData = { code: 'UNAVAILABLE', message: `model '${name}': custom metrics are not available in autoCompleteConfig` };
    const sandbox = await IsolateSandbox.create(
      {
        log: (_level, message) => context.log.info(`[${name}] ${message}`),
        now: () => performance.now(),
        setTimer: ignore,
        clearTimer: ignore,
        infer: ignore,
        isModelReady: () => false,
        loadModel: () => {
          throw new Error('no model loading during autoCompleteConfig');
        },
        unloadModel: () => {
          throw new Error('no model unloading during autoCompleteConfig');
        },
        isCancelled: () => false,
        watchCancel: () => undefined,
        cancelInference: () => undefined,
        sendResponse: () => {
          throw new Error('no responses during autoCompleteConfig');
        },
        takeTensor: () => {
          throw new Error('no tensors during autoCompleteConfig');
        },
        settle: (_callId, result) => {
          settled = result;
        },
        metricFamily: () => noMetrics,
        metric: () => noMetrics,
        metricUpdate: () => noMetrics,
      },
      { ...options, code: bundle.code, filename: bundle.filename },
    ).catch((error: unknown) => {
      throw NereidError.from(error, `model '${name}': could not load ${modelPath}`);
    });
    try {
      if (!sandbox.has('autoCompleteConfig')) return config;
      const failure = sandbox.enter('autoCompleteConfig', [0, config]);
      if (failure) throw NereidError.invalidArg(`model '${name}': autoCompleteConfig failed: ${failure.message}`);
      // autoCompleteConfig may be async, but with no timers or BLS available it settles within the call.
      if (!settled) throw NereidError.invalidArg(`model '${name}': autoCompleteConfig did not finish (it may not wait on timers or other models)`);
      if (!settled.ok) {
        const { header, frames } = authorStack(settled.stack ? bundle.mapStack(settled.stack) : '', settled.error.message);
        throw NereidError.invalidArg(`model '${name}': autoCompleteConfig failed: ${header}${frames ? `\n${frames}` : ''}`);
      }
      const completed = parseConfigJson(settled.config ?? config, `model '${name}': the config autoCompleteConfig returned`);
      checkAutoCompleteChanges(config, completed);
      return completed;
    } finally {
      sandbox.dispose();
    }
  }
}
