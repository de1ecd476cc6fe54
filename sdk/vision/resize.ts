/**
 * Bilinear resizing of an `RgbImage`, with OpenCV's `INTER_LINEAR`
 * convention (pixel centres aligned: source x = (x + 0.5) * scale - 0.5,
 * clamped at the edges), so models trained on OpenCV-resized inputs see the
 * same pixels. No anti-aliasing when shrinking, as OpenCV.
 *
 * @example
 * ```ts
 * const half = resizeBilinear(image, Math.round(image.width / 2), Math.round(image.height / 2));
 * ```
 */
import { checkImageSize, rgbImage, type RgbImage } from './rgb-image.ts';

/** For each destination index: the two source indices and the weight of the second. */
interface Taps {
  readonly low: Int32Array;
  readonly high: Int32Array;
  readonly weight: Float32Array;
}

function taps(sourceSize: number, size: number): Taps {
  const low = new Int32Array(size);
  const high = new Int32Array(size);
  const weight = new Float32Array(size);
  const scale = sourceSize / size;
  for (let i = 0; i < size; i++) {
    const at = Math.min(Math.max((i + 0.5) * scale - 0.5, 0), sourceSize - 1);
    const base = Math.floor(at);
    low[i] = base;
    high[i] = Math.min(base + 1, sourceSize - 1);
    weight[i] = at - base;
  }
  return { low, high, weight };
}

/** `image` resized to `width` x `height` (a new image; the same one when the size is unchanged). */
export function resizeBilinear(image: RgbImage, width: number, height: number): RgbImage {
  checkImageSize(width, height, 'resize target');
  if (width === image.width && height === image.height) return image;
  const out = rgbImage(width, height);
  const src = image.data;
  const dst = out.data;
  const columns = taps(image.width, width);
  const rows = taps(image.height, height);
  const rowBytes = image.width * 3;
  for (let y = 0; y < height; y++) {
    const top = rows.low[y]! * rowBytes;
    const bottom = rows.high[y]! * rowBytes;
    const wy = rows.weight[y]!;
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      const left = columns.low[x]! * 3;
      const right = columns.high[x]! * 3;
      const wx = columns.weight[x]!;
      for (let c = 0; c < 3; c++) {
        const upper = src[top + left + c]! + (src[top + right + c]! - src[top + left + c]!) * wx;
        const lower = src[bottom + left + c]! + (src[bottom + right + c]! - src[bottom + left + c]!) * wx;
        dst[o + c] = Math.round(upper + (lower - upper) * wy);
      }
    }
  }
  return out;
}
