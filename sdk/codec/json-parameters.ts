/**
 * KServe v2 `parameters` objects on the JSON wire: values are booleans,
 * numbers or strings. Integers beyond 2^53 are kept exact as bigint (when the
 * JSON was read with `parseJsonExact`) and written back as exact digits.
 *
 * @example
 * ```ts
 * readParameters({ sequence_id: 42, flag: true }, 'request');   // { sequence_id: 42, flag: true }
 * readParameters({ bad: [1] }, 'request');                      // throws INVALID_ARG
 * writeParameters({ sequence_id: 2n ** 64n - 1n });             // '{"sequence_id":18446744073709551615}'
 * ```
 */
import type { Parameters } from '../inference.ts';
import { NereidError } from '../errors.ts';
import { ImpreciseJsonIntegerError } from './json-tensor-data.ts';

/**
 * Checks a parsed `parameters` value (absent is fine) and returns it typed.
 * `what` names the owner in messages: `request`, `input 'X'`, `output 'Y'`.
 * Without `exact`, an integer-valued number beyond 2^53 throws
 * `ImpreciseJsonIntegerError` so the caller can re-read the text exactly.
 */
export function readParameters(value: unknown, what: string, exact = false): Parameters | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw NereidError.invalidArg(`${what}: 'parameters' must be an object`);
  }
  const parameters = value as Record<string, unknown>;
  for (const key in parameters) {
    const item = parameters[key];
    switch (typeof item) {
      case 'boolean':
      case 'string':
      case 'bigint':
        break;
      case 'number':
        if (!exact && Number.isInteger(item) && !Number.isSafeInteger(item)) {
          throw new ImpreciseJsonIntegerError(`${what}: parameter '${key}'`, item);
        }
        break;
      default:
        throw NereidError.invalidArg(
          `${what}: parameter '${key}' has invalid type. It should be either 'bool', 'number' or 'string'.`,
        );
    }
  }
  return parameters as Parameters;
}

/** The JSON text of a parameters object; bigints as exact digits, non-finite numbers as null. */
export function writeParameters(parameters: Parameters): string {
  let out = '{';
  let first = true;
  for (const key in parameters) {
    const value = parameters[key];
    let text: string;
    switch (typeof value) {
      case 'string':
        text = JSON.stringify(value);
        break;
      case 'number':
        text = Number.isFinite(value) ? String(value) : 'null';
        break;
      case 'bigint':
        text = value.toString();
        break;
      case 'boolean':
        text = value ? 'true' : 'false';
        break;
      default:
        continue;
    }
    out += (first ? '' : ',') + JSON.stringify(key) + ':' + text;
    first = false;
  }
  return out + '}';
}
