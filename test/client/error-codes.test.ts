/**
 * The client's reverse error tables read back what the servers' tables
 * (runtime/http/error-status.ts, runtime/grpc/error-status.ts) write, for
 * every code that has a status of its own.
 */
import { describe, expect, it } from 'vitest';
import { GRPC_STATUS_BY_CODE } from '../../runtime/grpc/error-status.ts';
import { HTTP_STATUS_BY_CODE } from '../../runtime/http/error-status.ts';
import { errorCodeFromGrpcStatus, errorCodeFromHttpStatus } from '../../sdk/client/error-codes.ts';
import type { ErrorCode } from '../../sdk/errors.ts';

const CODES = Object.keys(GRPC_STATUS_BY_CODE) as ErrorCode[];

describe('client error codes', () => {
  it('map every gRPC status the server sends back to its code', () => {
    for (const code of CODES) expect(errorCodeFromGrpcStatus(GRPC_STATUS_BY_CODE[code]), code).toBe(code);
  });

  it('map HTTP statuses back, 400 as INVALID_ARG', () => {
    for (const code of CODES) {
      const expected = HTTP_STATUS_BY_CODE[code] === 400 ? 'INVALID_ARG' : code;
      expect(errorCodeFromHttpStatus(HTTP_STATUS_BY_CODE[code]), code).toBe(expected);
    }
    expect(errorCodeFromHttpStatus(418)).toBe('UNKNOWN');
    expect(errorCodeFromGrpcStatus(99)).toBe('UNKNOWN');
  });
});
