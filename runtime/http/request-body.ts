/**
 * Reading request bodies: every content type (application/json,
 * application/octet-stream, none at all) arrives as one raw Buffer, parsed
 * later by the route that knows what it should be. Replaces fastify's own
 * parsers so that neither its JSON parsing nor its error format leaks out.
 *
 * The body is a buffer of its own (not a slice of Node's shared pool),
 * because binary input tensors become views of it and live as long as the
 * request does. Node's HTTP parser hands out each body chunk as a fresh Buffer
 * over an ArrayBuffer of exactly its size, so a body that arrives in one chunk
 * (every small request) is used as it is; only a body in several chunks is
 * copied, once, into a buffer of the declared length.
 *
 * Hot path: the stream listeners are module-level functions that find their
 * read's state on the stream (`kRead`), so reading a body allocates one state
 * object and no closures.
 */
import type { IncomingMessage } from 'node:http';
import type { FastifyRequest } from 'fastify';
import { parseHeaderJson } from '../../sdk/codec/http-message.ts';
import { NereidError } from '../../sdk/errors.ts';

function tooLarge(size: number, limit: number, atLeast: boolean, binary: boolean): NereidError {
  return NereidError.invalidArg(
    `Request ${binary ? 'body' : 'JSON'} size of ${atLeast ? 'at least ' : ''}${size} bytes exceeds the maximum allowed value of ` +
      `${limit} bytes. Use --http-max-input-size to increase the limit.`,
  );
}

type Done = (error: Error | null, body?: Buffer) => void;

/** One body being read. `length` is the Content-Length, or -1 for a chunked body. */
class BodyRead {
  readonly done: Done;
  readonly length: number;
  readonly limit: number;
  readonly binary: boolean;
  /** Known length: the body once its first chunk arrived. */
  body: Buffer | undefined = undefined;
  /** Chunked: every chunk so far. */
  chunks: Buffer[] | undefined = undefined;
  received = 0;

  constructor(done: Done, length: number, limit: number, binary: boolean) {
    this.done = done;
    this.length = length;
    this.limit = limit;
    this.binary = binary;
  }
}

const kRead = Symbol('nereid.bodyRead');
type Payload = IncomingMessage & { [kRead]?: BodyRead };

/** True when `chunk` is the whole of a plain ArrayBuffer, so nothing else can see or reuse its memory. */
function ownsItsBuffer(chunk: Buffer): boolean {
  return chunk.byteOffset === 0 && chunk.buffer instanceof ArrayBuffer && chunk.buffer.byteLength === chunk.length;
}

/** A fastify content-type parser (`addContentTypeParser('*', ...)`) enforcing `limit` bytes. */
export function createBodyReader(limit: number) {
  return function readBody(request: { headers: IncomingMessage['headers'] }, payload: IncomingMessage, done: Done): void {
    const binary = request.headers['inference-header-content-length'] !== undefined;
    const declared = request.headers['content-length'];
    let length = -1;
    if (declared !== undefined) {
      length = Number(declared);
      if (length > limit) return done(tooLarge(length, limit, false, binary));
    }
    (payload as Payload)[kRead] = new BodyRead(done, length, limit, binary);
    payload.on('data', onData);
    payload.on('end', onEnd);
    payload.on('error', onError);
  };
}

function onData(this: Payload, chunk: Buffer): void {
  const read = this[kRead]!;
  const offset = read.received;
  read.received = offset + chunk.length;
  if (read.length < 0) {
    if (read.received > read.limit) return finish(this, read, tooLarge(read.received, read.limit, true, read.binary));
    (read.chunks ??= []).push(chunk);
    return;
  }
  // Node's parser never delivers more than Content-Length; the check keeps the copy safe regardless.
  if (read.received > read.length) return finish(this, read, NereidError.invalidArg('Request body is longer than its Content-Length'));
  if (read.body === undefined) {
    if (chunk.length === read.length && ownsItsBuffer(chunk)) read.body = chunk;
    else read.body = Buffer.allocUnsafeSlow(read.length);
  }
  if (read.body !== chunk) read.body.set(chunk, offset);
  // All Content-Length bytes are here: the body is complete without waiting for 'end', which Node
  // emits two ticks later. The route then runs at once, still inside the parser's callback; that is
  // fine, as fastify answers unknown routes from inside it too.
  if (read.received === read.length) finish(this, read, null);
}

function onEnd(this: Payload): void {
  const read = this[kRead]!;
  if (read.length < 0) return finish(this, read, null);
  if (read.received !== read.length) {
    return finish(this, read, NereidError.invalidArg(`Request body has ${read.received} bytes but Content-Length says ${read.length}`));
  }
  finish(this, read, null);
}

function onError(this: Payload, error: Error): void {
  finish(this, this[kRead]!, error);
}

function finish(payload: Payload, read: BodyRead, error: Error | null): void {
  payload.removeListener('data', onData);
  payload.removeListener('end', onEnd);
  payload.removeListener('error', onError);
  payload[kRead] = undefined;
  if (error) return read.done(error);
  read.done(null, read.length < 0 ? join(read.chunks, read.received) : (read.body ?? Buffer.allocUnsafeSlow(0)));
}

/** The chunks of a chunked body in one buffer of its own. */
function join(chunks: readonly Buffer[] | undefined, size: number): Buffer {
  if (chunks?.length === 1 && ownsItsBuffer(chunks[0]!)) return chunks[0]!;
  const body = Buffer.allocUnsafeSlow(size);
  let offset = 0;
  for (const chunk of chunks ?? []) {
    body.set(chunk, offset);
    offset += chunk.length;
  }
  return body;
}

/** The JSON object body of a control request (`what` names it in errors), or undefined when it has none. */
export function readJsonBody(request: FastifyRequest, what: string): Record<string, unknown> | undefined {
  const body = request.body as Buffer | undefined;
  if (!body || body.length === 0) return undefined;
  return parseHeaderJson(body.toString('utf8'), what);
}
