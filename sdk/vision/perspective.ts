/**
 * Perspective transforms (homographies) between quadrilaterals, and the warp
 * that cuts a quadrilateral out of an image as an upright rectangle: how a
 * text box found at any angle becomes a straight line of text.
 *
 * Point convention as OpenCV's `warpPerspective`: integer coordinates are
 * pixel centres; the destination pixel (x, y) takes the source at
 * H(x, y), sampled bilinearly, with edge pixels repeated outside the image
 * (`BORDER_REPLICATE`).
 *
 * @example
 * ```ts
 * const quad: Quad = [[10, 5], [110, 15], [108, 45], [8, 35]]; // top-left, top-right, bottom-right, bottom-left
 * const line = warpQuad(image, quad, 100, 30);                  // a 100 x 30 upright crop
 * ```
 */
import { NereidError } from '../errors.ts';
import { checkImageSize, rgbImage, type RgbImage } from './rgb-image.ts';

export type Point = readonly [x: number, y: number];
/** Four corners, clockwise from the top left: top-left, top-right, bottom-right, bottom-left. */
export type Quad = readonly [Point, Point, Point, Point];

/**
 * The 3x3 matrix H (row-major, H[8] = 1) with H(from[i]) = to[i] for the
 * four corners: the 8x8 linear system of the four correspondences, solved by
 * Gaussian elimination with partial pivoting. Throws INVALID_ARG when three
 * corners are collinear (no such transform).
 */
export function perspectiveTransform(from: Quad, to: Quad): Float64Array {
  const a = Array.from({ length: 8 }, () => new Float64Array(9)); // augmented rows [8 coefficients | rhs]
  for (let i = 0; i < 4; i++) {
    const [x, y] = from[i]!;
    const [u, v] = to[i]!;
    a[2 * i]!.set([x, y, 1, 0, 0, 0, -x * u, -y * u, u]);
    a[2 * i + 1]!.set([0, 0, 0, x, y, 1, -x * v, -y * v, v]);
  }
  for (let column = 0; column < 8; column++) {
    let pivot = column;
    for (let row = column + 1; row < 8; row++) if (Math.abs(a[row]![column]!) > Math.abs(a[pivot]![column]!)) pivot = row;
    if (Math.abs(a[pivot]![column]!) < 1e-12) throw NereidError.invalidArg('no perspective transform between these quadrilaterals (degenerate corners)');
    [a[column], a[pivot]] = [a[pivot]!, a[column]!];
    const lead = a[column]!;
    for (let row = 0; row < 8; row++) {
      if (row === column) continue;
      const factor = a[row]![column]! / lead[column]!;
      if (factor === 0) continue;
      for (let k = column; k < 9; k++) a[row]![k]! -= factor * lead[k]!;
    }
  }
  const h = new Float64Array(9);
  for (let i = 0; i < 8; i++) h[i] = a[i]![8]! / a[i]![i]!;
  h[8] = 1;
  return h;
}

/** H applied to (x, y). */
export function applyTransform(h: Float64Array, x: number, y: number): [number, number] {
  const w = h[6]! * x + h[7]! * y + h[8]!;
  return [(h[0]! * x + h[1]! * y + h[2]!) / w, (h[3]! * x + h[4]! * y + h[5]!) / w];
}

/** The quadrilateral `quad` of `image`, warped to an upright `width` x `height` image. */
export function warpQuad(image: RgbImage, quad: Quad, width: number, height: number): RgbImage {
  checkImageSize(width, height, 'warp target');
  // Maps each destination pixel to its source point: the inverse of OpenCV's M, built directly.
  const target: Quad = [[0, 0], [width, 0], [width, height], [0, height]];
  const h = perspectiveTransform(target, quad);
  const out = rgbImage(width, height);
  const src = image.data;
  const maxX = image.width - 1;
  const maxY = image.height - 1;
  const rowBytes = image.width * 3;
  for (let y = 0; y < height; y++) {
    for (let x = 0, o = y * width * 3; x < width; x++, o += 3) {
      const w = h[6]! * x + h[7]! * y + h[8]!;
      const sx = Math.min(Math.max((h[0]! * x + h[1]! * y + h[2]!) / w, 0), maxX);
      const sy = Math.min(Math.max((h[3]! * x + h[4]! * y + h[5]!) / w, 0), maxY);
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      const x1 = Math.min(x0 + 1, maxX);
      const y1 = Math.min(y0 + 1, maxY);
      const fx = sx - x0;
      const fy = sy - y0;
      const p00 = y0 * rowBytes + x0 * 3;
      const p01 = y0 * rowBytes + x1 * 3;
      const p10 = y1 * rowBytes + x0 * 3;
      const p11 = y1 * rowBytes + x1 * 3;
      for (let c = 0; c < 3; c++) {
        const upper = src[p00 + c]! + (src[p01 + c]! - src[p00 + c]!) * fx;
        const lower = src[p10 + c]! + (src[p11 + c]! - src[p10 + c]!) * fx;
        out.data[o + c] = Math.round(upper + (lower - upper) * fy);
      }
    }
  }
  return out;
}
