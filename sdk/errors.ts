/**
 * The one error type of nereid, carrying a code from Triton's small set.
 * Frontends map the code to an HTTP or gRPC status in one table each; errors
 * cross thread and isolate boundaries as plain `{ code, message }` data.
 *
 * @example
 * ```ts
 * import { NereidError } from 'nereid/sdk';
 * throw NereidError.invalidArg("model 'simple': input 'INPUT0' expects datatype INT32, got FP32");
 * ```
 */

/** Triton's error codes (TRITONSERVER_Error_Code without the prefix). */
export type ErrorCode =
  | 'UNKNOWN'
  | 'INTERNAL'
  | 'NOT_FOUND'
  | 'INVALID_ARG'
  | 'UNAVAILABLE'
  | 'UNSUPPORTED'
  | 'ALREADY_EXISTS'
  | 'CANCELLED';

/** The serialisable form of an error, as it crosses threads, isolates and wires. */
export interface ErrorData {
  code: ErrorCode;
  message: string;
}

const CODES: ReadonlySet<string> = new Set<ErrorCode>([
  'UNKNOWN',
  'INTERNAL',
  'NOT_FOUND',
  'INVALID_ARG',
  'UNAVAILABLE',
  'UNSUPPORTED',
  'ALREADY_EXISTS',
  'CANCELLED',
]);

/** True when `code` is one of Triton's error codes. */
export function isErrorCode(code: unknown): code is ErrorCode {
  return typeof code === 'string' && CODES.has(code);
}

/** An error with a Triton error code. */
export class NereidError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'NereidError';
    this.code = code;
  }

  static invalidArg(message: string): NereidError {
    return new NereidError('INVALID_ARG', message);
  }
  static notFound(message: string): NereidError {
    return new NereidError('NOT_FOUND', message);
  }
  static unavailable(message: string): NereidError {
    return new NereidError('UNAVAILABLE', message);
  }
  static unsupported(message: string): NereidError {
    return new NereidError('UNSUPPORTED', message);
  }
  static internal(message: string, cause?: unknown): NereidError {
    return new NereidError('INTERNAL', message, { cause });
  }
  static cancelled(message: string): NereidError {
    return new NereidError('CANCELLED', message);
  }

  /** Rebuilds an error that crossed a boundary as data. */
  static fromData(data: ErrorData): NereidError {
    return new NereidError(isErrorCode(data.code) ? data.code : 'INTERNAL', String(data.message));
  }

  /**
   * The one choke point that turns any thrown value into a NereidError.
   * Unexpected exceptions become INTERNAL, keeping their message.
   */
  static from(value: unknown, context?: string): NereidError {
    if (value instanceof NereidError) return value;
    const message = value instanceof Error ? value.message : String(value);
    return new NereidError('INTERNAL', context ? `${context}: ${message}` : message, { cause: value });
  }

  toData(): ErrorData {
    return { code: this.code, message: this.message };
  }
}
