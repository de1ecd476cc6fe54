/**
 * The framing of a KServe v2 HTTP infer message (request or response) under
 * Triton's binary tensor data extension: a JSON header, then the raw bytes of
 * every binary tensor in the order the tensors appear in the JSON, with the
 * header's byte length in the `Inference-Header-Content-Length` HTTP header.
 * Without that header the whole body is JSON.
 *
 * Shared by the request and response codecs, in both directions.
 *
 * @example
 * ```ts
 * const message = encodeMessage('{"outputs":[...]}', [tensor.toBytes()]);
 * message.headerLength;            // byte length of the JSON, for Inference-Header-Content-Length
 * const body = concatChunks(message.chunks, message.byteLength);
 * const { json, binary } = readMessage(body, String(message.headerLength), 'response');
 * const cursor = binary();
 * cursor.take(16, "output 'OUT'");  // the first tensor's 16 bytes (a view)
 * cursor.finish();                 // throws if bytes are left over
 * ```
 */
import { NereidError } from '../errors.ts';
import { JsonSyntaxError, parseJsonExact } from './json-exact.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** The HTTP header that carries the JSON header's byte length. */
export const HEADER_LENGTH_HEADER = 'Inference-Header-Content-Length';

/** An encoded message body, kept in pieces so tensor bytes are not copied to build it. */
export interface EncodedMessage {
  /** `application/octet-stream` when any tensor travels as binary data, else `application/json`. */
  contentType: 'application/json' | 'application/octet-stream';
  /** The `Inference-Header-Content-Length` value; undefined for a JSON-only body (send no such header). */
  headerLength: number | undefined;
  /** The body in order: the UTF-8 JSON header, then each binary tensor's bytes (views, not copies). */
  chunks: Uint8Array[];
  /** Total body length in bytes. */
  byteLength: number;
}

/** Frames a JSON header and binary tensor payloads (which may be empty) as one message. */
export function encodeMessage(jsonText: string, binary: readonly Uint8Array[], anyBinary = binary.length > 0): EncodedMessage {
  const header = utf8Encoder.encode(jsonText);
  const chunks: Uint8Array[] = [header];
  let byteLength = header.byteLength;
  for (const piece of binary) {
    // Zero-length tensors still say binary_data_size 0 in the JSON but add no bytes.
    if (piece.byteLength === 0) continue;
    chunks.push(piece);
    byteLength += piece.byteLength;
  }
  return anyBinary
    ? { contentType: 'application/octet-stream', headerLength: header.byteLength, chunks, byteLength }
    : { contentType: 'application/json', headerLength: undefined, chunks, byteLength };
}

/** Joins a message's chunks into one buffer (no copy when there is one chunk). */
export function concatChunks(chunks: readonly Uint8Array[], byteLength?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0];
  let total = byteLength ?? 0;
  if (byteLength === undefined) for (const chunk of chunks) total += chunk.byteLength;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

/**
 * Reads the `Inference-Header-Content-Length` value: undefined when absent
 * (the whole body is JSON), else a byte count no larger than the body.
 */
export function parseHeaderLength(value: string | number | undefined, bodyLength: number): number | undefined {
  if (value === undefined) return undefined;
  const text = String(value).trim();
  if (!isDigits(text)) {
    throw NereidError.invalidArg(`Unable to parse ${HEADER_LENGTH_HEADER}, got: ${JSON.stringify(String(value))}`);
  }
  const length = Number(text);
  if (length > bodyLength) {
    throw NereidError.invalidArg(
      `${HEADER_LENGTH_HEADER} is ${length} but the body has only ${bodyLength} bytes; the JSON header cannot be longer than the body`,
    );
  }
  return length;
}

/** True for one or more ASCII digits, as /^\d+$/ but without a regex run on every request. */
function isDigits(text: string): boolean {
  if (text.length === 0) return false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * Hands out the binary section of a message, tensor by tensor, in order.
 * Each piece is a view of the body, not a copy.
 */
export class BinaryCursor {
  readonly #body: Uint8Array;
  readonly #start: number;
  readonly #headerGiven: boolean;
  readonly #what: string;
  #offset: number;

  constructor(body: Uint8Array, start: number, headerGiven: boolean, what: string) {
    // A plain Uint8Array view, even when given a Node Buffer: Buffer#slice() shares memory where
    // Uint8Array#slice() copies, and tensor code relies on the latter.
    this.#body = new Uint8Array(body.buffer, body.byteOffset, body.byteLength);
    this.#start = start;
    this.#offset = start;
    this.#headerGiven = headerGiven;
    this.#what = what;
  }

  /** The next `size` bytes, for the tensor that `owner` names (e.g. `input 'INPUT0'`). */
  take(size: number, owner: string): Uint8Array {
    if (size === 0) return this.#body.subarray(this.#offset, this.#offset);
    if (!this.#headerGiven) {
      throw NereidError.invalidArg(
        `${owner} has binary_data_size ${size} but the ${this.#what} has no ${HEADER_LENGTH_HEADER} header; ` +
          `binary tensor data needs it to tell where the JSON ends`,
      );
    }
    const remaining = this.#body.byteLength - this.#offset;
    if (size > remaining) {
      throw NereidError.invalidArg(
        `${owner} has binary_data_size ${size} but only ${remaining} bytes of binary data remain in the ${this.#what} body ` +
          `(${HEADER_LENGTH_HEADER} ${this.#start}, body ${this.#body.byteLength} bytes)`,
      );
    }
    const piece = this.#body.subarray(this.#offset, this.#offset + size);
    this.#offset += size;
    return piece;
  }

  /** Throws when bytes are left after the last binary tensor. */
  finish(): void {
    const extra = this.#body.byteLength - this.#offset;
    if (extra > 0) {
      throw NereidError.invalidArg(
        `${this.#what} body has ${extra} unexpected bytes after the JSON header and the binary data of all tensors ` +
          `(${HEADER_LENGTH_HEADER} ${this.#start}, binary_data_size total ${this.#offset - this.#start}, body ${this.#body.byteLength} bytes)`,
      );
    }
  }
}

/** A message's JSON header text, not parsed yet, and its binary section. */
export interface MessageText {
  text: string;
  /** A fresh cursor over the binary section (a second decoding pass needs its own). */
  binary(): BinaryCursor;
}

/** A message's JSON header, parsed, with the text kept for an exact re-parse. */
export interface MessageHeader extends MessageText {
  json: Record<string, unknown>;
}

/** `MessageText` as a class: `binary()` is a method, not a closure allocated per message. */
class SplitMessage implements MessageText {
  readonly text: string;
  readonly #body: Uint8Array;
  readonly #end: number;
  readonly #headerGiven: boolean;
  readonly #what: string;

  constructor(text: string, body: Uint8Array, end: number, headerGiven: boolean, what: string) {
    this.text = text;
    this.#body = body;
    this.#end = end;
    this.#headerGiven = headerGiven;
    this.#what = what;
  }

  binary(): BinaryCursor {
    return new BinaryCursor(this.#body, this.#end, this.#headerGiven, this.#what);
  }
}

class ParsedMessage implements MessageHeader {
  readonly json: Record<string, unknown>;
  readonly #split: MessageText;

  constructor(json: Record<string, unknown>, split: MessageText) {
    this.json = json;
    this.#split = split;
  }

  get text(): string {
    return this.#split.text;
  }

  binary(): BinaryCursor {
    return this.#split.binary();
  }
}

/**
 * Splits a body into its JSON header text and binary section, without
 * parsing the JSON (a caller may already know what that text says).
 * `what` names the message in errors ('request' or 'response').
 */
export function splitMessage(body: Uint8Array, headerLengthValue: string | number | undefined, what: string): MessageText {
  const headerLength = parseHeaderLength(headerLengthValue, body.byteLength);
  if (headerLength === 0) {
    throw NereidError.unsupported(
      `${HEADER_LENGTH_HEADER}: 0 (a raw binary ${what} with no JSON header) is not supported yet; send a JSON header`,
    );
  }
  const end = headerLength ?? body.byteLength;
  const text = utf8Decoder.decode(end === body.byteLength ? body : body.subarray(0, end));
  return new SplitMessage(text, body, end, headerLength !== undefined, what);
}

/**
 * Splits a body into its parsed JSON header and a cursor over the binary
 * section. `what` names the message in errors ('request' or 'response').
 */
export function readMessage(body: Uint8Array, headerLengthValue: string | number | undefined, what: string): MessageHeader {
  const split = splitMessage(body, headerLengthValue, what);
  return new ParsedMessage(parseHeaderJson(split.text, what), split);
}

/** Parses header JSON text, which must be an object; syntax errors name the offset. */
export function parseHeaderJson(text: string, what: string, exact = false): Record<string, unknown> {
  let value: unknown;
  if (exact) value = parseExactOrThrow(text, what);
  else {
    try {
      value = JSON.parse(text);
    } catch (error) {
      // The built-in's message rarely has an offset; the exact parser finds it (error path only).
      value = parseExactOrThrow(text, what);
      throw NereidError.invalidArg(`failed to parse the ${what} JSON: ${(error as Error).message}`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw NereidError.invalidArg(`the ${what} JSON must be an object`);
  }
  return value as Record<string, unknown>;
}

function parseExactOrThrow(text: string, what: string): unknown {
  try {
    return parseJsonExact(text);
  } catch (error) {
    if (error instanceof JsonSyntaxError) {
      throw NereidError.invalidArg(`failed to parse the ${what} JSON: ${error.reason} at position ${error.position}`);
    }
    throw NereidError.invalidArg(`failed to parse the ${what} JSON: ${(error as Error).message}`);
  }
}
