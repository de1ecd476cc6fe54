/**
 * A PNG decoder (ISO/IEC 15948) to 8-bit RGB, in plain TypeScript over
 * fflate's inflate, so it runs inside a model isolate as well as in Node.
 *
 * Every colour type and bit depth is read: greyscale, RGB, palette, with or
 * without alpha, 1 to 16 bits (16-bit samples keep their high byte). Alpha
 * (an alpha channel, or a palette's tRNS) is composited over white, since text
 * on a transparent background is the common case and its hidden colour is
 * often black. Not read: Adam7 interlacing (refused with a message); the
 * single transparent colour of a grey or RGB image's tRNS, gamma and colour
 * profiles (ignored).
 *
 * @example
 * ```ts
 * const image = decodePng(await readFile('text.png')); // { width, height, data: RGB bytes }
 * ```
 */
import { Unzlib } from 'fflate';
import { NereidError } from '../errors.ts';
import { checkImageSize, rgbImage, type RgbImage } from './rgb-image.ts';

const PNG_SIGNATURE = Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a);

/** Samples per pixel of each colour type (PNG spec table 11.1). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, readonly number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colorType: number;
}

const fail = (what: string, reason: string) => NereidError.invalidArg(`${what}: not a valid PNG image: ${reason}`);

/** True when `bytes` start with the PNG signature. */
export function isPng(bytes: Uint8Array): boolean {
  return bytes.length >= PNG_SIGNATURE.length && PNG_SIGNATURE.every((byte, i) => bytes[i] === byte);
}

/** Decodes PNG file bytes; `what` names the source in errors (INVALID_ARG). */
export function decodePng(bytes: Uint8Array, what = 'image'): RgbImage {
  if (!isPng(bytes)) throw fail(what, 'no PNG signature');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let transparency: Uint8Array | undefined;
  const compressed: Uint8Array[] = [];
  let offset = PNG_SIGNATURE.length;
  for (;;) {
    if (offset + 12 > bytes.length) throw fail(what, 'it ends before its IEND chunk');
    const length = view.getUint32(offset);
    const type = String.fromCharCode(...bytes.subarray(offset + 4, offset + 8));
    const start = offset + 8;
    if (start + length + 4 > bytes.length) throw fail(what, `chunk ${type} runs past the end of the data`);
    const body = bytes.subarray(start, start + length);
    offset = start + length + 4; // the CRC is not checked: inflate's own checksum catches corrupt pixel data
    if (type === 'IHDR') header = readHeader(body, what);
    else if (type === 'PLTE') palette = body;
    else if (type === 'tRNS') transparency = body;
    else if (type === 'IDAT') compressed.push(body);
    else if (type === 'IEND') break;
  }
  if (header === undefined) throw fail(what, 'no IHDR chunk');
  if (compressed.length === 0) throw fail(what, 'no IDAT chunk');
  if (header.colorType === 3 && palette === undefined) throw fail(what, 'a palette image without a PLTE chunk');
  const channels = CHANNELS[header.colorType]!;
  const bitsPerPixel = channels * header.bitDepth;
  const stride = Math.ceil((header.width * bitsPerPixel) / 8);
  const raw = inflateExactly(compressed, (stride + 1) * header.height, what);
  unfilter(raw, stride, header.height, Math.max(1, bitsPerPixel >> 3), what);
  return toRgb(raw, header, stride, palette, transparency);
}

function readHeader(body: Uint8Array, what: string): Header {
  if (body.length !== 13) throw fail(what, 'its IHDR chunk is not 13 bytes');
  const view = new DataView(body.buffer, body.byteOffset, 13);
  const header = { width: view.getUint32(0), height: view.getUint32(4), bitDepth: body[8]!, colorType: body[9]! };
  checkImageSize(header.width, header.height, what);
  if (!ALLOWED_DEPTHS[header.colorType]?.includes(header.bitDepth)) {
    throw fail(what, `colour type ${header.colorType} with bit depth ${header.bitDepth}`);
  }
  if (body[12] !== 0) throw NereidError.invalidArg(`${what}: interlaced PNG images are not supported; save it without interlacing`);
  return header;
}

/** Compressed bytes fed to the inflater at a time: what a file can make it inflate in one go is bounded by this (about 1000:1). */
const INFLATE_STEP_BYTES = 16 * 1024;

/**
 * Inflates the IDAT data into exactly `expected` bytes, the size the header
 * promises. It stops as soon as the output would pass that: a small file
 * may inflate to gigabytes (a decompression bomb), and the decoder runs in
 * one synchronous stretch on the server's main thread.
 */
function inflateExactly(compressed: readonly Uint8Array[], expected: number, what: string): Uint8Array {
  const raw = new Uint8Array(expected);
  let written = 0;
  const inflater = new Unzlib((chunk) => {
    if (written + chunk.length > expected) throw fail(what, `its pixel data inflates to more than the ${expected} bytes its size needs`);
    raw.set(chunk, written);
    written += chunk.length;
  });
  const parts = compressed.filter((part) => part.length > 0);
  if (parts.length === 0) throw fail(what, 'its IDAT chunks are empty');
  try {
    parts.forEach((part, index) => {
      for (let at = 0; at < part.length; at += INFLATE_STEP_BYTES) {
        inflater.push(part.subarray(at, at + INFLATE_STEP_BYTES), index === parts.length - 1 && at + INFLATE_STEP_BYTES >= part.length);
      }
    });
  } catch (error) {
    if (error instanceof NereidError) throw error;
    throw fail(what, `its pixel data does not inflate (${(error as Error).message})`);
  }
  if (written < expected) throw fail(what, `its pixel data is ${written} bytes, ${expected} expected`);
  return raw;
}

/**
 * Undoes the per-row filters in place (PNG spec 9.2). Row `y` occupies
 * `raw[y * (stride + 1) + 1 ...]`, after its filter-type byte; `bpp` is the
 * distance to the corresponding byte of the previous pixel.
 */
function unfilter(raw: Uint8Array, stride: number, height: number, bpp: number, what: string): void {
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    const previous = row - (stride + 1); // only read when y > 0
    const filter = raw[row - 1];
    switch (filter) {
      case 0:
        break;
      case 1:
        for (let i = bpp; i < stride; i++) raw[row + i] = (raw[row + i]! + raw[row + i - bpp]!) & 0xff;
        break;
      case 2:
        if (y > 0) for (let i = 0; i < stride; i++) raw[row + i] = (raw[row + i]! + raw[previous + i]!) & 0xff;
        break;
      case 3:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? raw[row + i - bpp]! : 0;
          const up = y > 0 ? raw[previous + i]! : 0;
          raw[row + i] = (raw[row + i]! + ((left + up) >> 1)) & 0xff;
        }
        break;
      case 4:
        for (let i = 0; i < stride; i++) {
          const left = i >= bpp ? raw[row + i - bpp]! : 0;
          const up = y > 0 ? raw[previous + i]! : 0;
          const upLeft = y > 0 && i >= bpp ? raw[previous + i - bpp]! : 0;
          raw[row + i] = (raw[row + i]! + paeth(left, up, upLeft)) & 0xff;
        }
        break;
      default:
        throw fail(what, `row ${y} has an unknown filter type ${filter}`);
    }
  }
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** Alpha `a` (0-255) of colour `c` over white. */
const overWhite = (c: number, a: number) => ((c * a + 255 * (255 - a) + 127) / 255) | 0;

function toRgb(raw: Uint8Array, header: Header, stride: number, palette?: Uint8Array, transparency?: Uint8Array): RgbImage {
  const { width, height, bitDepth, colorType } = header;
  const image = rgbImage(width, height);
  const out = image.data;
  const channels = CHANNELS[colorType]!;
  const maxSample = (1 << bitDepth) - 1;
  // Sample `s` of pixel `x` in a row starting at `row`, scaled to 0-255 (16-bit: the high byte).
  const sample = (row: number, x: number, s: number): number => {
    if (bitDepth === 8) return raw[row + x * channels + s]!;
    if (bitDepth === 16) return raw[row + (x * channels + s) * 2]!;
    const bit = (x * channels + s) * bitDepth;
    const value = (raw[row + (bit >> 3)]! >> (8 - bitDepth - (bit & 7))) & maxSample;
    return colorType === 3 ? value : Math.round((value * 255) / maxSample);
  };
  for (let y = 0; y < height; y++) {
    const row = y * (stride + 1) + 1;
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      let r: number, g: number, b: number;
      let a = 255;
      if (colorType === 3) {
        const index = sample(row, x, 0);
        r = palette![index * 3] ?? 0;
        g = palette![index * 3 + 1] ?? 0;
        b = palette![index * 3 + 2] ?? 0;
        if (transparency !== undefined && index < transparency.length) a = transparency[index]!;
      } else if (colorType === 0 || colorType === 4) {
        r = g = b = sample(row, x, 0);
        if (colorType === 4) a = sample(row, x, 1);
      } else {
        r = sample(row, x, 0);
        g = sample(row, x, 1);
        b = sample(row, x, 2);
        if (colorType === 6) a = sample(row, x, 3);
      }
      if (a !== 255) {
        r = overWhite(r, a);
        g = overWhite(g, a);
        b = overWhite(b, a);
      }
      out[o] = r;
      out[o + 1] = g;
      out[o + 2] = b;
    }
  }
  return image;
}
