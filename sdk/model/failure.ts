/**
 * The isolate's choke point for thrown values: what a model throws (or
 * rejects with) becomes the `{ code, message }` the host sees. A NereidError
 * keeps its code (also one from another copy of the sdk, recognised by its
 * `code`); anything else becomes INTERNAL with the exception's own message,
 * and the stack travels separately for the server log.
 *
 * @example
 * ```ts
 * failure(NereidError.invalidArg('bad shape')); // { ok: false, error: { code: 'INVALID_ARG', message: 'bad shape' }, stack }
 * failure(new TypeError('x is undefined'));     // { ok: false, error: { code: 'INTERNAL', message: 'x is undefined' }, stack }
 * ```
 */
import { isErrorCode, NereidError } from '../errors.ts';
import type { SettleResult } from './isolate-protocol.ts';
import { formatLogArgs } from './log-format.ts';

/** `value` as a NereidError, keeping a code it carries. */
export function asNereidError(value: unknown): NereidError {
  if (value instanceof NereidError) return value;
  const candidate = value as { code?: unknown; message?: unknown } | null | undefined;
  if (typeof candidate === 'object' && candidate !== null && isErrorCode(candidate.code) && typeof candidate.message === 'string') {
    return new NereidError(candidate.code, candidate.message, { cause: value });
  }
  const message = value instanceof Error ? value.message : typeof value === 'string' ? value : formatLogArgs([value]);
  return new NereidError('INTERNAL', message, { cause: value });
}

/** The settle result reporting `value` as the failure of a whole call. */
export function failure(value: unknown): Extract<SettleResult, { ok: false }> {
  const error = asNereidError(value).toData();
  const stack = value instanceof Error && typeof value.stack === 'string' ? value.stack : undefined;
  return stack === undefined ? { ok: false, error } : { ok: false, error, stack };
}
