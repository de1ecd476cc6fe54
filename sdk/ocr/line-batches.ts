/**
 * Text-line crops to the batched inputs of the orientation classifier and
 * the recogniser (PaddleOCR's resize_norm_img): each crop scaled to the
 * model's height keeping its aspect ratio (no wider than the batch),
 * normalised to [-1, 1] in BGR order, left-aligned and zero-padded to the
 * batch width. The recogniser's batch is as wide as its widest crop (at
 * least `recognitionMinWidth`); the classifier's is fixed.
 *
 * @example
 * ```ts
 * for (const indices of batchesByAspectRatio(crops, 6)) {
 *   const input = recognitionBatch(indices.map((i) => crops[i]), DEFAULT_OCR_SETTINGS); // FP32 [n, 3, 48, W]
 * }
 * ```
 */
import { Tensor } from '../tensor.ts';
import { writePlanar } from '../vision/planar.ts';
import { resizeBilinear } from '../vision/resize.ts';
import type { RgbImage } from '../vision/rgb-image.ts';
import type { OcrSettings } from './ocr-settings.ts';
import { LINE_NORMALISATION, PPOCR_TENSORS } from './ppocr-tensors.ts';

/**
 * Indices of `crops` in groups of at most `size`, narrowest aspect ratio
 * first: crops of similar width share a batch, so little of it is padding.
 */
export function batchesByAspectRatio(crops: readonly RgbImage[], size: number): number[][] {
  const order = crops.map((_, i) => i).sort((a, b) => crops[a]!.width / crops[a]!.height - crops[b]!.width / crops[b]!.height);
  const batches: number[][] = [];
  for (let first = 0; first < order.length; first += size) batches.push(order.slice(first, first + size));
  return batches;
}

/** `crops` as one `[n, 3, height, width]` batch, each scaled to `height` and at most `width` wide. */
function lineBatch(name: string, crops: readonly RgbImage[], height: number, width: number): Tensor<'FP32'> {
  const item = 3 * height * width;
  const data = new Float32Array(crops.length * item);
  crops.forEach((crop, index) => {
    const scaledWidth = Math.min(width, Math.ceil((height * crop.width) / crop.height));
    writePlanar(resizeBilinear(crop, scaledWidth, height), data, { ...LINE_NORMALISATION, offset: index * item, rowLength: width });
  });
  return new Tensor(name, 'FP32', [crops.length, 3, height, width], data);
}

/** The recogniser's input for `crops`: `[n, 3, recognitionHeight, W]`, W fitting the widest crop. */
export function recognitionBatch(crops: readonly RgbImage[], settings: Pick<OcrSettings, 'recognitionHeight' | 'recognitionMinWidth'>): Tensor<'FP32'> {
  const height = settings.recognitionHeight;
  const widestRatio = crops.reduce((widest, crop) => Math.max(widest, crop.width / crop.height), settings.recognitionMinWidth / height);
  return lineBatch(PPOCR_TENSORS.recognition.input, crops, height, Math.floor(height * widestRatio));
}

/** The orientation classifier's input for `crops`: `[n, 3, classifierHeight, classifierWidth]`. */
export function classifierBatch(crops: readonly RgbImage[], settings: Pick<OcrSettings, 'classifierHeight' | 'classifierWidth'>): Tensor<'FP32'> {
  return lineBatch(PPOCR_TENSORS.classifier.input, crops, settings.classifierHeight, settings.classifierWidth);
}
