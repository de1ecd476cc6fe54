import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createBodyReader } from '../../runtime/http/request-body.ts';

/** Runs the reader on a stream fed by the test; resolves with what `done` got. */
function read(headers: Record<string, string>, limit = 1024) {
  const payload = new PassThrough();
  const result = new Promise<{ error: Error | null; body?: Buffer }>((resolve) => {
    createBodyReader(limit)({ headers }, payload as unknown as IncomingMessage, (error, body) => resolve({ error, body }));
  });
  return { payload, result };
}

/** A Buffer over an ArrayBuffer of exactly its size, as Node's HTTP parser hands out body chunks. */
const owned = (bytes: number[]) => Buffer.from(new Uint8Array(bytes).buffer);

describe('request body reader', () => {
  it('takes a body that arrives as one chunk over a buffer of its own as it is, without waiting for the end', async () => {
    const { payload, result } = read({ 'content-length': '3' });
    const chunk = owned([1, 2, 3]);
    payload.write(chunk);
    const { error, body } = await result;
    expect(error).toBeNull();
    expect(body).toBe(chunk);
    expect(payload.listenerCount('data') + payload.listenerCount('end')).toBe(0);
  });

  it('copies a body that arrives in pieces, or in a slice of a larger buffer, into a buffer of its own', async () => {
    const pieces = read({ 'content-length': '4' });
    pieces.payload.write(owned([1, 2]));
    pieces.payload.write(owned([3, 4]));
    const { body } = await pieces.result;
    expect(Array.from(body!)).toEqual([1, 2, 3, 4]);
    expect(body!.byteOffset === 0 && body!.buffer.byteLength === 4).toBe(true);

    const slice = read({ 'content-length': '2' });
    const big = owned([9, 8, 7, 6]);
    slice.payload.write(big.subarray(1, 3));
    const sliced = await slice.result;
    expect(Array.from(sliced.body!)).toEqual([8, 7]);
    expect(sliced.body!.buffer).not.toBe(big.buffer);
  });

  it('reads an empty body at its end', async () => {
    const { payload, result } = read({ 'content-length': '0' });
    payload.end();
    expect((await result).body!.byteLength).toBe(0);
  });

  it('fails a body shorter than its Content-Length', async () => {
    const { payload, result } = read({ 'content-length': '5' });
    payload.end(owned([1, 2]));
    expect((await result).error?.message).toBe('Request body has 2 bytes but Content-Length says 5');
  });

  it('reads a chunked body to its end, within the limit', async () => {
    const ok = read({});
    ok.payload.write(owned([1]));
    ok.payload.end(owned([2, 3]));
    expect(Array.from((await ok.result).body!)).toEqual([1, 2, 3]);

    const single = read({});
    const chunk = owned([5, 6]);
    single.payload.end(chunk);
    expect((await single.result).body).toBe(chunk);

    const tooBig = read({ 'inference-header-content-length': '1' }, 2);
    tooBig.payload.write(owned([1, 2, 3]));
    expect((await tooBig.result).error?.message).toBe(
      'Request body size of at least 3 bytes exceeds the maximum allowed value of 2 bytes. Use --http-max-input-size to increase the limit.',
    );
  });
});
