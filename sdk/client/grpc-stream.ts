/**
 * One gRPC `ModelStreamInfer` stream that carries many requests: send
 * requests as they become ready, read every response as it comes, in one
 * loop, over one HTTP/2 stream. This is how a client streams the chunks of a
 * sequence (`sequence_id`, `sequence_start`, `sequence_end`) to a stateful
 * model without a round trip per request, and how Triton's clients use the
 * stream (`start_stream` / `async_stream_infer`).
 *
 * gRPC only: the KServe v2 HTTP protocol has no stream that carries several
 * requests, so `HttpClient` has no counterpart (send one `infer` per request
 * there).
 *
 * - Responses come in the order the server produces them: the requests of
 *   one sequence in order, those of different models or sequences in any
 *   order. Give requests an `id` to match them up; each response carries it.
 * - A failed request is one item with `ok: false` (the protocol carries only
 *   a message, so its code is UNKNOWN), and the stream goes on.
 * - `end()` says no more requests will come: the server ends the stream once
 *   it has answered them, and the loop then finishes.
 * - `cancel()`, the stream's AbortSignal, or leaving the loop before the
 *   stream has finished (without `end()` first) cancels the stream and every
 *   request still in flight on the server; the loop then throws CANCELLED.
 *
 * @example
 * ```ts
 * const stream = client.openStream({ signal: AbortSignal.timeout(10_000) });
 * chunks.forEach((chunk, i) => stream.send({
 *   model: 'vad', id: String(i), inputs: [chunk],
 *   parameters: { sequence_id: 42, sequence_start: i === 0, sequence_end: i === chunks.length - 1 },
 * }));
 * stream.end();
 * for await (const item of stream) {
 *   if (item.ok) console.log(item.response.id, item.response.outputs[0].data[0]);
 *   else console.error(item.id, item.error.message);
 * }
 * ```
 */
import type { ClientDuplexStream } from '@grpc/grpc-js';
import { NereidError } from '../errors.ts';
import type { InferRequest, InferResponse } from '../inference.ts';
import { decodeModelInferResponse, encodeModelInferRequest, type ModelInferResponseMessage } from './grpc-client-codec.ts';

/** One message of the stream: a response, or the failure of one request. */
export type StreamItem =
  | {
      readonly ok: true;
      readonly response: InferResponse;
      /** The last response of its request (Triton's `triton_final_response`); for a model that is not decoupled, every response. */
      readonly final: boolean;
    }
  | {
      readonly ok: false;
      readonly error: NereidError;
      /** The failed request's model and `id` (when it had one). */
      readonly model: string;
      readonly id?: string;
    };

export interface StreamSendOptions {
  /**
   * Ask for an empty response that marks the end of this request when a
   * decoupled model finishes without one (`triton_enable_empty_final_response`).
   */
  emptyFinalResponse?: boolean;
}

/** A message of the stream as it arrives. */
interface StreamMessage {
  error_message: string;
  infer_response: ModelInferResponseMessage | null;
}

/** How the stream turns a failed call into a NereidError (the client's one rule for call failures). */
export type CallErrorMapper = (error: unknown, signal?: AbortSignal) => NereidError;

const FINAL_RESPONSE = 'triton_final_response';

export class GrpcStream implements AsyncIterable<StreamItem> {
  readonly #call: ClientDuplexStream<object, unknown>;
  readonly #signal: AbortSignal | undefined;
  readonly #callError: CallErrorMapper;
  /** Messages received and not yet read by the loop. */
  readonly #queue: StreamMessage[] = [];
  #failure: unknown;
  /** The server ended the stream (every request answered). */
  #serverEnded = false;
  /** `end()` was called: no more requests. */
  #ended = false;
  #cancelled = false;
  #iterating = false;
  #wake: (() => void) | undefined;
  readonly #onAbort = () => this.cancel();

  /** Use `GrpcClient.openStream()`. */
  constructor(call: ClientDuplexStream<object, unknown>, callError: CallErrorMapper, signal?: AbortSignal) {
    this.#call = call;
    this.#signal = signal;
    this.#callError = callError;
    const notify = () => this.#wake?.();
    call.on('data', (message: StreamMessage) => {
      this.#queue.push(message);
      notify();
    });
    call.on('error', (error: unknown) => {
      this.#failure = error;
      this.#release();
      notify();
    });
    call.on('end', () => {
      this.#serverEnded = true;
      this.#release();
      notify();
    });
    signal?.addEventListener('abort', this.#onAbort, { once: true });
    if (signal?.aborted) this.cancel();
  }

  /**
   * Sends one request on the stream (buffered by grpc-js; nothing waits for
   * it). Throws INVALID_ARG after `end()`, CANCELLED or the stream's error
   * once it has been cancelled or has failed, and UNAVAILABLE once the
   * server has ended it (a server shutting down ends its streams).
   */
  send(request: InferRequest, options: StreamSendOptions = {}): void {
    if (this.#cancelled) throw NereidError.cancelled('the stream was cancelled');
    if (this.#failure !== undefined) throw this.#callError(this.#failure, this.#signal);
    if (this.#ended) throw NereidError.invalidArg(`cannot send a request for model '${request.model}': the stream was ended with end()`);
    if (this.#serverEnded) throw NereidError.unavailable(`cannot send a request for model '${request.model}': the server ended the stream`);
    const extra = options.emptyFinalResponse ? { triton_enable_empty_final_response: { bool_param: true } } : undefined;
    this.#call.write(encodeModelInferRequest(request, extra));
  }

  /** No more requests: the server ends the stream once it has answered those sent, and the loop finishes. */
  end(): void {
    if (this.#ended || this.#cancelled) return;
    this.#ended = true;
    this.#call.end();
  }

  /** Cancels the stream and the requests in flight on the server; the loop throws CANCELLED. */
  cancel(): void {
    if (this.#cancelled || this.#serverEnded || this.#failure !== undefined) return;
    this.#cancelled = true;
    this.#call.cancel();
  }

  /** The stream's messages, for one loop. */
  async *[Symbol.asyncIterator](): AsyncGenerator<StreamItem> {
    if (this.#iterating) throw NereidError.invalidArg('a stream can be read by one loop only');
    this.#iterating = true;
    try {
      for (;;) {
        const message = this.#queue.shift();
        if (message) {
          yield readMessage(message);
          continue;
        }
        if (this.#failure !== undefined) throw this.#callError(this.#failure, this.#signal);
        if (this.#serverEnded) return;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      // Left early: unless the caller ended the stream (the server finishes it then), stop everything.
      if (!this.#ended) this.cancel();
    }
  }

  /** The stream is over: stop listening to the caller's signal. */
  #release(): void {
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }
}

/** The item of one received message; the final-response flag moves out of the response's parameters. */
function readMessage(message: StreamMessage): StreamItem {
  const answer = message.infer_response;
  if (message.error_message) {
    return { ok: false, error: new NereidError('UNKNOWN', message.error_message), model: answer?.model_name ?? '', ...(answer?.id ? { id: answer.id } : {}) };
  }
  if (!answer) return { ok: false, error: NereidError.internal('the server sent a stream message with neither a response nor an error'), model: '' };
  const response = decodeModelInferResponse(answer);
  const flag = response.parameters?.[FINAL_RESPONSE];
  if (response.parameters && flag !== undefined) {
    delete response.parameters[FINAL_RESPONSE];
    if (Object.keys(response.parameters).length === 0) delete response.parameters;
  }
  // A server that does not send the flag answers each request once.
  return { ok: true, response, final: flag !== false };
}
