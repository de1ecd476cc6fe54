/**
 * The client's side of the servers' error tables: an HTTP status or a gRPC
 * status code back to one of Triton's error codes. The servers' tables
 * (runtime/http/error-status.ts, runtime/grpc/error-status.ts) map several
 * codes to HTTP 400; it reads back as INVALID_ARG, the usual one.
 *
 * gRPC status numbers are spelled out here so that this module does not
 * import grpc-js (only the gRPC client does).
 *
 * @example
 * ```ts
 * errorCodeFromHttpStatus(404); // 'NOT_FOUND'
 * errorCodeFromGrpcStatus(12);  // 'UNSUPPORTED' (UNIMPLEMENTED)
 * ```
 */
import type { ErrorCode } from '../errors.ts';

const BY_HTTP_STATUS: Readonly<Record<number, ErrorCode>> = Object.freeze({
  400: 'INVALID_ARG',
  404: 'NOT_FOUND',
  499: 'CANCELLED',
  500: 'INTERNAL',
  501: 'UNSUPPORTED',
  503: 'UNAVAILABLE',
});

/** The error code an HTTP error status stands for (UNKNOWN for statuses no table produces). */
export function errorCodeFromHttpStatus(status: number): ErrorCode {
  return BY_HTTP_STATUS[status] ?? 'UNKNOWN';
}

/** gRPC status codes (grpc/status.h), by number. */
const BY_GRPC_STATUS: Readonly<Record<number, ErrorCode>> = Object.freeze({
  1: 'CANCELLED', // CANCELLED
  2: 'UNKNOWN', // UNKNOWN
  3: 'INVALID_ARG', // INVALID_ARGUMENT
  4: 'UNAVAILABLE', // DEADLINE_EXCEEDED
  5: 'NOT_FOUND', // NOT_FOUND
  6: 'ALREADY_EXISTS', // ALREADY_EXISTS
  8: 'UNAVAILABLE', // RESOURCE_EXHAUSTED
  9: 'INVALID_ARG', // FAILED_PRECONDITION
  11: 'INVALID_ARG', // OUT_OF_RANGE
  12: 'UNSUPPORTED', // UNIMPLEMENTED
  13: 'INTERNAL', // INTERNAL
  14: 'UNAVAILABLE', // UNAVAILABLE
});

/** The error code a gRPC status stands for. */
export function errorCodeFromGrpcStatus(status: number): ErrorCode {
  return BY_GRPC_STATUS[status] ?? 'UNKNOWN';
}
