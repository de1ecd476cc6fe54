/**
 * Request and response parameters as they cross the isolate boundary:
 * booleans, finite numbers and strings, checked where a model builds them so
 * a mistake is reported at its source rather than as a failed copy.
 *
 * @example
 * ```ts
 * checkParameters({ temperature: 0.7, stream: false }, 'request'); // frozen copy
 * checkParameters({ when: new Date() }, 'request'); // throws INVALID_ARG naming 'when'
 * ```
 */
import { NereidError } from '../errors.ts';
import type { ParameterValue } from './isolate-protocol.ts';

/**
 * Parameters of a request or response, by name. A received request's
 * integer parameter beyond 2^53 (an int64 or uint64 from the client) arrives
 * as its decimal string, exact, rather than a rounded number.
 */
export type Parameters = Readonly<Record<string, ParameterValue>>;

const EMPTY: Parameters = Object.freeze({});

/** A frozen copy of `value` once every entry is a boolean, finite number or string; `what` names the owner in errors. */
export function checkParameters(value: unknown, what: string): Parameters {
  if (value === undefined || value === null) return EMPTY;
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw NereidError.invalidArg(`${what}: parameters must be an object of booleans, numbers and strings`);
  }
  const copy: Record<string, ParameterValue> = {};
  for (const [name, item] of Object.entries(value)) {
    const ok = typeof item === 'boolean' || typeof item === 'string' || (typeof item === 'number' && Number.isFinite(item));
    if (!ok) {
      const got = item === null ? 'null' : typeof item === 'number' ? String(item) : typeof item;
      throw NereidError.invalidArg(`${what}: parameter '${name}' must be a boolean, a finite number or a string, got ${got}`);
    }
    copy[name] = item;
  }
  return Object.freeze(copy);
}
