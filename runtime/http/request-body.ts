/**
 * Reading request bodies: every content type (application/json,
 * application/octet-stream, none at all) arrives as one raw Buffer, parsed
 * later by the route that knows what it should be. Replaces fastify's own
 * parsers so that neither its JSON parsing nor its error format leaks out.
 *
 * The body is copied once, chunk by chunk, into a buffer of its own (not a
 * slice of Node's shared pool), because binary input tensors become views of
 * it and live as long as the request does.
 */
import type { IncomingMessage } from 'node:http';
import { NereidError } from '../../sdk/errors.ts';

function tooLarge(size: number, limit: number, atLeast: boolean, binary: boolean): NereidError {
  return NereidError.invalidArg(
    `Request ${binary ? 'body' : 'JSON'} size of ${atLeast ? 'at least ' : ''}${size} bytes exceeds the maximum allowed value of ` +
      `${limit} bytes. Use --http-max-input-size to increase the limit.`,
  );
}

type Done = (error: Error | null, body?: Buffer) => void;

/** A fastify content-type parser (`addContentTypeParser('*', ...)`) enforcing `limit` bytes. */
export function createBodyReader(limit: number) {
  return function readBody(request: { headers: IncomingMessage['headers'] }, payload: IncomingMessage, done: Done): void {
    const binary = request.headers['inference-header-content-length'] !== undefined;
    const declared = request.headers['content-length'];
    if (declared !== undefined) {
      const length = Number(declared);
      if (length > limit) return done(tooLarge(length, limit, false, binary));
      readKnownLength(payload, length, done);
      return;
    }
    readChunked(payload, limit, binary, done);
  };
}

function readKnownLength(payload: IncomingMessage, length: number, done: Done): void {
  const body = Buffer.allocUnsafeSlow(length);
  let offset = 0;
  const onData = (chunk: Buffer) => {
    // Node's parser never delivers more than Content-Length; the check keeps the copy safe regardless.
    if (offset + chunk.length > length) return finish(NereidError.invalidArg('Request body is longer than its Content-Length'));
    body.set(chunk, offset);
    offset += chunk.length;
  };
  const onEnd = () => {
    if (offset !== length) return finish(NereidError.invalidArg(`Request body has ${offset} bytes but Content-Length says ${length}`));
    finish(null);
  };
  const finish = (error: Error | null) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', finish);
    done(error, error ? undefined : body);
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', finish);
}

function readChunked(payload: IncomingMessage, limit: number, binary: boolean, done: Done): void {
  const chunks: Buffer[] = [];
  let received = 0;
  const onData = (chunk: Buffer) => {
    received += chunk.length;
    if (received > limit) return finish(tooLarge(received, limit, true, binary));
    chunks.push(chunk);
  };
  const onEnd = () => finish(null);
  const finish = (error: Error | null) => {
    payload.removeListener('data', onData);
    payload.removeListener('end', onEnd);
    payload.removeListener('error', finish);
    if (error) return done(error);
    const body = Buffer.allocUnsafeSlow(received);
    let offset = 0;
    for (const chunk of chunks) {
      body.set(chunk, offset);
      offset += chunk.length;
    }
    done(null, body);
  };
  payload.on('data', onData);
  payload.on('end', onEnd);
  payload.on('error', finish);
}
