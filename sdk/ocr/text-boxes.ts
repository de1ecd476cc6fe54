/**
 * Text boxes from the detector's probability map: PaddleOCR's DB
 * post-process (DBPostProcess.boxes_from_bitmap, score mode 'fast'), written
 * over typed arrays.
 *
 * 1. binarize the map at `binarizeThreshold`;
 * 2. find each 8-connected region (a flood fill; for each row of a region
 *    only its leftmost and rightmost pixel matter to the convex hull, so
 *    that is all that is kept);
 * 3. its minimum-area rotated rectangle; drop it when thinner than `minBoxSide`;
 * 4. its score, the mean probability inside the rectangle; drop it below `boxThreshold`;
 * 5. "unclip": the detector marks a shrunk text kernel, so grow the rectangle
 *    by area * unclipRatio / perimeter on every side (PaddleOCR offsets the
 *    polygon with pyclipper and takes the min-area rectangle again; for a
 *    rectangle that is exactly this growth);
 * 6. scale to the original image and order the corners top-left, top-right,
 *    bottom-right, bottom-left.
 *
 * The boxes come back in reading order (top to bottom, left to right within a line).
 *
 * @example
 * ```ts
 * const boxes = findTextBoxes(probabilities, { width: 416, height: 128 }, { width: 420, height: 130 }, DEFAULT_OCR_SETTINGS);
 * boxes[0]; // { quad: [[19, 22], [214, 22], [214, 58], [19, 58]], score: 0.93 }
 * ```
 */
import { minAreaRect, type RotatedRect } from '../vision/min-area-rect.ts';
import type { Point, Quad } from '../vision/perspective.ts';
import type { OcrSettings } from './ocr-settings.ts';

export interface TextBox {
  /** Corners in image pixels: top-left, top-right, bottom-right, bottom-left. */
  readonly quad: Quad;
  /** Mean detection probability inside the box (before it was grown). */
  readonly score: number;
}

export interface Size {
  readonly width: number;
  readonly height: number;
}

type BoxSettings = Pick<OcrSettings, 'binarizeThreshold' | 'boxThreshold' | 'unclipRatio' | 'minBoxSide' | 'maxCandidates'>;

/** Boxes from a `[mapSize.height, mapSize.width]` probability map, in the coordinates of an image of `imageSize`. */
export function findTextBoxes(map: Float32Array, mapSize: Size, imageSize: Size, settings: BoxSettings): TextBox[] {
  const { width, height } = mapSize;
  if (map.length !== width * height) throw new RangeError(`findTextBoxes: a ${width} x ${height} map needs ${width * height} values, got ${map.length}`);
  const boxes: TextBox[] = [];
  for (const region of textRegions(map, mapSize, settings.binarizeThreshold, settings.maxCandidates)) {
    const rect = minAreaRect(region);
    if (Math.min(rect.width, rect.height) < settings.minBoxSide) continue;
    const score = meanInside(map, mapSize, orderCorners(rect.corners));
    if (score < settings.boxThreshold) continue;
    const grown = grow(rect, (rect.width * rect.height * settings.unclipRatio) / (2 * (rect.width + rect.height)));
    if (Math.min(grown.width, grown.height) < settings.minBoxSide + 2) continue;
    const sx = imageSize.width / width;
    const sy = imageSize.height / height;
    const scaled = grown.corners.map(([x, y]): Point => [clamp(Math.round(x * sx), 0, imageSize.width), clamp(Math.round(y * sy), 0, imageSize.height)]);
    boxes.push({ quad: orderCorners(scaled), score });
  }
  return readingOrder(boxes);
}

const clamp = (value: number, low: number, high: number) => Math.min(Math.max(value, low), high);

/**
 * The 8-connected regions of `map > threshold`, each as flat hull candidate
 * points (the two ends of each of its rows), row by row. At most `max` regions.
 */
export function textRegions(map: Float32Array, size: Size, threshold: number, max: number): Float64Array[] {
  const { width, height } = size;
  // 0: background or done, 1: text not yet visited.
  const pending = new Uint8Array(map.length);
  for (let i = 0; i < map.length; i++) pending[i] = map[i]! > threshold ? 1 : 0;
  const stack = new Int32Array(map.length);
  const rowMin = new Int32Array(height).fill(width);
  const rowMax = new Int32Array(height).fill(-1);
  const regions: Float64Array[] = [];
  for (let start = 0; start < map.length && regions.length < max; start++) {
    if (pending[start] === 0) continue;
    pending[start] = 0;
    let top = 0;
    stack[top++] = start;
    let minY = height;
    let maxY = -1;
    while (top > 0) {
      const at = stack[--top]!;
      const y = (at / width) | 0;
      const x = at - y * width;
      if (x < rowMin[y]!) rowMin[y] = x;
      if (x > rowMax[y]!) rowMax[y] = x;
      if (y < minY) minY = y;
      if (y > maxY) maxY = y;
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const next = ny * width + nx;
          if (pending[next] === 1) {
            pending[next] = 0;
            stack[top++] = next;
          }
        }
      }
    }
    const points: number[] = [];
    for (let y = minY; y <= maxY; y++) {
      if (rowMax[y]! < 0) continue;
      points.push(rowMin[y]!, y);
      if (rowMax[y] !== rowMin[y]) points.push(rowMax[y]!, y);
      rowMin[y] = width;
      rowMax[y] = -1;
    }
    regions.push(Float64Array.from(points));
  }
  return regions;
}

/**
 * Corners as top-left, top-right, bottom-right, bottom-left (PaddleOCR's
 * get_mini_boxes): the two leftmost are the left side, the upper of them the top.
 */
export function orderCorners(corners: readonly Point[]): Quad {
  if (corners.length !== 4) throw new RangeError(`orderCorners: a box has 4 corners, got ${corners.length}`);
  const [a, b, c, d] = [...corners].sort((p, q) => p[0] - q[0]);
  const [topLeft, bottomLeft] = b![1] > a![1] ? [a!, b!] : [b!, a!];
  const [topRight, bottomRight] = d![1] > c![1] ? [c!, d!] : [d!, c!];
  return [topLeft, topRight, bottomRight, bottomLeft];
}

/** The mean of `map` over the pixels whose centres lie inside the convex `quad` (edges included). */
export function meanInside(map: Float32Array, size: Size, quad: Quad): number {
  const xs = quad.map((p) => p[0]);
  const ys = quad.map((p) => p[1]);
  const x0 = clamp(Math.floor(Math.min(...xs)), 0, size.width - 1);
  const x1 = clamp(Math.ceil(Math.max(...xs)), 0, size.width - 1);
  const y0 = clamp(Math.floor(Math.min(...ys)), 0, size.height - 1);
  const y1 = clamp(Math.ceil(Math.max(...ys)), 0, size.height - 1);
  // Edge k runs from quad[k] to quad[k + 1]; a point is inside when it is on the same side of all four.
  const orientation = Math.sign(signedArea(quad)) || 1;
  let sum = 0;
  let count = 0;
  for (let y = y0; y <= y1; y++) {
    for (let x = x0; x <= x1; x++) {
      let inside = true;
      for (let k = 0; k < 4 && inside; k++) {
        const [ax, ay] = quad[k]!;
        const [bx, by] = quad[(k + 1) % 4]!;
        inside = orientation * ((bx - ax) * (y - ay) - (by - ay) * (x - ax)) >= -1e-6;
      }
      if (inside) {
        sum += map[y * size.width + x]!;
        count++;
      }
    }
  }
  return count === 0 ? 0 : sum / count;
}

function signedArea(quad: Quad): number {
  let area = 0;
  for (let k = 0; k < 4; k++) {
    const [ax, ay] = quad[k]!;
    const [bx, by] = quad[(k + 1) % 4]!;
    area += ax * by - bx * ay;
  }
  return area / 2;
}

/** `rect` grown by `distance` on every side, around the same centre and at the same angle. */
function grow(rect: RotatedRect, distance: number): RotatedRect {
  const [p0, p1, , p3] = rect.corners;
  const cx = (rect.corners[0][0] + rect.corners[2][0]) / 2;
  const cy = (rect.corners[0][1] + rect.corners[2][1]) / 2;
  const ux = (p1[0] - p0[0]) / rect.width;
  const uy = (p1[1] - p0[1]) / rect.width;
  const vx = (p3[0] - p0[0]) / rect.height;
  const vy = (p3[1] - p0[1]) / rect.height;
  const hw = rect.width / 2 + distance;
  const hh = rect.height / 2 + distance;
  const at = (su: number, sv: number): Point => [cx + su * hw * ux + sv * hh * vx, cy + su * hw * uy + sv * hh * vy];
  return { corners: [at(-1, -1), at(1, -1), at(1, 1), at(-1, 1)], width: 2 * hw, height: 2 * hh };
}

/**
 * Reading order (PaddleOCR's sorted_boxes): by top-left corner, top to
 * bottom; then boxes whose tops are within 10 pixels count as one line, left to right.
 */
export function readingOrder<T extends { readonly quad: Quad }>(boxes: readonly T[]): T[] {
  const sorted = [...boxes].sort((a, b) => a.quad[0][1] - b.quad[0][1] || a.quad[0][0] - b.quad[0][0]);
  for (let i = 0; i < sorted.length - 1; i++) {
    for (let j = i; j >= 0; j--) {
      const [current, next] = [sorted[j]!, sorted[j + 1]!];
      if (Math.abs(next.quad[0][1] - current.quad[0][1]) < 10 && next.quad[0][0] < current.quad[0][0]) {
        sorted[j] = next;
        sorted[j + 1] = current;
      } else {
        break;
      }
    }
  }
  return sorted;
}
