/**
 * The sdk's image decoders (nereid/sdk/vision) against known pixels: small
 * images rendered once with ImageMagick (fixtures/, see fixtures/README.md)
 * and PNGs written by the test itself (support/png-writer.ts), which choose
 * each row's filter so that all five are decoded on purpose.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { NereidError } from '../../sdk/errors.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { decodeImage, decodePng, imageFromTensor, imageToTensor, MAX_IMAGE_PIXELS, type RgbImage } from '../../sdk/vision/index.ts';
import { writePng } from './support/png-writer.ts';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`./fixtures/${name}`, import.meta.url)));
const pixel = (image: RgbImage, x: number, y: number) => Array.from(image.data.subarray((y * image.width + x) * 3, (y * image.width + x) * 3 + 3));
const rows = (image: RgbImage) => Array.from({ length: image.height }, (_, y) => Array.from({ length: image.width }, (_, x) => pixel(image, x, y)));

/** fixtures/colors-*.png: red, lime, blue, white over black, grey 128, yellow, cyan. */
const COLORS = [
  [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]],
  [[0, 0, 0], [128, 128, 128], [255, 255, 0], [0, 255, 255]],
];

function invalid(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(NereidError);
    expect((error as NereidError).code).toBe('INVALID_ARG');
    return (error as Error).message;
  }
  throw new Error('expected INVALID_ARG');
}

describe('PNG', () => {
  it('decodes 8-bit RGB and palette images (8 and 4 bits per index) to the same pixels', () => {
    for (const name of ['colors-rgb.png', 'colors-palette.png', 'colors-palette4.png']) {
      const image = decodeImage(fixture(name));
      expect({ name, width: image.width, height: image.height, rows: rows(image) }).toEqual({ name, width: 4, height: 2, rows: COLORS });
    }
  });

  it('decodes 16-bit and 1-bit greyscale, keeping the high byte / scaling to 0-255', () => {
    // ImageMagick's grey of each colour (Rec. 709 luma), the high byte of each 16-bit sample; its own 8-bit
    // rendering (`convert colors-gray16.png -depth 8 gray:-`) rounds instead and reads 182, 236 and 200 for three of them.
    expect(rows(decodePng(fixture('colors-gray16.png'))).flat().map((rgb) => rgb[0])).toEqual([54, 183, 18, 255, 0, 128, 237, 201]);
    expect(rows(decodePng(fixture('gray1.png')))[0]!.map((rgb) => rgb[0])).toEqual([0, 255, 255, 0, 0, 0, 255, 0, 255]);
  });

  it('composites alpha over white (a transparent pixel reads white, half-transparent black reads grey)', () => {
    expect(rows(decodePng(fixture('colors-rgba.png')))).toEqual([[[255, 0, 0], [255, 255, 255], [128, 128, 128], [255, 255, 255]]]);
  });

  it('undoes all five row filters, over several IDAT chunks, for RGB, grey+alpha and palette transparency', () => {
    const width = 7;
    const height = 10;
    const rgb = Array.from({ length: height }, (_, y) => Uint8Array.from({ length: width * 3 }, (_, i) => (y * 37 + i * 11 + ((i * y) % 7)) & 0xff));
    const decoded = decodePng(writePng({ width, height, colorType: 2, bitDepth: 8, rows: rgb }));
    expect(Array.from(decoded.data)).toEqual(rgb.flatMap((row) => Array.from(row)));

    const greyAlpha = [Uint8Array.of(10, 255, 20, 0, 200, 128)];
    expect(rows(decodePng(writePng({ width: 3, height: 1, colorType: 4, bitDepth: 8, rows: greyAlpha, filterOf: () => 1 })))).toEqual([
      [[10, 10, 10], [255, 255, 255], [227, 227, 227]],
    ]);

    const palette = Uint8Array.of(0, 0, 0, 255, 0, 0);
    const indexRow = [Uint8Array.of(0b0001_0000)]; // 2-bit indices: 0, 1, 0, 0
    const image = decodePng(writePng({ width: 4, height: 1, colorType: 3, bitDepth: 2, rows: indexRow, palette, transparency: Uint8Array.of(255, 0) }));
    expect(rows(image)).toEqual([[[0, 0, 0], [255, 255, 255], [0, 0, 0], [0, 0, 0]]]);
  });

  it('refuses interlaced, truncated and corrupt files with a message naming the source', () => {
    expect(invalid(() => decodePng(fixture('colors-interlaced.png'), "input 'image'"))).toBe(
      "input 'image': interlaced PNG images are not supported; save it without interlacing",
    );
    const file = fixture('colors-rgb.png');
    expect(invalid(() => decodePng(file.subarray(0, 40), "input 'image'"))).toMatch(/^input 'image': not a valid PNG image: /);
    const corrupt = file.slice();
    corrupt.fill(0x55, 45, 60);
    expect(invalid(() => decodePng(corrupt))).toMatch(/^image: not a valid PNG image: /);
  });

  it('refuses a header that claims more pixels than MAX_IMAGE_PIXELS before allocating them', () => {
    const huge = writePng({ width: 1, height: 1, colorType: 0, bitDepth: 8, rows: [Uint8Array.of(0)] });
    new DataView(huge.buffer).setUint32(16, 100_000); // IHDR width
    new DataView(huge.buffer).setUint32(20, 100_000); // IHDR height
    expect(invalid(() => decodePng(huge))).toBe(`image: 100000 x 100000 pixels is more than the ${MAX_IMAGE_PIXELS} allowed`);
  });

  it('stops inflating as soon as the pixel data passes what the header promises (a decompression bomb)', () => {
    // 8 MB of zeros compress to a few KB; the header then claims a single pixel.
    const bomb = writePng({ width: 8_000_000, height: 1, colorType: 0, bitDepth: 8, rows: [new Uint8Array(8_000_000)], filterOf: () => 0 });
    new DataView(bomb.buffer).setUint32(16, 1); // IHDR width
    expect(bomb.length).toBeLessThan(64 * 1024);
    expect(invalid(() => decodePng(bomb))).toBe('image: not a valid PNG image: its pixel data inflates to more than the 2 bytes its size needs');
  });
});

describe('JPEG', () => {
  it('decodes baseline and progressive files close to their colours (JPEG is lossy)', () => {
    for (const name of ['blocks.jpg', 'blocks-progressive.jpg']) {
      const image = decodeImage(fixture(name));
      expect([image.width, image.height]).toEqual([16, 16]);
      // The centre of each 8x8 quadrant: red, lime / blue, white.
      const centres = [pixel(image, 3, 3), pixel(image, 12, 3), pixel(image, 3, 12), pixel(image, 12, 12)];
      [[255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]].forEach((want, i) => want.forEach((value, c) => expect(Math.abs(centres[i]![c]! - value), `${name} quadrant ${i}`).toBeLessThanOrEqual(12)));
    }
  });

  it('refuses a truncated file with a message naming the source', () => {
    expect(invalid(() => decodeImage(fixture('blocks.jpg').subarray(0, 100), "input 'image'"))).toMatch(/^input 'image': not a valid JPEG image: /);
  });
});

describe('decodeImage and image tensors', () => {
  it('tells PNG from JPEG by signature and refuses anything else, empty bytes included', () => {
    expect(invalid(() => decodeImage(new TextEncoder().encode('GIF89a....'), "input 'image'"))).toBe(
      "input 'image' is not a PNG or JPEG image (its 10 bytes start with 47 49 46 38 39 61 2e 2e)",
    );
    expect(invalid(() => decodeImage(new Uint8Array(0), "input 'image'"))).toBe("input 'image' is empty: expected the bytes of a PNG or JPEG file");
  });

  it('reads BYTES [1] as a file and UINT8 [h, w, 3] as pixels (no copy), and says what is wrong with anything else', () => {
    const file = fixture('colors-rgb.png');
    expect(rows(imageFromTensor(new Tensor('image', 'BYTES', [1], [file])))).toEqual(COLORS);
    const pixels = imageToTensor('pixels', decodeImage(file));
    expect(pixels.shape).toEqual([2, 4, 3]);
    expect(imageFromTensor(pixels).data).toBe(pixels.data);
    expect(invalid(() => imageFromTensor(new Tensor('image', 'BYTES', [2], [file, file])))).toBe("input 'image' must hold one encoded image, got 2 elements");
    expect(invalid(() => imageFromTensor(new Tensor('pixels', 'UINT8', [2, 2], new Uint8Array(4))))).toBe(
      "input 'pixels' must be RGB pixels shaped [height, width, 3], got [2, 2]",
    );
    expect(invalid(() => imageFromTensor(new Tensor('pixels', 'UINT8', [0, 5, 3], new Uint8Array(0))))).toBe(
      "input 'pixels': an image needs at least one pixel, got 5 x 0",
    );
    expect(invalid(() => imageFromTensor(new Tensor('image', 'FP32', [1], new Float32Array(1))))).toBe(
      "input 'image' is FP32; an image is BYTES (an encoded PNG or JPEG) or UINT8 [height, width, 3]",
    );
  });
});
