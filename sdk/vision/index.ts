/**
 * `nereid/sdk/vision`: image helpers for models and clients alike, in plain
 * TypeScript (no Node APIs), so a `model.ts` can decode and prepare images
 * inside its isolate and a benchmark or test can do exactly the same in Node.
 *
 * @example
 * ```ts
 * import { decodeImage, resizeBilinear } from 'nereid/sdk/vision/index.ts';
 * const image = decodeImage(bytes, "input 'image'");
 * const small = resizeBilinear(image, 320, 240);
 * ```
 */
export { decodeImage } from './decode-image.ts';
export { imageFromTensor, imageToTensor } from './image-tensor.ts';
export { decodeJpeg, isJpeg } from './jpeg-decode.ts';
export { decodePng, isPng } from './png-decode.ts';
export { checkImageSize, MAX_IMAGE_PIXELS, rgbImage, type RgbImage } from './rgb-image.ts';
export { resizeBilinear } from './resize.ts';
export { rotate180, rotate90CounterClockwise } from './rotate.ts';
export { applyTransform, perspectiveTransform, warpQuad, type Point, type Quad } from './perspective.ts';
export { convexHull, minAreaRect, type RotatedRect } from './min-area-rect.ts';
export { writePlanar, type PlanarLayout } from './planar.ts';
