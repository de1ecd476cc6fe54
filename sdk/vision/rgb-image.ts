/**
 * The one in-memory image type of the vision helpers: 8-bit RGB, rows top to
 * bottom, three bytes per pixel with no padding. Decoders produce it,
 * resize/warp/rotate take and return it, and a UINT8 `[height, width, 3]`
 * tensor is exactly its bytes, so a tensor and an image convert without a copy.
 *
 * @example
 * ```ts
 * const image = rgbImage(2, 1, Uint8Array.of(255, 0, 0, 0, 0, 255)); // a red and a blue pixel
 * image.data[3 * (0 * image.width + 1) + 2];                           // 255: blue channel of (x 1, y 0)
 * ```
 */
import { NereidError } from '../errors.ts';

export interface RgbImage {
  readonly width: number;
  readonly height: number;
  /** `width * height * 3` bytes: R, G, B of each pixel, row by row. */
  readonly data: Uint8Array;
}

/**
 * The most pixels a decoder or warp will allocate: a bound on what one
 * request can make the server allocate (a 16-byte PNG header can claim
 * 2^31 x 2^31 pixels). 16 megapixels is a 48 MB RGB buffer, and the JPEG
 * decoder's working set for it stays near 200 MB: within the OCR models'
 * 512 MB isolates, so a large legal photo fails its request with a message
 * rather than the instance with an out-of-memory.
 */
export const MAX_IMAGE_PIXELS = 16_000_000;

/** Checks `width` x `height` against `MAX_IMAGE_PIXELS`; `what` names the image in the message. */
export function checkImageSize(width: number, height: number, what: string): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw NereidError.invalidArg(`${what}: an image needs at least one pixel, got ${width} x ${height}`);
  }
  if (width * height > MAX_IMAGE_PIXELS) {
    throw NereidError.invalidArg(`${what}: ${width} x ${height} pixels is more than the ${MAX_IMAGE_PIXELS} allowed`);
  }
}

/** An RGB image over `data` (no copy), or a new black one; checks that the sizes agree. */
export function rgbImage(width: number, height: number, data?: Uint8Array): RgbImage {
  const size = width * height * 3;
  if (data === undefined) return { width, height, data: new Uint8Array(size) };
  if (data.length !== size) {
    throw NereidError.invalidArg(`an RGB image of ${width} x ${height} needs ${size} bytes, got ${data.length}`);
  }
  return { width, height, data };
}
