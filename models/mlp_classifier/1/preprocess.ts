/**
 * Turns one example of any length into a row of the backbone's input: fit it
 * to `width` values, then standardize with the configured mean and std.
 * Writes straight into the batch buffer, so every request of an execute lands
 * in one Float32Array without an intermediate copy, and computes each value
 * in double precision before its one rounding to FP32.
 *
 * Fitting, by `length_policy`:
 * - `resample`: linear interpolation onto `width` evenly spaced points, the
 *   first and last at the example's own ends. A short trace is stretched and
 *   a long one shrunk; its shape over time is kept either way.
 * - `pad_truncate`: the first `width` values; a shorter example is padded with
 *   0 after standardizing, i.e. with the mean, so padding tells the backbone
 *   nothing (a raw 0 would be a value like any other).
 *
 * @example
 * ```ts
 * const batch = new Float32Array(rows * 64);
 * writeRow([0, 1], settings, 64, batch, 0);  // 64 points from 0 to 1, standardized
 * ```
 */
import type { ClassifierSettings } from './settings.ts';

/** `values` at fractional index `position` (0 .. length - 1), by linear interpolation. */
function interpolate(values: ArrayLike<number>, position: number): number {
  const last = values.length - 1;
  if (last === 0) return values[0]!;
  const low = Math.min(Math.floor(position), last - 1);
  return values[low]! + (values[low + 1]! - values[low]!) * (position - low);
}

/** Writes `values` as the backbone row at `out[offset .. offset + width)`. `values` is non-empty and finite (read-rows.ts checks). */
export function writeRow(values: ArrayLike<number>, settings: ClassifierSettings, width: number, out: Float32Array, offset: number): void {
  const { mean, std } = settings;
  // One mean (std) for every position, or one per position: index with i or with 0.
  const meanStride = mean.length === width ? 1 : 0;
  const stdStride = std.length === width ? 1 : 0;
  const resample = settings.lengthPolicy === 'resample';
  const filled = resample ? width : Math.min(values.length, width);
  const step = (values.length - 1) / (width - 1);
  for (let i = 0; i < filled; i++) {
    const raw = resample ? interpolate(values, i * step) : values[i]!;
    out[offset + i] = (raw - mean[i * meanStride]!) / std[i * stdStride]!;
  }
  out.fill(0, offset + filled, offset + width);
}
