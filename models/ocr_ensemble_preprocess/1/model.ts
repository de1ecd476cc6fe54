/**
 * ocr_ensemble_preprocess: image file -> the detector's input and the decoded
 * pixels (nereid/sdk/vision and nereid/sdk/ocr do the work). A file that
 * does not decode fails its request with INVALID_ARG naming the input.
 */
import { answerEach, InferenceResponse, NereidError, type InferenceRequest, type InitializeArgs } from 'nereid/model';
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
    // The ensemble has no orientation step: saying nothing would answer as if the lines had been turned.
    const orientation = request.parameters.classify_orientation;
    if (orientation === true || orientation === 'true') {
      throw NereidError.unsupported(`parameter 'classify_orientation': ocr_ensemble does not turn upside-down lines (it has no orientation step); use model 'ocr'`);
    }
    const image = imageFromTensor(request.requireInput('image'));
    return new InferenceResponse({ outputs: [detectionInput(image, settings).rename('detection_input'), imageToTensor('pixels', image)] });
  });
}
