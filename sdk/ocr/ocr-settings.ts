/**
 * The knobs of the PP-OCR pipeline, with PaddleOCR's own defaults
 * (tools/infer/utility.py of PaddleOCR 2.7: det_limit_side_len 960 'max',
 * det_db_thresh 0.3, det_db_box_thresh 0.6, det_db_unclip_ratio 1.5,
 * rec_image_shape 3,48,320, rec_batch_num 6, cls_image_shape 3,48,192,
 * cls_thresh 0.9, drop_score 0.5), so results match what PaddleOCR gives.
 *
 * @example
 * ```ts
 * const settings = ocrSettings({ classifyOrientation: true }); // the defaults, orientation on
 * ```
 */
import { NereidError } from '../errors.ts';

export interface OcrSettings {
  /** Detection input: the longer side is shrunk to this when larger (never enlarged); both sides become multiples of 32. */
  readonly detectionMaxSide: number;
  /** Probability above which a pixel of the detection map is text. */
  readonly binarizeThreshold: number;
  /** Mean probability inside a box below which it is dropped. */
  readonly boxThreshold: number;
  /** How far a box grows past the shrunk text region the detector marks: area * ratio / perimeter on each side. */
  readonly unclipRatio: number;
  /** Shorter side (detection map pixels) below which a region is noise. */
  readonly minBoxSide: number;
  /** Most regions looked at per image. */
  readonly maxCandidates: number;
  /** Recognition input height; crops are scaled to it keeping their aspect ratio. */
  readonly recognitionHeight: number;
  /** Narrowest recognition batch width; a batch is as wide as its widest crop. */
  readonly recognitionMinWidth: number;
  /** Crops per recognition call (the pipeline's own calls; the ensemble sends all crops at once). */
  readonly recognitionBatchSize: number;
  /** Lines whose recognition score is below this are dropped. */
  readonly dropScore: number;
  /** Whether crops go through the orientation classifier (and upside-down ones are turned). */
  readonly classifyOrientation: boolean;
  /** Orientation classifier input height and width. */
  readonly classifierHeight: number;
  readonly classifierWidth: number;
  /** A crop is turned when the classifier says 180 degrees with at least this probability. */
  readonly classifierThreshold: number;
  /** Crops per classifier call. */
  readonly classifierBatchSize: number;
}

export const DEFAULT_OCR_SETTINGS: OcrSettings = Object.freeze({
  detectionMaxSide: 960,
  binarizeThreshold: 0.3,
  boxThreshold: 0.6,
  unclipRatio: 1.5,
  minBoxSide: 3,
  maxCandidates: 1000,
  recognitionHeight: 48,
  recognitionMinWidth: 320,
  recognitionBatchSize: 6,
  dropScore: 0.5,
  classifyOrientation: false,
  classifierHeight: 48,
  classifierWidth: 192,
  classifierThreshold: 0.9,
  classifierBatchSize: 6,
});

/** The defaults with `overrides` applied. */
export function ocrSettings(overrides: Partial<OcrSettings> = {}): OcrSettings {
  return Object.freeze({ ...DEFAULT_OCR_SETTINGS, ...overrides });
}

/** Config parameters as Triton's JSON has them (`{ key: { string_value } }`). */
export type ConfigParameters = Readonly<Record<string, { readonly string_value?: string } | undefined>> | undefined;

/**
 * The settings a model's config `parameters` choose, over the defaults:
 * `detection_max_side`, `binarize_threshold`, `box_threshold`,
 * `unclip_ratio`, `recognition_batch_size`, `drop_score`,
 * `classify_orientation` ("true"/"false"). A bad value is INVALID_ARG naming
 * the model and the parameter, so it fails the load, not every request.
 */
export function ocrSettingsFromParameters(parameters: ConfigParameters, modelName: string): OcrSettings {
  const text = (key: string) => parameters?.[key]?.string_value?.trim() || undefined;
  const fail = (key: string, wanted: string, got: string): never => {
    throw NereidError.invalidArg(`model '${modelName}': parameter '${key}' must be ${wanted}, got '${got}'`);
  };
  const number = (key: string, fallback: number, min: number, max: number, integer = false): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || parsed < min || parsed > max || (integer && !Number.isInteger(parsed))) {
      fail(key, `${integer ? 'an integer' : 'a number'} from ${min} to ${max}`, value);
    }
    return parsed;
  };
  const flag = (key: string, fallback: boolean): boolean => {
    const value = text(key);
    if (value === undefined) return fallback;
    if (value !== 'true' && value !== 'false') fail(key, '"true" or "false"', value);
    return value === 'true';
  };
  const d = DEFAULT_OCR_SETTINGS;
  return ocrSettings({
    detectionMaxSide: number('detection_max_side', d.detectionMaxSide, 32, 4096, true),
    binarizeThreshold: number('binarize_threshold', d.binarizeThreshold, 0, 1),
    boxThreshold: number('box_threshold', d.boxThreshold, 0, 1),
    unclipRatio: number('unclip_ratio', d.unclipRatio, 0, 10),
    recognitionBatchSize: number('recognition_batch_size', d.recognitionBatchSize, 1, 256, true),
    dropScore: number('drop_score', d.dropScore, 0, 1),
    classifyOrientation: flag('classify_orientation', d.classifyOrientation),
  });
}
