/**
 * Numbers written as text, the way people paste them: separated by commas
 * or by white space, optionally wrapped in brackets (so a JSON array's text
 * works too). Strict on purpose: `Number()` alone would read '' as 0, '0x1f'
 * as 31 and 'Infinity' as a number, and a classifier fed such values answers
 * confidently about input the client never meant to send.
 *
 * @example
 * ```ts
 * parseNumberList('0.1, 0.5 ,-2e-3', "input 'text'");  // [0.1, 0.5, -0.002]
 * parseNumberList('[1 2 3]', "input 'text'");          // [1, 2, 3]
 * parseNumberList('1,,2', "input 'text'");             // throws: value 2 is empty
 * ```
 */
import { NereidError } from 'nereid/model';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
/** A comma with any spaces around it, or a run of spaces: "1, 2" and "1 2" both split in two, "1,,2" in three. */
const SEPARATOR = /\s*,\s*|\s+/;
/** Largest finite FP32: anything beyond would become Infinity in the Float32Array the backbone gets. */
export const FP32_MAX = 3.4028234663852886e38;
export const EXPECTED = 'numbers separated by commas or spaces, such as "0.1, 0.5, -2"';

function shown(token: string): string {
  return JSON.stringify(token.length > 24 ? `${token.slice(0, 24)}...` : token);
}

/**
 * The numbers in `text`; throws INVALID_ARG starting with `what` (e.g. "input
 * 'text' row 0") that says which value is wrong and what was expected.
 * `maxCount` bounds the values accepted.
 */
export function parseNumberList(text: string, what: string, maxCount = Number.POSITIVE_INFINITY): number[] {
  let body = text.trim();
  if (body.startsWith('[') && body.endsWith(']')) body = body.slice(1, -1).trim();
  if (body === '') throw NereidError.invalidArg(`${what} is empty; expected ${EXPECTED}`);
  const tokens = body.split(SEPARATOR);
  if (tokens.length > maxCount) throw NereidError.invalidArg(`${what} has ${tokens.length} values; at most ${maxCount} are accepted`);
  const values = new Array<number>(tokens.length);
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    if (token === '') throw NereidError.invalidArg(`${what}: value ${i + 1} is empty; expected ${EXPECTED}`);
    if (!DECIMAL.test(token)) throw NereidError.invalidArg(`${what}: value ${i + 1} (${shown(token)}) is not a number; expected ${EXPECTED}`);
    const value = Number(token);
    if (Math.abs(value) > FP32_MAX) throw NereidError.invalidArg(`${what}: value ${i + 1} (${shown(token)}) is outside the FP32 range`);
    values[i] = value;
  }
  return values;
}
