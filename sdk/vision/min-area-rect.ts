/**
 * The smallest rotated rectangle around a set of points (OpenCV's
 * `minAreaRect`): the convex hull by Andrew's monotone chain, then rotating
 * calipers, using the fact that the optimal rectangle has a side along one
 * of the hull's edges. Points are flat `[x0, y0, x1, y1, ...]` arrays, so a
 * caller can gather thousands of them without an object each.
 *
 * @example
 * ```ts
 * const rect = minAreaRect(Float64Array.of(0, 0, 4, 0, 4, 2, 0, 2, 2, 1));
 * rect.width * rect.height; // 8
 * rect.corners;             // four [x, y] corners, in order around the rectangle
 * ```
 */
import type { Point } from './perspective.ts';

export interface RotatedRect {
  /** The corners, each next to the one before (around the rectangle). */
  readonly corners: readonly [Point, Point, Point, Point];
  /** Length of the side from corners[0] to corners[1]. */
  readonly width: number;
  /** Length of the side from corners[1] to corners[2]. */
  readonly height: number;
}

const cross = (ox: number, oy: number, ax: number, ay: number, bx: number, by: number) => (ax - ox) * (by - oy) - (ay - oy) * (bx - ox);

/**
 * The convex hull of flat points: its corners in order around it, without
 * collinear points, as a flat array. Sorting is skipped when the points
 * already come in (x, y) order.
 */
export function convexHull(points: ArrayLike<number>): Float64Array {
  const count = points.length >> 1;
  let order = Array.from({ length: count }, (_, i) => i);
  const before = (i: number, j: number) => points[2 * i]! - points[2 * j]! || points[2 * i + 1]! - points[2 * j + 1]!;
  let sorted = true;
  for (let i = 1; i < count && sorted; i++) sorted = before(i - 1, i) <= 0;
  if (!sorted) order = order.sort(before);
  if (count < 3) return Float64Array.from(order.flatMap((i) => [points[2 * i]!, points[2 * i + 1]!]));
  const hull = new Int32Array(2 * count);
  let size = 0;
  const push = (i: number, floor: number) => {
    while (size >= floor && cross(points[2 * hull[size - 2]!]!, points[2 * hull[size - 2]! + 1]!, points[2 * hull[size - 1]!]!, points[2 * hull[size - 1]! + 1]!, points[2 * i]!, points[2 * i + 1]!) <= 0) size--;
    hull[size++] = i;
  };
  for (const i of order) push(i, 2);
  const lowerSize = size + 1;
  for (let k = count - 2; k >= 0; k--) push(order[k]!, lowerSize);
  size--; // the last point repeats the first
  const flat = new Float64Array(2 * size);
  for (let k = 0; k < size; k++) {
    flat[2 * k] = points[2 * hull[k]!]!;
    flat[2 * k + 1] = points[2 * hull[k]! + 1]!;
  }
  return flat;
}

/** The minimum-area rectangle around the flat `points` (at least one point). */
export function minAreaRect(points: ArrayLike<number>): RotatedRect {
  const hull = convexHull(points);
  const n = hull.length >> 1;
  if (n === 0) throw new RangeError('minAreaRect needs at least one point');
  if (n === 1) {
    const p: Point = [hull[0]!, hull[1]!];
    return { corners: [p, p, p, p], width: 0, height: 0 };
  }
  let best: { area: number; ux: number; uy: number; minU: number; maxU: number; minV: number; maxV: number } | undefined;
  for (let i = 0; i < n; i++) {
    const j = (i + 1) % n;
    const dx = hull[2 * j]! - hull[2 * i]!;
    const dy = hull[2 * j + 1]! - hull[2 * i + 1]!;
    const length = Math.hypot(dx, dy);
    if (length === 0) continue;
    const ux = dx / length;
    const uy = dy / length;
    let minU = Infinity, maxU = -Infinity, minV = Infinity, maxV = -Infinity;
    for (let k = 0; k < n; k++) {
      const x = hull[2 * k]!;
      const y = hull[2 * k + 1]!;
      const u = x * ux + y * uy;
      const v = -x * uy + y * ux;
      if (u < minU) minU = u;
      if (u > maxU) maxU = u;
      if (v < minV) minV = v;
      if (v > maxV) maxV = v;
    }
    const area = (maxU - minU) * (maxV - minV);
    if (best === undefined || area < best.area) best = { area, ux, uy, minU, maxU, minV, maxV };
  }
  const { ux, uy, minU, maxU, minV, maxV } = best!;
  // Back from (u, v) to (x, y): x = u*ux - v*uy, y = u*uy + v*ux.
  const at = (u: number, v: number): Point => [u * ux - v * uy, u * uy + v * ux];
  return {
    corners: [at(minU, minV), at(maxU, minV), at(maxU, maxV), at(minU, maxV)],
    width: maxU - minU,
    height: maxV - minV,
  };
}
