/**
 * Every HTTP error leaves as `{"error": "<message>"}` with the status from the
 * one table in error-status.ts, whether it came from the server, a codec, a
 * route, fastify itself, or Node's HTTP parser. Unexpected exceptions become
 * INTERNAL (500) and are logged in full; the client sees their message only.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { NereidError } from '../../sdk/errors.ts';
import type { Logger } from '../logging/logger.ts';
import { httpStatusOf } from './error-status.ts';

/** The JSON error body Triton sends. */
export function errorBody(message: string): string {
  return JSON.stringify({ error: message });
}

/** Sends `{"error": message}` with `status`, as `application/json` exactly (Triton adds no charset). */
export function sendErrorBody(reply: FastifyReply, status: number, message: string): FastifyReply {
  // A Buffer payload keeps the content type as set; a string would get '; charset=utf-8' appended.
  return reply.code(status).header('content-type', 'application/json').send(Buffer.from(errorBody(message)));
}

interface FrameworkError extends Error {
  code?: string;
  statusCode?: number;
}

/** Status and message for anything thrown while handling a request. */
export function describeError(error: unknown): { status: number; message: string; unexpected: boolean } {
  if (error instanceof NereidError) return { status: httpStatusOf(error.code), message: error.message, unexpected: error.code === 'INTERNAL' };
  const framework = error as FrameworkError;
  // fastify's own errors (FST_*) carry the status they mean, e.g. 415 for an unparseable Content-Type.
  if (typeof framework?.code === 'string' && framework.code.startsWith('FST_') && typeof framework.statusCode === 'number') {
    return { status: framework.statusCode, message: framework.message, unexpected: framework.statusCode >= 500 };
  }
  const wrapped = NereidError.from(error);
  return { status: httpStatusOf(wrapped.code), message: wrapped.message, unexpected: true };
}

/** fastify's error handler: the single exit for every error of every route. */
export function createErrorHandler(log: Logger) {
  return function handleError(error: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
    const { status, message, unexpected } = describeError(error);
    if (unexpected) log.error(`HTTP ${request.method} ${request.url} failed with ${status}: ${message}`, error);
    return sendErrorBody(reply, status, message);
  };
}

/** For fastify's `frameworkErrors`: a URL that does not decode, and the like, before any route runs. */
export function handleFrameworkError(error: Error, _request: FastifyRequest, reply: FastifyReply): void {
  sendErrorBody(reply, 400, error.message);
}

/**
 * For fastify's `clientErrorHandler`: a request Node's HTTP parser rejected
 * (malformed request line, header overflow). No request object exists yet,
 * so the reply is written to the socket directly, and the connection closed.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const status = error.code === 'HPE_HEADER_OVERFLOW' ? 431 : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
  const body = errorBody(`${STATUS_CODES[status]}: malformed HTTP request (${error.code ?? error.message})`);
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}
