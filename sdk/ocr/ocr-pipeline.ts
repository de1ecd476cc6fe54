/**
 * The whole PP-OCR pipeline over any way of running its three models: one
 * image in, text lines out. The `ocr` model runs it with BLS calls, the
 * benchmark's floor with onnxruntime-node sessions, so the work around the
 * models is the same code in both.
 *
 *   detect (one call) -> text boxes -> upright crops
 *     -> [classify orientation, in batches] -> recognise, in batches of similar
 *     aspect ratio (all batches at once) -> CTC decode -> lines over dropScore
 *
 * @example
 * ```ts
 * const lines = await ocrImage(image, { detect, recognize }, characterTable(keys), DEFAULT_OCR_SETTINGS);
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import type { RgbImage } from '../vision/rgb-image.ts';
import { ctcGreedyDecode, type RecognisedText } from './ctc-decode.ts';
import { detectionInput } from './detection-input.ts';
import { cropTextLine } from './line-crops.ts';
import { batchesByAspectRatio, classifierBatch, recognitionBatch } from './line-batches.ts';
import type { OcrSettings } from './ocr-settings.ts';
import { turnUpsideDown } from './orientation.ts';
import { findTextBoxes, type TextBox } from './text-boxes.ts';
import { assembleTextLines, type TextLine } from './text-lines.ts';

/** Runs one model: its input tensor in, its output tensor out (named as ppocr-tensors.ts says). */
export type RunModel = (input: Tensor<'FP32'>) => Promise<Tensor<'FP32'>>;

export interface OcrModels {
  readonly detect: RunModel;
  readonly recognize: RunModel;
  /** Needed only when `settings.classifyOrientation` is on. */
  readonly classify?: RunModel;
}

/** Text boxes from the detector's `[1, 1, H, W]` output, in the coordinates of `image`. */
export function boxesFromDetection(probabilities: Tensor<'FP32'>, image: RgbImage, settings: OcrSettings): TextBox[] {
  const [batch, channels, height, width] = probabilities.shape;
  if (probabilities.shape.length !== 4 || batch !== 1 || channels !== 1) {
    throw NereidError.internal(`detection output '${probabilities.name}' is [${probabilities.shape.join(', ')}]; expected [1, 1, H, W]`);
  }
  return findTextBoxes(probabilities.data, { width: width!, height: height! }, image, settings);
}

/** Reads the text in `image`. `table` is `characterTable(...)` of the recogniser's character list. */
export async function ocrImage(image: RgbImage, models: OcrModels, table: readonly string[], settings: OcrSettings): Promise<TextLine[]> {
  const boxes = boxesFromDetection(await models.detect(detectionInput(image, settings)), image, settings);
  if (boxes.length === 0) return [];
  let crops = boxes.map((box) => cropTextLine(image, box.quad));
  if (settings.classifyOrientation) {
    if (models.classify === undefined) throw NereidError.internal('orientation classification is on, but no classifier was given');
    const classify = models.classify;
    const batches = batchesByAspectRatio(crops, settings.classifierBatchSize);
    const turned = await Promise.all(batches.map(async (indices) => {
      const batch = indices.map((i) => crops[i]!);
      return turnUpsideDown(batch, await classify(classifierBatch(batch, settings)), settings.classifierThreshold);
    }));
    crops = [...crops];
    batches.forEach((indices, b) => indices.forEach((i, k) => (crops[i] = turned[b]![k]!)));
  }
  const texts: RecognisedText[] = new Array(crops.length);
  await Promise.all(batchesByAspectRatio(crops, settings.recognitionBatchSize).map(async (indices) => {
    const decoded = ctcGreedyDecode(await models.recognize(recognitionBatch(indices.map((i) => crops[i]!), settings)), table);
    indices.forEach((i, k) => (texts[i] = decoded[k]!));
  }));
  return assembleTextLines(boxes.map((box) => box.quad), texts, settings.dropScore);
}
