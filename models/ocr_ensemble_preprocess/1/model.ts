/**
 * ocr_ensemble_preprocess: image file -> the detector's input and the decoded
 * pixels (nereid/sdk/vision and nereid/sdk/ocr do the work). A file that
 * does not decode fails its request with INVALID_ARG naming the input.
 */
import { answerEach, InferenceResponse, type InferenceRequest, type InitializeArgs } from 'nereid/model';
import { detectionInput, ocrSettingsFromConfig, type OcrSettings } from 'nereid/sdk/ocr/index.ts';
import { imageFromTensor, imageToTensor } from 'nereid/sdk/vision/index.ts';

let settings: OcrSettings;
let modelName = 'ocr_ensemble_preprocess';

export function initialize(args: InitializeArgs): void {
  modelName = args.modelName;
  settings = ocrSettingsFromConfig(args.modelConfig);
}

export function execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
  return answerEach(requests, modelName, (request) => {
    const image = imageFromTensor(request.requireInput('image'));
    return new InferenceResponse({ outputs: [detectionInput(image, settings).rename('detection_input'), imageToTensor('pixels', image)] });
  });
}
