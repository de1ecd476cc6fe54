/**
 * The OCR answer: text lines with their boxes and scores, and the three
 * output tensors that carry it (`text` BYTES [n], `boxes` FP32 [n, 4, 2]:
 * corners x, y in image pixels, top-left first and clockwise, `scores` FP32
 * [n]). Models build the tensors with `textLineTensors`, clients read them
 * back with `textLinesFromTensors`: one definition of the format for both.
 *
 * @example
 * ```ts
 * const { outputs } = await client.infer({ model: 'ocr', inputs: [Tensor.fromStrings('image', [1], ...)] });
 * for (const line of textLinesFromTensors(outputs)) console.log(line.text, line.score.toFixed(2));
 * ```
 */
import { NereidError } from '../errors.ts';
import { Tensor } from '../tensor.ts';
import type { Quad } from '../vision/perspective.ts';
import type { RecognisedText } from './ctc-decode.ts';

export interface TextLine {
  readonly text: string;
  /** The recogniser's confidence, 0 to 1. */
  readonly score: number;
  /** Corners in image pixels: top-left, top-right, bottom-right, bottom-left. */
  readonly box: Quad;
}

/** Names of the output tensors. */
export const TEXT_LINE_OUTPUTS = Object.freeze({ text: 'text', boxes: 'boxes', scores: 'scores' });

/** Boxes and their recognised text, in the boxes' order, without the lines scoring under `dropScore`. */
export function assembleTextLines(boxes: readonly Quad[], texts: readonly RecognisedText[], dropScore: number): TextLine[] {
  if (boxes.length !== texts.length) throw NereidError.internal(`${boxes.length} text boxes but ${texts.length} recognised lines`);
  return boxes.flatMap((box, i) => (texts[i]!.score >= dropScore ? [{ text: texts[i]!.text, score: texts[i]!.score, box }] : []));
}

/** Quadrilaterals as an FP32 `[n, 4, 2]` tensor (x, y of each corner). */
export function quadsToTensor(name: string, quads: readonly Quad[]): Tensor<'FP32'> {
  const data = new Float32Array(quads.length * 8);
  quads.forEach((quad, i) => quad.forEach(([x, y], k) => data.set([x, y], i * 8 + k * 2)));
  return new Tensor(name, 'FP32', [quads.length, 4, 2], data);
}

/** The quadrilaterals of an FP32 `[n, 4, 2]` tensor. */
export function quadsFromTensor(tensor: Tensor): Quad[] {
  if (tensor.datatype !== 'FP32' || tensor.shape.length !== 3 || tensor.shape[1] !== 4 || tensor.shape[2] !== 2) {
    throw NereidError.invalidArg(`'${tensor.name}' must be FP32 [n, 4, 2] (four x, y corners per box), got ${tensor.datatype} [${tensor.shape.join(', ')}]`);
  }
  const data = tensor.data as Float32Array;
  return Array.from({ length: tensor.shape[0]! }, (_, i) => {
    const corner = (k: number) => [data[i * 8 + 2 * k]!, data[i * 8 + 2 * k + 1]!] as const;
    return [corner(0), corner(1), corner(2), corner(3)] as const;
  });
}

/** The output tensors for `lines`. */
export function textLineTensors(lines: readonly TextLine[]): Tensor[] {
  return [
    Tensor.fromStrings(TEXT_LINE_OUTPUTS.text, [lines.length], lines.map((line) => line.text)),
    quadsToTensor(TEXT_LINE_OUTPUTS.boxes, lines.map((line) => line.box)),
    new Tensor(TEXT_LINE_OUTPUTS.scores, 'FP32', [lines.length], Float32Array.from(lines, (line) => line.score)),
  ];
}

/** Text lines from a response's outputs (the three tensors above, in any order). */
export function textLinesFromTensors(outputs: readonly Tensor[]): TextLine[] {
  const find = (name: string) => {
    const tensor = outputs.find((output) => output.name === name);
    if (tensor === undefined) throw NereidError.invalidArg(`the response has no '${name}' output`);
    return tensor;
  };
  const text = find(TEXT_LINE_OUTPUTS.text).strings();
  const boxes = quadsFromTensor(find(TEXT_LINE_OUTPUTS.boxes));
  const scores = find(TEXT_LINE_OUTPUTS.scores).data as Float32Array;
  if (boxes.length !== text.length || scores.length !== text.length) {
    throw NereidError.invalidArg(`outputs disagree: ${text.length} texts, ${boxes.length} boxes, ${scores.length} scores`);
  }
  return text.map((line, i) => ({ text: line, score: scores[i]!, box: boxes[i]! }));
}
