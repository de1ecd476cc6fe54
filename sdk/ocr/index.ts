/**
 * `nereid/sdk/ocr`: the PP-OCR pipeline's work around its models (PaddleOCR's
 * pre- and post-processing, in TypeScript): detector input, DB text boxes,
 * line crops, orientation, recogniser batches, CTC decoding, and the output
 * tensors. The `ocr` model, the steps of `ocr_ensemble` and the benchmark all
 * use these, so the two serving styles and the floor run the same code.
 *
 * @example
 * ```ts
 * import { characterTable, DEFAULT_OCR_SETTINGS, ocrImage, textLineTensors } from 'nereid/sdk/ocr/index.ts';
 * const lines = await ocrImage(image, { detect, recognize }, characterTable(keys), DEFAULT_OCR_SETTINGS);
 * return new InferenceResponse({ outputs: textLineTensors(lines) });
 * ```
 */
export { characterTable, ctcGreedyDecode, type RecognisedText } from './ctc-decode.ts';
export { detectionInput, detectionSize } from './detection-input.ts';
export { cropTextLine } from './line-crops.ts';
export { batchesByAspectRatio, classifierBatch, recognitionBatch } from './line-batches.ts';
export { boxesFromDetection, ocrImage, type OcrModels, type RunModel } from './ocr-pipeline.ts';
export { DEFAULT_OCR_SETTINGS, ocrSettings, ocrSettingsFromConfig, type OcrSettings } from './ocr-settings.ts';
export { turnUpsideDown } from './orientation.ts';
export { DETECTION_NORMALISATION, LINE_NORMALISATION, PPOCR_TENSORS } from './ppocr-tensors.ts';
export { findTextBoxes, meanInside, orderCorners, readingOrder, textRegions, type Size, type TextBox } from './text-boxes.ts';
export { assembleTextLines, quadsFromTensor, quadsToTensor, TEXT_LINE_OUTPUTS, textLineTensors, textLinesFromTensors, type TextLine } from './text-lines.ts';
