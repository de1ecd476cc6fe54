/**
 * ocr_ensemble_crops: probability map + decoded image -> one recognition
 * batch of upright text lines, and their boxes (nereid/sdk/ocr does the work).
 */
import { answerEach, InferenceResponse, NereidError, type InferenceRequest, type InitializeArgs, type Tensor } from 'nereid/model';
import { boxesFromDetection, cropTextLine, ocrSettingsFromConfig, quadsToTensor, recognitionBatch, type OcrSettings } from 'nereid/sdk/ocr/index.ts';
import { imageFromTensor, rgbImage } from 'nereid/sdk/vision/index.ts';

let settings: OcrSettings;
let modelName = 'ocr_ensemble_crops';

/** What an image without text sends the recogniser: one white line, which the decode step never reads. */
const PLACEHOLDER_LINE = rgbImage(1, 1, Uint8Array.of(255, 255, 255));

export function initialize(args: InitializeArgs): void {
  modelName = args.modelName;
  settings = ocrSettingsFromConfig(args.modelConfig);
}

export function execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
  return answerEach(requests, modelName, (request) => {
    const map = request.requireInput('probability_map');
    if (map.datatype !== 'FP32') throw NereidError.invalidArg(`input 'probability_map' must be FP32, got ${map.datatype}`);
    const image = imageFromTensor(request.requireInput('pixels'));
    const boxes = boxesFromDetection(map as Tensor<'FP32'>, image, settings);
    const crops = boxes.map((box) => cropTextLine(image, box.quad));
    return new InferenceResponse({
      outputs: [
        recognitionBatch(crops.length > 0 ? crops : [PLACEHOLDER_LINE], settings).rename('recognition_input'),
        quadsToTensor('line_boxes', boxes.map((box) => box.quad)),
      ],
    });
  });
}
