/**
 * Reads the text in an image file with the bundled `ocr` model (BLS) or its
 * ensemble twin `ocr_ensemble`, over either client of the sdk. The file's
 * bytes go as they are (a BYTES tensor of one element; the server decodes
 * PNG and JPEG); the answer comes back as text lines with boxes and scores.
 *
 * @example
 * ```ts
 * const client = new HttpClient('http://127.0.0.1:8000');
 * for (const line of await readText(client, await readFile('receipt.jpg'))) console.log(line.text);
 * ```
 */
import { Tensor, type InferenceClient } from '../../sdk/client/index.ts';
import { textLinesFromTensors, type TextLine } from '../../sdk/ocr/text-lines.ts';

export type OcrModel = 'ocr' | 'ocr_ensemble';

export interface ReadTextOptions {
  /** Which pipeline: `ocr` (BLS, the default) or `ocr_ensemble`. */
  model?: OcrModel;
  /** `ocr` only: run the orientation classifier, which turns upside-down lines. */
  classifyOrientation?: boolean;
  signal?: AbortSignal;
}

/** The text lines of the PNG or JPEG file `bytes`, in reading order. */
export async function readText(client: InferenceClient, bytes: Uint8Array, options: ReadTextOptions = {}): Promise<TextLine[]> {
  const { outputs } = await client.infer(
    {
      model: options.model ?? 'ocr',
      inputs: [new Tensor('image', 'BYTES', [1], [bytes])],
      parameters: options.classifyOrientation === undefined ? {} : { classify_orientation: options.classifyOrientation },
    },
    { signal: options.signal },
  );
  return textLinesFromTensors(outputs);
}
