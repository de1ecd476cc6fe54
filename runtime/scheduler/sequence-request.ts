/**
 * The sequence a request belongs to, read from its request parameters as
 * Triton's frontends read them: `sequence_id` (a uint64 or a string; 0 and
 * "" mean "no sequence"), `sequence_start` and `sequence_end` (booleans).
 * The same parameters arrive from HTTP/JSON, gRPC and BLS calls, so the
 * sequence batcher reads them here, in one place, rather than each frontend.
 *
 * Messages follow Triton's wording.
 *
 * @example
 * ```ts
 * readSequenceInfo('accumulate', { sequence_id: 42, sequence_start: true });
 * // { id: 42n, key: 'u42', start: true, end: false }
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';
import type { Parameters } from '../../sdk/inference.ts';

/** A correlation id: a uint64 (as bigint) or a non-empty string. Triton keeps the two kinds apart: 42 and "42" are different sequences. */
export type CorrelationId = bigint | string;

/** Triton's request flags (TRITONSERVER_REQUEST_FLAG_SEQUENCE_*). */
export const SEQUENCE_START = 1;
export const SEQUENCE_END = 2;

/** The request parameters that carry the sequence; they are not passed on to the model as parameters. */
export const SEQUENCE_PARAMETERS: readonly string[] = ['sequence_id', 'sequence_start', 'sequence_end'];

export interface SequenceInfo {
  readonly id: CorrelationId;
  /** Map key that tells uint64 and string ids apart. */
  readonly key: string;
  readonly start: boolean;
  readonly end: boolean;
}

const UINT64_MAX = (1n << 64n) - 1n;

/** The id as Triton prints it in messages. */
export function correlationIdText(id: CorrelationId): string {
  return typeof id === 'bigint' ? id.toString() : id;
}

function readId(value: Parameters[string] | undefined): CorrelationId {
  if (value === undefined) return 0n;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === 'bigint' && value >= 0n && value <= UINT64_MAX) return value;
  throw NereidError.invalidArg("Unable to parse 'sequence_id': expected an unsigned 64-bit integer or a string");
}

function readFlag(parameters: Parameters, name: 'sequence_start' | 'sequence_end'): boolean {
  const value = parameters[name];
  if (value === undefined) return false;
  if (typeof value !== 'boolean') throw NereidError.invalidArg(`Unable to parse '${name}': expected a boolean`);
  return value;
}

/** The request's sequence; throws INVALID_ARG for malformed parameters or a missing (0 or "") correlation id. */
export function readSequenceInfo(model: string, parameters: Readonly<Parameters> | undefined): SequenceInfo {
  const values = parameters ?? {};
  const id = readId(values.sequence_id);
  const start = readFlag(values, 'sequence_start');
  const end = readFlag(values, 'sequence_end');
  if (id === 0n || id === '') {
    throw NereidError.invalidArg(`inference request to model '${model}' must specify a non-zero or non-empty correlation ID`);
  }
  return { id, key: typeof id === 'bigint' ? `u${id}` : `s${id}`, start, end };
}

/** `parameters` without the sequence parameters (undefined when nothing is left). */
export function withoutSequenceParameters(parameters: Readonly<Parameters> | undefined): Readonly<Parameters> | undefined {
  if (!parameters) return undefined;
  let rest: Parameters | undefined;
  for (const key in parameters) {
    if (SEQUENCE_PARAMETERS.includes(key)) continue;
    (rest ??= {})[key] = parameters[key]!;
  }
  return rest;
}

/**
 * The sequence a request names to a model without a sequence batcher, which
 * Triton still tells it (its correlation id and flags): undefined when the
 * request names none, or names it in a way the batcher would refuse.
 */
export function namedSequence(parameters: Readonly<Parameters> | undefined): { id: CorrelationId; flags: number } | undefined {
  if (parameters?.sequence_id === undefined) return undefined;
  try {
    const info = readSequenceInfo('', parameters);
    return { id: info.id, flags: (info.start ? SEQUENCE_START : 0) | (info.end ? SEQUENCE_END : 0) };
  } catch {
    return undefined;
  }
}
