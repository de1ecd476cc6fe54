/**
 * The recogniser's output to text: greedy CTC decoding (PaddleOCR's
 * CTCLabelDecode). At each time step take the most probable class; drop
 * repeats of the previous step and the blank class 0; the score is the
 * mean probability of the characters kept.
 *
 * The class table is PaddleOCR's: the blank, then one class per line of the
 * character list (ppocr_keys_v1.txt), then a space (use_space_char).
 *
 * @example
 * ```ts
 * const table = characterTable(keysText);                  // ['', "'", '疗', ..., ' ']
 * const lines = ctcGreedyDecode(probabilities, table);     // [{ text: 'Hello', score: 0.98 }, ...]
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';

export interface RecognisedText {
  readonly text: string;
  /** Mean probability of the characters kept (0 when none). */
  readonly score: number;
}

/** The class table for a character list: one character per line (a final newline or not). */
export function characterTable(characterList: string): readonly string[] {
  const lines = characterList.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return Object.freeze(['', ...lines, ' ']);
}

/** Decodes `probabilities` FP32 `[n, steps, classes]`; `classes` must equal the table's length. */
export function ctcGreedyDecode(probabilities: Tensor<'FP32'>, table: readonly string[]): RecognisedText[] {
  const [count, steps, classes] = probabilities.shape;
  if (probabilities.shape.length !== 3 || classes !== table.length) {
    throw NereidError.internal(
      `recognition output '${probabilities.name}' is [${probabilities.shape.join(', ')}]; expected [n, steps, ${table.length}] for a character table of ${table.length} classes`,
    );
  }
  const data = probabilities.data;
  const lines: RecognisedText[] = [];
  for (let n = 0; n < count!; n++) {
    let text = '';
    let sum = 0;
    let kept = 0;
    let previous = -1;
    for (let t = 0; t < steps!; t++) {
      const base = (n * steps! + t) * classes;
      let best = 0;
      let bestValue = data[base]!;
      for (let c = 1; c < classes; c++) {
        const value = data[base + c]!;
        if (value > bestValue) {
          bestValue = value;
          best = c;
        }
      }
      if (best !== 0 && best !== previous) {
        text += table[best];
        sum += bestValue;
        kept++;
      }
      previous = best;
    }
    lines.push({ text, score: kept === 0 ? 0 : sum / kept });
  }
  return lines;
}
