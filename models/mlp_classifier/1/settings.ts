/**
 * The classifier's settings, read once from the config's `parameters` in
 * `initialize` (Triton's model parameters are always strings). A bad value
 * throws there, which fails the model's load with a message naming the
 * parameter, rather than failing every request later.
 *
 * @example
 * ```ts
 * const settings = readSettings(args.modelConfig, BACKBONE.width, BACKBONE.classes);
 * settings.mean; // Float64Array of 1 or 64 values
 * ```
 */
import { NereidError, type ModelConfig } from 'nereid/model';
import { parseNumberList } from './number-list.ts';

/** How a row of any length becomes the backbone's width. */
export type LengthPolicy = 'resample' | 'pad_truncate';

export interface ClassifierSettings {
  /** Subtracted after resampling: one value for every position, or one per position. */
  readonly mean: Float64Array;
  /** Divides after subtracting the mean; every value > 0. Same layout as `mean`. */
  readonly std: Float64Array;
  readonly lengthPolicy: LengthPolicy;
  /** k when a request has no `top_k` parameter. */
  readonly defaultTopK: number;
  /** Longest row accepted, in values. */
  readonly maxLength: number;
}

function parameter(config: ModelConfig, key: string, fallback: string): string {
  const value = config.parameters?.[key]?.string_value;
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function fail(config: ModelConfig, key: string, message: string): never {
  throw NereidError.invalidArg(`model '${config.name}': parameter '${key}' ${message}`);
}

function integer(config: ModelConfig, key: string, fallback: number, min: number, max: number): number {
  const text = parameter(config, key, String(fallback));
  const value = Number(text);
  if (!/^\d+$/.test(text) || value < min || value > max) fail(config, key, `must be an integer from ${min} to ${max}, got '${text}'`);
  return value;
}

/** One number or `width` numbers, as a Float64Array; `positive` also refuses values <= 0 (a std). */
function vector(config: ModelConfig, key: string, fallback: string, width: number, positive: boolean): Float64Array {
  const text = parameter(config, key, fallback);
  let values: number[];
  try {
    values = parseNumberList(text, `parameter '${key}'`);
  } catch (error) {
    fail(config, key, `must be 1 or ${width} numbers: ${(error as Error).message}`);
  }
  if (values.length !== 1 && values.length !== width) fail(config, key, `must be 1 or ${width} numbers, got ${values.length}`);
  if (positive && values.some((value) => value <= 0)) fail(config, key, `must be greater than 0, got '${text}'`);
  return Float64Array.from(values);
}

/** The settings in `config`; `width` is the backbone's row length, `classes` its number of scores per row. */
export function readSettings(config: ModelConfig, width: number, classes: number): ClassifierSettings {
  const policy = parameter(config, 'length_policy', 'resample');
  if (policy !== 'resample' && policy !== 'pad_truncate') fail(config, 'length_policy', `must be 'resample' or 'pad_truncate', got '${policy}'`);
  return Object.freeze({
    mean: vector(config, 'feature_mean', '0', width, false),
    std: vector(config, 'feature_std', '1', width, true),
    lengthPolicy: policy,
    defaultTopK: integer(config, 'default_top_k', 3, 1, classes),
    maxLength: integer(config, 'max_length', 16384, 1, 1 << 24),
  });
}
