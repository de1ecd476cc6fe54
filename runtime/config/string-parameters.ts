/**
 * Model config `parameters` are strings (`string_value`), as in Triton. These
 * read them as numbers and booleans the way Triton's backends do
 * (TryParseModelStringParameter, ParseBoolValue), with an INVALID_ARG error
 * that names the model and the parameter.
 *
 * @example
 * ```ts
 * parseBoolParameter('m', 'enable_mem_arena', 'On'); // true
 * parseIntParameter('m', 'intra_op_thread_count', ' 4 '); // 4
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';

/** Parses a string parameter as an integer the way Triton does: surrounding blanks allowed, nothing else. */
export function parseIntParameter(model: string, key: string, value: string): number {
  const text = value.trim();
  if (!/^[+-]?\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw NereidError.invalidArg(`model '${model}': parameter '${key}' must be an integer, got '${value}'`);
  }
  return Number(text);
}

/** Parses a string parameter as a boolean: true/false, 1/0, on/off, in any case. */
export function parseBoolParameter(model: string, key: string, value: string): boolean {
  const text = value.trim().toLowerCase();
  if (text === 'true' || text === '1' || text === 'on') return true;
  if (text === 'false' || text === '0' || text === 'off') return false;
  throw NereidError.invalidArg(`model '${model}': parameter '${key}' must be a boolean (true/false, 1/0, on/off), got '${value}'`);
}
