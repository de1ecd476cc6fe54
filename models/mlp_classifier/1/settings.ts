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
import { ConfigParameters, type ModelConfig } from 'nereid/model';
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

/** One number or `width` numbers, as a Float64Array; `positive` also refuses values <= 0 (a std). */
function vector(parameters: ConfigParameters, key: string, fallback: string, width: number, positive: boolean): Float64Array {
  const text = parameters.text(key, fallback);
  let values: number[];
  try {
    values = parseNumberList(text, `parameter '${key}'`);
  } catch (error) {
    throw parameters.invalid(key, `must be 1 or ${width} numbers: ${(error as Error).message}`);
  }
  if (values.length !== 1 && values.length !== width) throw parameters.invalid(key, `must be 1 or ${width} numbers, got ${values.length}`);
  if (positive && values.some((value) => value <= 0)) throw parameters.invalid(key, `must be greater than 0, got '${text}'`);
  return Float64Array.from(values);
}

/** The settings in `config`; `width` is the backbone's row length, `classes` its number of scores per row. */
export function readSettings(config: ModelConfig, width: number, classes: number): ClassifierSettings {
  const parameters = new ConfigParameters(config);
  return Object.freeze({
    mean: vector(parameters, 'feature_mean', '0', width, false),
    std: vector(parameters, 'feature_std', '1', width, true),
    lengthPolicy: parameters.choice<LengthPolicy>('length_policy', 'resample', ['resample', 'pad_truncate']),
    defaultTopK: parameters.integer('default_top_k', 3, { min: 1, max: classes }),
    maxLength: parameters.integer('max_length', 16384, { min: 1, max: 1 << 24 }),
  });
}
