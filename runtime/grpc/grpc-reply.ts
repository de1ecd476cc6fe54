/**
 * The one exit for errors of the gRPC frontend: anything a handler throws or
 * rejects with becomes a status from the table in error-status.ts and the
 * error's message, as Triton's gRPC frontend answers. Unexpected exceptions
 * become INTERNAL and are logged in full; the client sees their message only.
 */
import { Metadata, type sendUnaryData, type ServerUnaryCall, type ServiceError, type handleUnaryCall } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { Logger } from '../logging/logger.ts';
import { grpcStatusOf } from './error-status.ts';

/** The NereidError any thrown value stands for; unexpected ones are logged with `rpc`. */
export function toNereidError(error: unknown, log: Logger, rpc: string): NereidError {
  const wrapped = NereidError.from(error);
  if (!(error instanceof NereidError) || error.code === 'INTERNAL') log.error(`gRPC ${rpc} failed: ${wrapped.message}`, error);
  return wrapped;
}

/** The ServiceError grpc-js sends for `error`. */
export function serviceError(error: NereidError): Partial<ServiceError> {
  return { code: grpcStatusOf(error.code), details: error.message, metadata: new Metadata() };
}

/**
 * A grpc-js unary handler around `handle`, which returns (or resolves with)
 * the response message or throws a NereidError.
 */
export function unary<Req, Res>(log: Logger, rpc: string, handle: (request: Req, call: ServerUnaryCall<Req, Res>) => Res | Promise<Res>): handleUnaryCall<Req, Res> {
  return (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>) => {
    let result: Res | Promise<Res>;
    try {
      result = handle(call.request, call);
    } catch (error) {
      callback(serviceError(toNereidError(error, log, rpc)));
      return;
    }
    if (result instanceof Promise) {
      result.then(
        (response) => callback(null, response),
        (error: unknown) => callback(serviceError(toNereidError(error, log, rpc))),
      );
    } else {
      callback(null, result);
    }
  };
}

/** A unary handler that always answers UNIMPLEMENTED with `message`. */
export function unimplemented(message: string): handleUnaryCall<unknown, unknown> {
  return (_call, callback) => callback(serviceError(NereidError.unsupported(message)));
}
