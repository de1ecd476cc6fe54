/**
 * JPEG to 8-bit RGB with jpeg-js (pure JavaScript: baseline and progressive,
 * greyscale, YCbCr and Adobe CMYK), so it runs inside a model isolate as well
 * as in Node. Its errors become INVALID_ARG naming the source; its own
 * resolution and memory guards are set from `MAX_IMAGE_PIXELS`, so a small
 * file that claims a huge frame is refused before anything is allocated.
 *
 * @example
 * ```ts
 * const image = decodeJpeg(await readFile('photo.jpg')); // { width, height, data: RGB bytes }
 * ```
 */
import { decode } from 'jpeg-js';
import { NereidError } from '../errors.ts';
import { checkImageSize, MAX_IMAGE_PIXELS, rgbImage, type RgbImage } from './rgb-image.ts';

/** True when `bytes` start with a JPEG start-of-image marker. */
export function isJpeg(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff;
}

/** Decodes JPEG file bytes; `what` names the source in errors (INVALID_ARG). */
export function decodeJpeg(bytes: Uint8Array, what = 'image'): RgbImage {
  let decoded: { width: number; height: number; data: Uint8Array };
  try {
    decoded = decode(bytes, {
      // Typed arrays, not Buffer: an isolate has no Buffer.
      useTArray: true,
      formatAsRGBA: false,
      maxResolutionInMP: MAX_IMAGE_PIXELS / 1e6,
      // Its working set: the RGB output plus component planes and coefficients, a few times the output.
      maxMemoryUsageInMB: Math.ceil((MAX_IMAGE_PIXELS * 3 * 4) / 2 ** 20),
    });
  } catch (error) {
    throw NereidError.invalidArg(`${what}: not a valid JPEG image: ${(error as Error).message}`);
  }
  checkImageSize(decoded.width, decoded.height, what);
  return rgbImage(decoded.width, decoded.height, decoded.data);
}
