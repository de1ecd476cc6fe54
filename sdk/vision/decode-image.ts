/**
 * Encoded image bytes (PNG or JPEG, told apart by their signature, not by a
 * name or a MIME type a client may get wrong) to an `RgbImage`.
 *
 * @example
 * ```ts
 * const image = decodeImage(request.requireInput('image').data[0], "input 'image'");
 * ```
 */
import { NereidError } from '../errors.ts';
import { decodeJpeg, isJpeg } from './jpeg-decode.ts';
import { decodePng, isPng } from './png-decode.ts';
import type { RgbImage } from './rgb-image.ts';

/** Decodes PNG or JPEG bytes; anything else is INVALID_ARG naming `what` and what the bytes start with. */
export function decodeImage(bytes: Uint8Array, what = 'image'): RgbImage {
  if (bytes.length === 0) throw NereidError.invalidArg(`${what} is empty: expected the bytes of a PNG or JPEG file`);
  if (isPng(bytes)) return decodePng(bytes, what);
  if (isJpeg(bytes)) return decodeJpeg(bytes, what);
  const start = Array.from(bytes.subarray(0, 8), (byte) => byte.toString(16).padStart(2, '0')).join(' ');
  throw NereidError.invalidArg(`${what} is not a PNG or JPEG image (its ${bytes.length} bytes start with ${start})`);
}
