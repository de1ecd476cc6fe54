/**
 * The live set of models: which are loaded, in what state, and why not.
 * Applies the model control mode (none | explicit | poll), serialises
 * load/unload/reload per model, and swaps reloaded models in without dropping
 * in-flight requests (the old versions drain before they are disposed).
 */
import { rm } from 'node:fs/promises';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { Logger } from '../logging/logger.ts';
import { fingerprintModelDir, listModelDirs, type RepositoryModelDir } from '../repository/scan-repository.ts';
import { loadModel, type LoadedModel, type ModelLoadSettings } from './model-loader.ts';
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
    if (!version) {
      if (!entry.latest) throw NereidError.unavailable(`Request for unknown model: '${name}' has no available versions`);
      return entry.latest;
    }
    const number = Number(version);
    const found = /^[1-9][0-9]*$/.test(version) ? entry.loaded.versions.get(number) : undefined;
    if (!found) {
      const served = [...entry.loaded.versions.keys()].join(', ');
      throw NereidError.notFound(`Request for unknown model: '${name}' version ${version} is not found; served versions: ${served}`);
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

  /** Loads every model in the repository (modes none and poll; explicit with `--load-model=*`). */
  async loadAll(): Promise<void> {
    const { models, duplicates } = await this.#scan();
    this.#reportDuplicates(duplicates);
    // A model that fails is left UNAVAILABLE with its reason; the others load regardless.
    await Promise.all([...models.values()].map((model) => this.load(model.name, { dir: model.dir }).catch(() => {})));
  }

  /**
   * Loads (or reloads) one model. On a reload the old versions keep serving
   * until the new ones are ready; if the new load fails, the old ones stay.
   */
  load(name: string, source?: ModelSource): Promise<void> {
    const entry = this.#entry(name);
    const task = entry.pending.then(async () => {
      let resolved: ModelSource | undefined;
      let fingerprint: string | undefined;
      let loaded: LoadedModel;
      try {
        resolved = source ?? (await this.#findSource(name));
        if (!entry.loaded) entry.state = ModelState.Loading;
        fingerprint = resolved.config ? undefined : await fingerprintModelDir(resolved.dir).catch(() => undefined);
        this.#log.info(`loading model '${name}' from ${resolved.dir}`);
        loaded = await loadModel(name, resolved.dir, resolved.config, this.#settings);
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
      const previousOwned = this.#ownedDirs.get(name);
      if (resolved.ownedDir) this.#ownedDirs.set(name, resolved.dir);
      else this.#ownedDirs.delete(name);
      this.#log.info(`model '${name}' ready: version(s) ${[...loaded.versions.keys()].join(', ')}`);
      if (previous) await this.#retire(name, previous, previousOwned !== resolved.dir ? previousOwned : undefined);
    });
    entry.pending = task.catch(() => {});
    return task;
  }

  /** Unloads a model: new requests fail at once, in-flight ones finish first. */
  unload(name: string): Promise<void> {
    const entry = this.#entries.get(name);
    if (!entry) return Promise.reject(NereidError.notFound(`failed to unload '${name}', no version is available`));
    const task = entry.pending.then(async () => {
      const previous = entry.loaded;
      entry.loaded = undefined;
      entry.latest = undefined;
      entry.fingerprint = undefined;
      entry.state = ModelState.Unavailable;
      entry.reason = UNLOADED;
      if (previous) {
        entry.state = ModelState.Unloading;
        await this.#retire(name, previous, this.#ownedDirs.get(name));
        this.#ownedDirs.delete(name);
        entry.state = ModelState.Unavailable;
      }
    });
    entry.pending = task.catch(() => {});
    return task;
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
      if (entry?.loaded) {
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
      entry = { name, state: ModelState.Unknown, reason: '', loaded: undefined, latest: undefined, fingerprint: undefined, pending: Promise.resolve() };
      this.#entries.set(name, entry);
    }
    return entry;
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
