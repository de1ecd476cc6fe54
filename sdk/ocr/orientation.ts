/**
 * Upside-down lines turned right way up, with the orientation classifier
 * (PaddleOCR's TextClassifier): its classes are 0 and 180 degrees; a crop is
 * turned when 180 wins with more than `classifierThreshold`.
 *
 * @example
 * ```ts
 * const upright = turnUpsideDown(crops, await classify(classifierBatch(crops, settings)), settings.classifierThreshold);
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import type { RgbImage } from '../vision/rgb-image.ts';
import { rotate180 } from '../vision/rotate.ts';

/** `crops` with those the classifier's `[n, 2]` output calls upside down (above `threshold`) turned. */
export function turnUpsideDown(crops: readonly RgbImage[], probabilities: Tensor<'FP32'>, threshold: number): RgbImage[] {
  if (probabilities.shape.join() !== `${crops.length},2`) {
    throw NereidError.internal(`orientation output '${probabilities.name}' is [${probabilities.shape.join(', ')}]; expected [${crops.length}, 2]`);
  }
  const p = probabilities.data;
  return crops.map((crop, i) => (p[2 * i + 1]! > p[2 * i]! && p[2 * i + 1]! > threshold ? rotate180(crop) : crop));
}
