/**
 * Quarter and half turns of an `RgbImage` (new images; pixels copied, never resampled).
 *
 * @example
 * ```ts
 * const upright = rotate90CounterClockwise(tallCrop); // as numpy's rot90(image)
 * ```
 */
import { rgbImage, type RgbImage } from './rgb-image.ts';

/** Turned a quarter counter-clockwise: the source's right column becomes the top row (numpy `rot90`). */
export function rotate90CounterClockwise(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = rgbImage(height, width);
  for (let y = 0; y < width; y++) {
    const sourceX = width - 1 - y;
    for (let x = 0; x < height; x++) {
      const from = (x * width + sourceX) * 3;
      const to = (y * height + x) * 3;
      out.data[to] = data[from]!;
      out.data[to + 1] = data[from + 1]!;
      out.data[to + 2] = data[from + 2]!;
    }
  }
  return out;
}

/** Turned upside down. */
export function rotate180(image: RgbImage): RgbImage {
  const { width, height, data } = image;
  const out = rgbImage(width, height);
  const pixels = width * height;
  for (let i = 0; i < pixels; i++) {
    const from = (pixels - 1 - i) * 3;
    out.data[i * 3] = data[from]!;
    out.data[i * 3 + 1] = data[from + 1]!;
    out.data[i * 3 + 2] = data[from + 2]!;
  }
  return out;
}
