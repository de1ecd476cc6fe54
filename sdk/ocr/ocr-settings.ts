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
import type { ModelConfig } from '../model-config.ts';
import { ConfigParameters } from '../model/config-parameters.ts';

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

/**
 * The settings a model's config `parameters` choose, over the defaults:
 * `detection_max_side`, `binarize_threshold`, `box_threshold`,
 * `unclip_ratio`, `recognition_batch_size`, `drop_score`,
 * `classify_orientation` ("true"/"false"). A bad value is INVALID_ARG naming
 * the model and the parameter, so it fails the load, not every request.
 */
export function ocrSettingsFromConfig(config: Pick<ModelConfig, 'name' | 'parameters'>): OcrSettings {
  const parameters = new ConfigParameters(config);
  const d = DEFAULT_OCR_SETTINGS;
  return ocrSettings({
    detectionMaxSide: parameters.integer('detection_max_side', d.detectionMaxSide, { min: 32, max: 4096 }),
    binarizeThreshold: parameters.number('binarize_threshold', d.binarizeThreshold, { min: 0, max: 1 }),
    boxThreshold: parameters.number('box_threshold', d.boxThreshold, { min: 0, max: 1 }),
    unclipRatio: parameters.number('unclip_ratio', d.unclipRatio, { min: 0, max: 10 }),
    recognitionBatchSize: parameters.integer('recognition_batch_size', d.recognitionBatchSize, { min: 1, max: 256 }),
    dropScore: parameters.number('drop_score', d.dropScore, { min: 0, max: 1 }),
    classifyOrientation: parameters.flag('classify_orientation', d.classifyOrientation),
  });
}
