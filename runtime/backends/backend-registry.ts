/**
 * Finds the backend for a model config: by `backend`, by `platform`, or, for a
 * model directory without either (no config.pbtxt at all), by which default
 * model file its newest version folder holds.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { Backend } from './backend.ts';

export class BackendRegistry {
  readonly #backends: readonly Backend[];

  constructor(backends: readonly Backend[]) {
    this.#backends = backends;
  }

  /** Backend names, for config validation. */
  get names(): string[] {
    return this.#backends.map((backend) => backend.name);
  }

  /** Every registered backend. */
  get all(): readonly Backend[] {
    return this.#backends;
  }

  /**
   * The backend serving `config`. `versionDir` is the newest version folder,
   * used only when the config names neither backend nor platform.
   */
  resolve(config: ModelConfig, versionDir: string | undefined): Backend {
    const model = `model '${config.name}'`;
    if (config.backend) {
      const backend = this.#backends.find((b) => b.name === config.backend);
      if (!backend) throw NereidError.invalidArg(`${model}: unknown backend '${config.backend}'; available: ${this.names.join(', ')}`);
      if (config.platform && !backend.platforms.includes(config.platform)) {
        throw NereidError.invalidArg(`${model}: platform '${config.platform}' does not match backend '${config.backend}'`);
      }
      return backend;
    }
    if (config.platform) {
      const backend = this.#backends.find((b) => b.platforms.includes(config.platform!));
      if (!backend) {
        const platforms = this.#backends.flatMap((b) => b.platforms);
        throw NereidError.invalidArg(`${model}: unsupported platform '${config.platform}'; supported: ${platforms.join(', ')}`);
      }
      return backend;
    }
    if (versionDir) {
      const filename = config.default_model_filename;
      const found = this.#backends.find((b) => existsSync(join(versionDir, filename || b.defaultModelFilename)));
      if (found) return found;
    }
    throw NereidError.invalidArg(
      `${model}: config sets neither 'backend' nor 'platform', and no known model file (${this.#backends.map((b) => b.defaultModelFilename).join(', ')}) was found to infer one`,
    );
  }
}
