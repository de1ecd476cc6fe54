/**
 * The sdk's pixel and geometry helpers (nereid/sdk/vision): bilinear resize
 * with OpenCV's pixel-centre convention, perspective transforms and the
 * quad warp, quarter turns, and the minimum-area rectangle.
 */
import { describe, expect, it } from 'vitest';
import {
  applyTransform,
  convexHull,
  minAreaRect,
  perspectiveTransform,
  resizeBilinear,
  rgbImage,
  rotate180,
  rotate90CounterClockwise,
  warpQuad,
  writePlanar,
  type Quad,
  type RgbImage,
} from '../../sdk/vision/index.ts';

/** A grey image whose pixel (x, y) is `value(x, y)` in all three channels. */
function grey(width: number, height: number, value: (x: number, y: number) => number): RgbImage {
  const image = rgbImage(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) image.data.fill(value(x, y), (y * width + x) * 3, (y * width + x) * 3 + 3);
  return image;
}
const red = (image: RgbImage) => Array.from({ length: image.height }, (_, y) => Array.from({ length: image.width }, (_, x) => image.data[(y * image.width + x) * 3]!));

describe('resizeBilinear', () => {
  it("matches OpenCV's INTER_LINEAR: centres aligned, edges clamped", () => {
    const image = grey(2, 1, (x) => [0, 100][x]!);
    // Doubling: destination centres 0.5 + i map to source -0.25, 0.25, 0.75, 1.25 -> clamp, 25 %, 75 %, clamp.
    expect(red(resizeBilinear(image, 4, 1))).toEqual([[0, 25, 75, 100]]);
    // Halving a 4-pixel ramp: centres 1 and 3 -> the mean of each pair.
    expect(red(resizeBilinear(grey(4, 2, (x) => x * 10), 2, 1))).toEqual([[5, 25]]);
  });

  it('returns the image itself when the size does not change', () => {
    const image = grey(3, 3, () => 7);
    expect(resizeBilinear(image, 3, 3)).toBe(image);
  });
});

describe('perspective transforms and warpQuad', () => {
  it('maps each corner of one quad onto the other', () => {
    const from: Quad = [[0, 0], [10, 0], [10, 5], [0, 5]];
    const to: Quad = [[3, 1], [14, 3], [12, 9], [2, 7]];
    const h = perspectiveTransform(from, to);
    from.forEach((point, i) => {
      const [x, y] = applyTransform(h, ...point);
      expect(x).toBeCloseTo(to[i]![0], 9);
      expect(y).toBeCloseTo(to[i]![1], 9);
    });
  });

  it('refuses corners on one line', () => {
    expect(() => perspectiveTransform([[0, 0], [1, 0], [2, 0], [3, 0]], [[0, 0], [1, 0], [1, 1], [0, 1]])).toThrow(/degenerate/);
  });

  it('cuts an axis-aligned box out unchanged, and a turned one upright', () => {
    const image = grey(8, 6, (x, y) => x * 10 + y);
    const box = warpQuad(image, [[2, 1], [6, 1], [6, 4], [2, 4]], 4, 3);
    expect(red(box)).toEqual([[21, 31, 41, 51], [22, 32, 42, 52], [23, 33, 43, 53]]);
    // The same box read from its right side going down: the crop is the box turned a quarter.
    const turned = warpQuad(image, [[6, 1], [6, 4], [2, 4], [2, 1]], 3, 4);
    expect(red(turned)).toEqual([[61, 62, 63], [51, 52, 53], [41, 42, 43], [31, 32, 33]]);
  });

  it('repeats the edge pixels outside the image (BORDER_REPLICATE)', () => {
    const image = grey(2, 2, (x, y) => 100 * x + 10 * y);
    // Destination 0, 1, 2 samples the source at -2, 0, 2 on each axis: clamped to 0, 0, 1.
    expect(red(warpQuad(image, [[-2, -2], [4, -2], [4, 4], [-2, 4]], 3, 3))).toEqual([[0, 0, 100], [0, 0, 100], [10, 10, 110]]);
  });
});

describe('quarter and half turns', () => {
  it('turns counter-clockwise as numpy rot90, and upside down', () => {
    const image = grey(3, 2, (x, y) => 1 + x + 3 * y); // 1 2 3 / 4 5 6
    expect(red(rotate90CounterClockwise(image))).toEqual([[3, 6], [2, 5], [1, 4]]);
    expect(red(rotate180(image))).toEqual([[6, 5, 4], [3, 2, 1]]);
  });
});

describe('writePlanar', () => {
  it('writes normalised planes in the channel order asked, leaving the padding alone', () => {
    const image = rgbImage(1, 1, Uint8Array.of(255, 0, 51));
    const out = new Float32Array(3 * 2).fill(9);
    writePlanar(image, out, { offset: 0, rowLength: 2, channels: [2, 1, 0], mean: [0, 0.5, 0], std: [1, 0.5, 0.2] });
    expect(Array.from(out, (v) => Number(v.toFixed(4)))).toEqual([0.2, 9, -1, 9, 5, 9]);
  });
});

describe('convexHull and minAreaRect', () => {
  it('keeps only the hull corners', () => {
    const points = [0, 0, 2, 0, 4, 0, 4, 3, 2, 1, 0, 3, 1, 2];
    const hull = Array.from(convexHull(points));
    expect(hull.length).toBe(8);
    expect(new Set(Array.from({ length: 4 }, (_, i) => `${hull[2 * i]},${hull[2 * i + 1]}`))).toEqual(new Set(['0,0', '4,0', '4,3', '0,3']));
  });

  it('finds an axis-aligned rectangle, and a turned one with its true sides', () => {
    const axis = minAreaRect([0, 0, 4, 0, 4, 2, 0, 2, 2, 1]);
    expect(axis.width * axis.height).toBeCloseTo(8, 9);
    // A 10 x 4 rectangle turned by 30 degrees, sampled on its edges and inside.
    const angle = Math.PI / 6;
    const points: number[] = [];
    for (let u = 0; u <= 10; u += 0.5) for (const v of [0, 1.5, 4]) points.push(u * Math.cos(angle) - v * Math.sin(angle) + 20, u * Math.sin(angle) + v * Math.cos(angle) + 5);
    const rect = minAreaRect(points);
    expect([Math.max(rect.width, rect.height), Math.min(rect.width, rect.height)].map((s) => Number(s.toFixed(6)))).toEqual([10, 4]);
    const xs = rect.corners.map((p) => p[0]);
    expect(Math.min(...xs)).toBeCloseTo(20 - 4 * Math.sin(angle), 6);
  });

  it('gives a zero-area rectangle for one point or a line', () => {
    expect(minAreaRect([3, 3]).width).toBe(0);
    expect(Math.min(minAreaRect([0, 0, 1, 1, 2, 2]).width, minAreaRect([0, 0, 1, 1, 2, 2]).height)).toBeCloseTo(0, 9);
  });
});
