/**
 * Each text box cut out of the image as an upright line (PaddleOCR's
 * get_rotate_crop_image): the quadrilateral warped to a rectangle as long as
 * its longer pair of sides and as high as its longer pair of ends; a crop at
 * least 1.5 times taller than wide is vertical text or a box read the wrong
 * way, and is turned a quarter counter-clockwise.
 *
 * @example
 * ```ts
 * const crops = boxes.map((box) => cropTextLine(image, box.quad));
 * ```
 */
import { warpQuad, type Quad } from '../vision/perspective.ts';
import type { RgbImage } from '../vision/rgb-image.ts';
import { rotate90CounterClockwise } from '../vision/rotate.ts';

const distance = (a: readonly number[], b: readonly number[]) => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!);

/** The upright crop of `quad` (top-left, top-right, bottom-right, bottom-left) from `image`. */
export function cropTextLine(image: RgbImage, quad: Quad): RgbImage {
  const [topLeft, topRight, bottomRight, bottomLeft] = quad;
  const width = Math.max(1, Math.floor(Math.max(distance(topLeft, topRight), distance(bottomRight, bottomLeft))));
  const height = Math.max(1, Math.floor(Math.max(distance(topLeft, bottomLeft), distance(topRight, bottomRight))));
  const crop = warpQuad(image, quad, width, height);
  return height / width >= 1.5 ? rotate90CounterClockwise(crop) : crop;
}
