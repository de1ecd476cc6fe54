/**
 * A model's config `parameters` as typed settings. Triton's model parameters
 * are always strings (`parameters { key: "k" value: { string_value: "..." } }`);
 * a model reads them once, in `initialize`, where a bad value throws
 * INVALID_ARG naming the model and the parameter: that fails the load with a
 * message the operator can act on, rather than every request later.
 * An absent or blank parameter gives the fallback.
 *
 * @example
 * ```ts
 * initialize(args: InitializeArgs) {
 *   const parameters = new ConfigParameters(args.modelConfig);
 *   this.#topK = parameters.integer('default_top_k', 3, { min: 1, max: 10 });
 *   this.#threshold = parameters.number('threshold', 0.5, { min: 0, max: 1 });
 *   this.#verbose = parameters.flag('verbose', false);
 *   this.#policy = parameters.choice('length_policy', 'resample', ['resample', 'pad_truncate']);
 * }
 * ```
 */
import { NereidError } from '../errors.ts';
import type { ModelConfig } from '../model-config.ts';

/** Bounds of a numeric parameter (inclusive). */
export interface NumberRange {
  readonly min: number;
  readonly max: number;
}

export class ConfigParameters {
  readonly #modelName: string;
  readonly #parameters: ModelConfig['parameters'];

  constructor(config: Pick<ModelConfig, 'name' | 'parameters'>) {
    this.#modelName = config.name;
    this.#parameters = config.parameters;
  }

  /** The parameter's text, trimmed; `fallback` when it is absent or blank. */
  text(key: string, fallback: string): string;
  text(key: string): string | undefined;
  text(key: string, fallback?: string): string | undefined {
    const value = this.#parameters?.[key]?.string_value?.trim();
    return value === undefined || value === '' ? fallback : value;
  }

  /** A finite number within `range`. */
  number(key: string, fallback: number, range: NumberRange): number {
    return this.#numeric(key, fallback, range, false);
  }

  /** An integer within `range`. */
  integer(key: string, fallback: number, range: NumberRange): number {
    return this.#numeric(key, fallback, range, true);
  }

  /** "true" or "false". */
  flag(key: string, fallback: boolean): boolean {
    const value = this.text(key);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') throw this.invalid(key, `must be "true" or "false", got '${value}'`);
    return value === 'true';
  }

  /** One of `choices`. */
  choice<T extends string>(key: string, fallback: T, choices: readonly T[]): T {
    const value = this.text(key);
    if (value === undefined) return fallback;
    if (!(choices as readonly string[]).includes(value)) {
      throw this.invalid(key, `must be ${choices.map((choice) => `'${choice}'`).join(' or ')}, got '${value}'`);
    }
    return value as T;
  }

  /** The INVALID_ARG for parameter `key`, for checks a model makes itself: "model 'm': parameter 'k' <problem>". */
  invalid(key: string, problem: string): NereidError {
    return NereidError.invalidArg(`model '${this.#modelName}': parameter '${key}' ${problem}`);
  }

  #numeric(key: string, fallback: number, { min, max }: NumberRange, integer: boolean): number {
    const value = this.text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
      throw this.invalid(key, `must be ${integer ? 'an integer' : 'a number'} from ${min} to ${max}, got '${value}'`);
    }
    return parsed;
  }
}
