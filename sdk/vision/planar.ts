/**
 * An `RgbImage` into the planar float layout vision models take (`[3, H, W]`
 * of one batch item, channels in the model's order, each value
 * `(byte / 255 - mean) / std`), written straight into the caller's batch
 * buffer so a batch of crops costs one allocation.
 *
 * @example
 * ```ts
 * // A [2, 3, 48, 320] batch; the crop (48 high, 200 wide) goes to item 1, the rest of its row stays 0.
 * const batch = new Float32Array(2 * 3 * 48 * 320);
 * writePlanar(crop, batch, { offset: 3 * 48 * 320, rowLength: 320, channels: [2, 1, 0], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5] });
 * ```
 */
import type { RgbImage } from './rgb-image.ts';

export interface PlanarLayout {
  /** Index in `out` of the item's first value (channel 0, row 0, column 0). */
  readonly offset: number;
  /** Values per row in `out` (>= the image width; the rest of each row is left as it is, e.g. 0 padding). */
  readonly rowLength: number;
  /** Which RGB channel each plane holds: [0, 1, 2] for RGB, [2, 1, 0] for BGR. */
  readonly channels: readonly [number, number, number];
  /** Per plane, subtracted after scaling bytes to 0..1. */
  readonly mean: readonly [number, number, number];
  /** Per plane, divided by after subtracting the mean. */
  readonly std: readonly [number, number, number];
}

/** Writes `image` into `out` as `layout` says; `out` must hold 3 planes of `image.height` rows of `rowLength`. */
export function writePlanar(image: RgbImage, out: Float32Array, layout: PlanarLayout): void {
  const { width, height, data } = image;
  if (layout.rowLength < width) throw new RangeError(`writePlanar: rows of ${layout.rowLength} values cannot hold an image ${width} wide`);
  const plane = height * layout.rowLength;
  if (layout.offset + 3 * plane > out.length) throw new RangeError('writePlanar: the image does not fit in the output buffer');
  for (let p = 0; p < 3; p++) {
    const channel = layout.channels[p];
    // (byte / 255 - mean) / std as one multiply-add per value.
    const scale = 1 / (255 * layout.std[p]);
    const shift = -layout.mean[p] / layout.std[p];
    const base = layout.offset + p * plane;
    for (let y = 0; y < height; y++) {
      const row = base + y * layout.rowLength;
      for (let x = 0, i = y * width * 3 + channel; x < width; x++, i += 3) out[row + x] = data[i]! * scale + shift;
    }
  }
}
