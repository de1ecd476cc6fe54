/**
 * The live set of models: which are loaded, in what state, and why not.
 * Applies the model control mode (none | explicit | poll), serialises
 * load/unload/reload per model, and swaps reloaded models in without dropping
 * in-flight requests (the old versions drain before they are disposed).
 *
 * Ensembles depend on their step models: they load after them (loading an
 * ensemble loads the steps that are not loaded yet, as Triton does in every
 * mode), and an ensemble whose step is not serving is not ready (its requests
 * answer UNAVAILABLE) until the step is back.
 */
import { rm } from 'node:fs/promises';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { readModelConfig } from '../config/load-model-config.ts';
import { ensembleStepModels } from '../config/validate-ensemble-steps.ts';
import type { Logger } from '../logging/logger.ts';
import { fingerprintModelDir, listModelDirs, type RepositoryModelDir } from '../repository/scan-repository.ts';
import { loadModel, type LoadedModel, type ModelLoadSettings } from './model-loader.ts';
import type { Caller } from '../backends/backend.ts';
import type { ModelVersion } from './model-version.ts';
import { ModelState, type RepositoryIndexEntry } from './server-api.ts';

export type ModelControlMode = 'none' | 'explicit' | 'poll';

interface ModelEntry {
  readonly name: string;
  state: ModelState;
  reason: string;
  loaded: LoadedModel | undefined;
  /** Highest loaded version, the one a request without a version goes to. */
  latest: ModelVersion | undefined;
  /** Files fingerprint of the loaded model (poll mode). */
  fingerprint: string | undefined;
  /** Serialises load/unload of this model. */
  pending: Promise<void>;
  /** Loads and unloads of this model queued or running (on `pending`). */
  changing: number;
  /**
   * Loaded because a load request (or --load-model) named it, not only as
   * an ensemble's step: unload_dependents leaves such a model loaded, as
   * Triton does.
   */
  explicit: boolean;
}

/** Where a model's files come from for one load: its repository directory, or an override directory with a config. */
export interface ModelSource {
  readonly dir: string;
  readonly config?: ModelConfig;
  /** Removed after the model is unloaded (override files written to a temp directory). */
  readonly ownedDir?: boolean;
}

export class ModelManager {
  readonly #roots: readonly string[];
  readonly #settings: ModelLoadSettings;
  readonly #log: Logger;
  readonly #entries = new Map<string, ModelEntry>();
  readonly #ownedDirs = new Map<string, string>();

  constructor(roots: readonly string[], settings: ModelLoadSettings) {
    this.#roots = roots;
    this.#settings = settings;
    this.#log = settings.log;
  }

  /** Finds the version a request goes to. Throws NOT_FOUND or UNAVAILABLE with Triton's wording. */
  resolve(name: string, version?: string): ModelVersion {
    const entry = this.#entries.get(name);
    if (!entry || entry.state === ModelState.Unknown) {
      throw NereidError.notFound(`Request for unknown model: '${name}' is not found`);
    }
    if (!entry.loaded) {
      const why = entry.reason ? `: ${entry.reason}` : '';
      throw NereidError.unavailable(`Request for unknown model: '${name}' is not ready (state ${entry.state})${why}`);
    }
    let found: ModelVersion | undefined;
    if (!version) {
      found = entry.latest;
      if (!found) throw NereidError.unavailable(`Request for unknown model: '${name}' has no available versions`);
    } else {
      found = /^[1-9][0-9]*$/.test(version) ? entry.loaded.versions.get(Number(version)) : undefined;
      if (!found) {
        const served = [...entry.loaded.versions.keys()].join(', ');
        throw NereidError.notFound(`Request for unknown model: '${name}' version ${version} is not found; served versions: ${served}`);
      }
    }
    if (found.config.ensemble_scheduling) {
      const missing = this.#missingSteps(found.config);
      if (missing.length > 0) {
        throw NereidError.unavailable(`Request for unknown model: '${name}' is not ready: ${ensembleUnavailable(name, missing)}`);
      }
    }
    return found;
  }

  /** Versions of `name` being served now, ascending. */
  servedVersions(name: string): number[] {
    const loaded = this.#entries.get(name)?.loaded;
    return loaded ? [...loaded.versions.keys()].sort((a, b) => a - b) : [];
  }

  /** Every loaded version of every model, by model name, then version. */
  loadedVersions(): ModelVersion[] {
    return [...this.#entries.keys()].sort().flatMap((name) => this.#loadedVersionsOf(name));
  }

  /**
   * The versions the statistics extension reports: every loaded one (no
   * name), every served version of `name`, or that one version. Triton
   * answers INVALID_ARG, in these words, for a model or version that is not
   * loaded (TRITONSERVER_ServerModelStatistics).
   */
  statisticsVersions(name?: string, version?: string): ModelVersion[] {
    if (!name) return this.loadedVersions();
    const versions = this.#loadedVersionsOf(name);
    if (versions.length === 0) throw NereidError.invalidArg(`requested model '${name}' is not available`);
    if (!version) return versions;
    const found = versions.find((v) => v.versionString === version);
    if (!found) throw NereidError.invalidArg(`requested model version is not available for model '${name}'`);
    return [found];
  }

  /** The repository directory of `name` (for a load with only a config override). */
  async modelDir(name: string): Promise<string> {
    return (await this.#findSource(name)).dir;
  }

  /** Loaded model names. */
  get loadedNames(): string[] {
    return [...this.#entries.values()].filter((e) => e.loaded).map((e) => e.name);
  }

  /** True when every model that was asked to load is READY (strict readiness); unloaded models do not count. */
  get allReady(): boolean {
    for (const entry of this.#entries.values()) {
      if (entry.loaded || entry.state === ModelState.Unknown) continue;
      if (entry.state === ModelState.Unavailable && entry.reason === UNLOADED) continue;
      return false;
    }
    return true;
  }

  /**
   * Loads every model in the repository (modes none and poll; explicit with
   * `--load-model=*`), in dependency order: a wave of models whose steps (if
   * any) are all in earlier waves at a time, models of one wave in parallel.
   */
  async loadAll(): Promise<void> {
    const { models, duplicates } = await this.#scan();
    this.#reportDuplicates(duplicates);
    const steps = new Map<string, string[]>();
    await Promise.all(
      [...models.values()].map(async (model) => {
        const config = await readModelConfig(model.dir).catch(() => undefined);
        steps.set(model.name, ensembleStepModels(config).filter((step) => models.has(step)));
      }),
    );
    // A model that fails is left UNAVAILABLE with its reason; the others load regardless.
    for (const wave of loadWaves(steps)) {
      await Promise.all(wave.map((name) => this.#load(name, { dir: models.get(name)!.dir }, false, true).catch(() => {})));
    }
  }

  /**
   * Loads (or reloads) one model. On a reload the old versions keep serving
   * until the new ones are ready; if the new load fails, the old ones stay.
   * An ensemble's step models that are not loaded are loaded first.
   */
  load(name: string, source?: ModelSource): Promise<void> {
    return this.#load(name, source, true, true);
  }

  /** `named`: the request named this model (else it loads as an ensemble's step). */
  #load(name: string, source: ModelSource | undefined, loadSteps: boolean, named: boolean): Promise<void> {
    const entry = this.#entry(name);
    const task = entry.pending.then(async () => {
      let resolved: ModelSource | undefined;
      let fingerprint: string | undefined;
      let loaded: LoadedModel;
      try {
        resolved = source ?? (await this.#findSource(name));
        if (!entry.loaded) entry.state = ModelState.Loading;
        fingerprint = resolved.config ? undefined : await fingerprintModelDir(resolved.dir).catch(() => undefined);
        const stepNames = ensembleStepModels(resolved.config ?? (await readModelConfig(resolved.dir).catch(() => undefined)));
        const steps = stepNames.length > 0 ? await this.#prepareSteps(name, stepNames, loadSteps) : undefined;
        this.#log.info(`loading model '${name}' from ${resolved.dir}`);
        loaded = await loadModel(name, resolved.dir, resolved.config, this.#settings, steps);
      } catch (error) {
        const failure = NereidError.from(error, `model '${name}'`);
        this.#log.error(`failed to load model '${name}': ${failure.message}`);
        if (resolved?.ownedDir) await rm(resolved.dir, { recursive: true, force: true });
        if (failure.code === 'NOT_FOUND' && entry.state === ModelState.Unknown) {
          // Nothing by that name exists: leave no entry behind for the index to list.
          this.#entries.delete(name);
        } else if (!entry.loaded) {
          entry.state = ModelState.Unavailable;
          entry.reason = failure.message;
        }
        // Remember what failed so poll mode does not retry the same files every cycle.
        entry.fingerprint = fingerprint;
        throw new NereidError(failure.code, `load failed for model '${name}': ${failure.message}`);
      }
      const previous = entry.loaded;
      entry.loaded = loaded;
      entry.latest = loaded.versions.get(Math.max(...loaded.versions.keys()));
      entry.state = ModelState.Ready;
      entry.reason = '';
      entry.fingerprint = fingerprint;
      if (named) entry.explicit = true;
      const previousOwned = this.#ownedDirs.get(name);
      if (resolved.ownedDir) this.#ownedDirs.set(name, resolved.dir);
      else this.#ownedDirs.delete(name);
      this.#log.info(`model '${name}' ready: version(s) ${[...loaded.versions.keys()].join(', ')}`);
      if (previous) await this.#retire(name, previous, previousOwned !== resolved.dir ? previousOwned : undefined);
    });
    return this.#track(entry, task);
  }

  /**
   * Unloads a model: new requests fail at once, in-flight ones finish first.
   * With `dependents` (Triton's `unload_dependents`), an ensemble's step
   * models go too (nested ensembles' steps included), except those a load
   * request named and those another model that stays loaded still uses; the
   * ensemble goes first, so it never serves with a step missing.
   */
  async unload(name: string, options: { dependents?: boolean } = {}): Promise<void> {
    // After any load or unload of it in progress, so the steps are those of what is loaded now.
    await this.#entries.get(name)?.pending;
    const dependents = options.dependents ? this.#dependentsToUnload(name) : [];
    await this.#unload(name);
    await Promise.all(dependents.map((step) => this.#unload(step)));
  }

  /** The loaded models that unloading `name` with its dependents also unloads. */
  #dependentsToUnload(name: string): string[] {
    const going = new Set([name]);
    for (const current of going) {
      for (const step of this.#loadedStepsOf(current)) if (!this.#entries.get(step)?.explicit) going.add(step);
    }
    // Keep every step that a model staying loaded uses; keeping one may keep its own steps (a fixpoint).
    for (let kept = true; kept; ) {
      kept = false;
      for (const [other, entry] of this.#entries) {
        if (going.has(other) || !entry.loaded) continue;
        for (const step of this.#loadedStepsOf(other)) if (step !== name && going.delete(step)) kept = true;
      }
    }
    going.delete(name);
    return [...going];
  }

  /** The step models of every loaded version of `name` (none unless it is an ensemble) that are loaded now. */
  #loadedStepsOf(name: string): string[] {
    const steps = this.#loadedVersionsOf(name).flatMap((version) => ensembleStepModels(version.config));
    return [...new Set(steps)].filter((step) => this.#entries.get(step)?.loaded !== undefined);
  }

  #unload(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return Promise.reject(NereidError.notFound(`failed to unload '${name}', no version is available`));
    const task = entry.pending.then(async () => {
      const previous = entry.loaded;
      entry.loaded = undefined;
      entry.latest = undefined;
      entry.fingerprint = undefined;
      entry.explicit = false;
      entry.state = ModelState.Unavailable;
      entry.reason = UNLOADED;
      if (previous) {
        entry.state = ModelState.Unloading;
        await this.#retire(name, previous, this.#ownedDirs.get(name));
        this.#ownedDirs.delete(name);
        entry.state = ModelState.Unavailable;
      }
    });
    return this.#track(entry, task);
  }

  /** `task` is the entry's latest load or unload: the next one waits for it, and it counts as a change in progress until it settles. */
  #track(entry: ModelEntry, task: Promise<void>): Promise<void> {
    entry.changing++;
    entry.pending = task.catch(() => {}).finally(() => entry.changing--);
    return task;
  }

  /**
   * Why loading or unloading `name` for a model's own code would wait on that
   * code (undefined when it would not). From an execute, `callers` holds what
   * waits for it (instances, ensembles): a version of `name` being retired
   * waits for its in-flight requests, so it may own none of them. Without
   * callers (initialize, or code outside an execute), a load or unload of
   * `name` in progress may be the very load running that code.
   */
  selfWaitReason(name: string, callers: ReadonlySet<Caller> | undefined): string | undefined {
    if (callers !== undefined && callers.size > 0) {
      const waiting = this.#loadedVersionsOf(name).some((version) => [...callers].some((caller) => version.owns(caller)));
      return waiting ? `a request of '${name}' is waiting for this call (this model's own request, or one that reached it through BLS or an ensemble step), and would never finish` : undefined;
    }
    const entry = this.#entries.get(name);
    return entry !== undefined && entry.changing > 0 ? `a load or unload of '${name}' is in progress, and it may be the load running this code (initialize cannot wait for it)` : undefined;
  }

  /**
   * Poll mode: loads new models, reloads changed ones, unloads removed ones.
   * A failed reload leaves the previous model serving.
   */
  async poll(): Promise<void> {
    const { models, duplicates } = await this.#scan();
    this.#reportDuplicates(duplicates);
    const work: Promise<void>[] = [];
    for (const model of models.values()) {
      const entry = this.#entries.get(model.name);
      const fingerprint = await fingerprintModelDir(model.dir).catch(() => undefined);
      if (!entry || entry.fingerprint !== fingerprint || (!entry.loaded && entry.reason === UNLOADED)) {
        work.push(this.load(model.name, { dir: model.dir }).catch(() => {}));
      }
    }
    for (const entry of this.#entries.values()) {
      if (!models.has(entry.name) && (entry.loaded || entry.state !== ModelState.Unavailable)) {
        this.#log.info(`model '${entry.name}' was removed from the repository; unloading`);
        work.push(this.unload(entry.name).catch(() => {}));
      }
    }
    await Promise.all(work);
  }

  /** The repository index: every model on disk, and every version we know a state for. */
  async index(readyOnly: boolean): Promise<RepositoryIndexEntry[]> {
    const { models } = await this.#scan();
    const names = new Set([...models.keys(), ...this.#entries.keys()]);
    const result: RepositoryIndexEntry[] = [];
    for (const name of [...names].sort()) {
      const entry = this.#entries.get(name);
      const missing = entry?.latest?.config.ensemble_scheduling ? this.#missingSteps(entry.latest.config) : [];
      if (entry?.loaded && missing.length > 0) {
        if (!readyOnly) result.push({ name, state: ModelState.Unavailable, reason: ensembleUnavailable(name, missing) });
      } else if (entry?.loaded) {
        for (const version of [...entry.loaded.versions.keys()].sort((a, b) => a - b)) {
          result.push({ name, version: String(version), state: ModelState.Ready, reason: '' });
        }
      } else if (entry && !readyOnly) {
        result.push({ name, state: entry.state, reason: entry.reason });
      } else if (!readyOnly) {
        result.push({ name });
      }
    }
    return result;
  }

  /** Unloads everything, draining in-flight requests. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#entries.values()].filter((e) => e.loaded).map((e) => this.unload(e.name)));
  }

  #entry(name: string): ModelEntry {
    let entry = this.#entries.get(name);
    if (!entry) {
      entry = { name, state: ModelState.Unknown, reason: '', loaded: undefined, latest: undefined, fingerprint: undefined, pending: Promise.resolve(), changing: 0, explicit: false };
      this.#entries.set(name, entry);
    }
    return entry;
  }

  /**
   * The configs an ensemble's steps are served with, once every step that is
   * loading has settled (and, with `loadSteps`, every step not loaded has been
   * loaded). Steps that are not available are left out: validation names them.
   */
  async #prepareSteps(name: string, steps: readonly string[], loadSteps: boolean): Promise<Map<string, ModelConfig>> {
    const cycle = await this.#findCycle(name, steps);
    if (cycle) throw NereidError.invalidArg(cycle);
    await Promise.all(
      steps.map(async (step) => {
        await this.#entries.get(step)?.pending;
        if (loadSteps && !this.#entries.get(step)?.loaded) await this.#load(step, undefined, true, false).catch(() => {});
      }),
    );
    const configs = new Map<string, ModelConfig>();
    for (const step of steps) {
      const loaded = this.#entries.get(step)?.loaded;
      if (loaded) configs.set(step, loaded.config);
    }
    return configs;
  }

  /** Triton's message for an ensemble that (through nested ensembles) contains itself, read from the repository's configs. */
  async #findCycle(start: string, steps: readonly string[]): Promise<string | undefined> {
    const seen = new Set<string>();
    const visit = async (name: string, via: string, stepsOf: readonly string[]): Promise<string | undefined> => {
      for (const step of stepsOf) {
        if (step === start) return `circular dependency between ensembles: ${start} -> ... -> ${via} -> ${start}`;
        if (seen.has(step)) continue;
        seen.add(step);
        const source = await this.#findSource(step).catch(() => undefined);
        const config = source && (await readModelConfig(source.dir).catch(() => undefined));
        const found = await visit(step, step, ensembleStepModels(config));
        if (found) return found;
      }
      return undefined;
    };
    return visit(start, start, steps);
  }

  /** The steps of an ensemble (nested ensembles included) that are not serving now. */
  #missingSteps(config: ModelConfig): string[] {
    const missing: string[] = [];
    for (const step of config.ensemble_scheduling?.step ?? []) {
      const loaded = this.#entries.get(step.model_name)?.loaded;
      const version = step.model_version !== undefined && step.model_version > 0 ? loaded?.versions.get(step.model_version) : this.#entries.get(step.model_name)?.latest;
      const serving = loaded !== undefined && version !== undefined && (!version.config.ensemble_scheduling || this.#missingSteps(version.config).length === 0);
      if (!serving && !missing.includes(step.model_name)) missing.push(step.model_name);
    }
    return missing;
  }

  #loadedVersionsOf(name: string): ModelVersion[] {
    const loaded = this.#entries.get(name)?.loaded;
    return loaded ? [...loaded.versions.values()].sort((a, b) => a.version - b.version) : [];
  }

  async #findSource(name: string): Promise<ModelSource> {
    const { models, duplicates } = await this.#scan();
    if (duplicates.has(name)) {
      throw NereidError.invalidArg(`model '${name}' appears in more than one repository: ${duplicates.get(name)!.join(', ')}`);
    }
    const model = models.get(name);
    if (!model) throw NereidError.notFound(`failed to load '${name}', failed to poll from model repository: no model directory named '${name}' in ${this.#roots.join(', ')}`);
    return { dir: model.dir };
  }

  #scan(): Promise<{ models: Map<string, RepositoryModelDir>; duplicates: Map<string, string[]> }> {
    return listModelDirs(this.#roots);
  }

  #reportDuplicates(duplicates: Map<string, string[]>): void {
    for (const [name, dirs] of duplicates) {
      const entry = this.#entry(name);
      if (!entry.loaded) {
        entry.state = ModelState.Unavailable;
        entry.reason = `model '${name}' appears in more than one repository: ${dirs.join(', ')}`;
      }
    }
  }

  async #retire(name: string, previous: LoadedModel, ownedDir: string | undefined): Promise<void> {
    await Promise.allSettled([...previous.versions.values()].map((version) => version.unload()));
    if (ownedDir) await rm(ownedDir, { recursive: true, force: true });
    this.#log.info(`unloaded model '${name}' version(s) ${[...previous.versions.keys()].join(', ')}`);
  }
}

const UNLOADED = 'unloaded';

function ensembleUnavailable(name: string, missing: readonly string[]): string {
  return `ensemble ${name} contains models that are not available: ${missing.join(', ')}`;
}

/**
 * Load order for models with dependencies (`steps`: model -> the models it
 * needs): waves in which every model's dependencies are in earlier waves.
 * Models on a cycle come last, where their load reports the cycle.
 */
export function loadWaves(steps: ReadonlyMap<string, readonly string[]>): string[][] {
  const waves: string[][] = [];
  const placed = new Set<string>();
  let rest = [...steps.keys()].sort();
  while (rest.length > 0) {
    const wave = rest.filter((name) => (steps.get(name) ?? []).every((dep) => placed.has(dep) || !steps.has(dep)));
    if (wave.length === 0) {
      waves.push(rest);
      break;
    }
    for (const name of wave) placed.add(name);
    waves.push(wave);
    rest = rest.filter((name) => !placed.has(name));
  }
  return waves;
}
