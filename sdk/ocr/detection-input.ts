/**
 * An image to the detector's input (PaddleOCR's DetResizeForTest with limit
 * type 'max', then NormalizeImage and ToCHWImage): shrunk so its longer side
 * is at most `detectionMaxSide`, each side rounded to a multiple of 32 (the
 * network downsamples by 32), normalised into `[1, 3, H, W]`.
 *
 * @example
 * ```ts
 * const input = detectionInput(image, DEFAULT_OCR_SETTINGS); // input.shape: [1, 3, 128, 416] for a 420 x 130 image
 * ```
 */
import { Tensor } from '../tensor.ts';
import { writePlanar } from '../vision/planar.ts';
import { resizeBilinear } from '../vision/resize.ts';
import type { RgbImage } from '../vision/rgb-image.ts';
import type { OcrSettings } from './ocr-settings.ts';
import { DETECTION_NORMALISATION, PPOCR_TENSORS } from './ppocr-tensors.ts';

/** The detector input size for an image of `width` x `height`. */
export function detectionSize(width: number, height: number, maxSide: number): { width: number; height: number } {
  const ratio = Math.max(width, height) > maxSide ? maxSide / Math.max(width, height) : 1;
  const toMultipleOf32 = (side: number) => Math.max(Math.round((side * ratio) / 32) * 32, 32);
  return { width: toMultipleOf32(width), height: toMultipleOf32(height) };
}

/** The detector's input tensor for `image`. */
export function detectionInput(image: RgbImage, settings: Pick<OcrSettings, 'detectionMaxSide'>): Tensor<'FP32'> {
  const size = detectionSize(image.width, image.height, settings.detectionMaxSide);
  const resized = resizeBilinear(image, size.width, size.height);
  const data = new Float32Array(3 * size.width * size.height);
  writePlanar(resized, data, { ...DETECTION_NORMALISATION, offset: 0, rowLength: size.width });
  return new Tensor(PPOCR_TENSORS.detection.input, 'FP32', [1, 3, size.height, size.width], data);
}
