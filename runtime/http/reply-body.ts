/**
 * Writing success bodies. JSON replies go through fastify as text; infer
 * replies are written straight to Node's response: the JSON header and each
 * binary output's bytes as they are (views of the output tensors, no
 * concatenation), corked so they leave in one write.
 */
import type { FastifyReply } from 'fastify';
import { HEADER_LENGTH_HEADER, type EncodedMessage } from '../../sdk/codec/http-message.ts';

/** 200 with a JSON text body, as `application/json` exactly (a string payload would get a charset appended). */
export function sendJson(reply: FastifyReply, json: string): FastifyReply {
  return reply.code(200).header('content-type', 'application/json').send(Buffer.from(json));
}

/** 200 with an empty body (health, ready, load, unload). */
export function sendEmpty(reply: FastifyReply, contentType?: string): FastifyReply {
  if (contentType) reply.header('content-type', contentType);
  return reply.code(200).send();
}

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

/**
 * 200 with an encoded infer message. The reply is taken over from fastify
 * (`hijack`) so the chunks need not be joined and the header keeps Triton's
 * spelling, `Inference-Header-Content-Length`.
 */
export function sendMessage(reply: FastifyReply, message: EncodedMessage): void {
  reply.hijack();
  const res = reply.raw;
  const headers: Record<string, string | number> = {
    'Content-Type': message.contentType,
    'Content-Length': message.byteLength,
  };
  if (message.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = message.headerLength;
  res.writeHead(200, headers);
  const chunks = message.chunks;
  if (chunks.length === 1) {
    res.end(asBuffer(chunks[0]));
    return;
  }
  res.cork();
  for (let i = 0; i < chunks.length - 1; i++) res.write(asBuffer(chunks[i]));
  // end() uncorks: the header and all tensors go out in a single writev.
  res.end(asBuffer(chunks[chunks.length - 1]));
}
