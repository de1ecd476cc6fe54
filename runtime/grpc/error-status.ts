/**
 * The one table from Triton error codes to gRPC status codes, the sibling of
 * runtime/http/error-status.ts, as Triton's gRPC frontend maps them
 * (reference §3.6): INTERNAL, NOT_FOUND, UNAVAILABLE and the client's own
 * mistakes keep their names; UNSUPPORTED is UNIMPLEMENTED.
 *
 * @example
 * ```ts
 * grpcStatusOf('NOT_FOUND');   // status.NOT_FOUND (5)
 * grpcStatusOf('UNSUPPORTED'); // status.UNIMPLEMENTED (12)
 * ```
 */
import { status } from '@grpc/grpc-js';
import type { ErrorCode } from '../../sdk/errors.ts';

export const GRPC_STATUS_BY_CODE: Readonly<Record<ErrorCode, status>> = Object.freeze({
  INTERNAL: status.INTERNAL,
  NOT_FOUND: status.NOT_FOUND,
  UNAVAILABLE: status.UNAVAILABLE,
  UNSUPPORTED: status.UNIMPLEMENTED,
  UNKNOWN: status.UNKNOWN,
  INVALID_ARG: status.INVALID_ARGUMENT,
  ALREADY_EXISTS: status.ALREADY_EXISTS,
  CANCELLED: status.CANCELLED,
});

/** The gRPC status for an error code. */
export function grpcStatusOf(code: ErrorCode): status {
  return GRPC_STATUS_BY_CODE[code] ?? status.INTERNAL;
}
