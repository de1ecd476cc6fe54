/**
 * The one table from Triton error codes to HTTP status codes, as Triton's
 * HTTP frontend maps them (`HttpCodeFromError` in src/http_server.cc):
 * INTERNAL 500, NOT_FOUND 404, UNAVAILABLE 503, UNSUPPORTED 501, and 400 for
 * the client's own mistakes (INVALID_ARG, ALREADY_EXISTS, CANCELLED, UNKNOWN).
 */
import type { ErrorCode } from '../../sdk/errors.ts';

export const HTTP_STATUS_BY_CODE: Readonly<Record<ErrorCode, number>> = Object.freeze({
  INTERNAL: 500,
  NOT_FOUND: 404,
  UNAVAILABLE: 503,
  UNSUPPORTED: 501,
  UNKNOWN: 400,
  INVALID_ARG: 400,
  ALREADY_EXISTS: 400,
  CANCELLED: 400,
});

/** The HTTP status for an error code. */
export function httpStatusOf(code: ErrorCode): number {
  return HTTP_STATUS_BY_CODE[code] ?? 500;
}
