/**
 * The responses of one streamed inference, as they arrive: a decoupled
 * model sends any number (the last marked final), any other model exactly
 * one. Producers push; the consumer iterates with `for await`. A consumer
 * that stops early (break, return, throw) cancels the request.
 *
 * The request's own signal (a client's cancellation) is linked to the
 * stream's cancel for as long as the stream lives, with one listener that
 * goes when it ends: not AbortSignal.any, which costs tens of µs and keeps
 * a dependent on a long-lived signal (a gRPC stream's, shared by all of its
 * requests) for every request.
 *
 * @example
 * ```ts
 * const stream = new ResponseStream(request.signal);
 * stream.signal; // aborts when request.signal does, or when the consumer stops early
 * stream.push({ response, final: false });
 * stream.push({ final: true });
 * for await (const item of stream) ...
 * ```
 */
import type { InferStreamItem } from '../../sdk/inference.ts';

export class ResponseStream implements AsyncIterable<InferStreamItem> {
  readonly #items: InferStreamItem[] = [];
  readonly #cancel = new AbortController();
  readonly #unlink: (() => void) | undefined;
  #waiting: (() => void) | undefined;
  #ended = false;

  /** `outer`: the request's own signal, if it has one. */
  constructor(outer?: AbortSignal) {
    if (outer?.aborted) this.#cancel.abort(outer.reason);
    else if (outer) {
      const relay = (): void => this.#cancel.abort(outer.reason);
      outer.addEventListener('abort', relay, { once: true });
      this.#unlink = () => outer.removeEventListener('abort', relay);
    }
  }

  /** What the request runs under: aborted by the outer signal, or by a consumer that stops before the final item. */
  get signal(): AbortSignal {
    return this.#cancel.signal;
  }

  /** True once the final item has been pushed. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds an item; items after the final one are dropped. */
  push(item: InferStreamItem): void {
    if (this.#ended) return;
    this.#items.push(item);
    if (item.final) this.#end();
    const waiting = this.#waiting;
    this.#waiting = undefined;
    waiting?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<InferStreamItem> {
    let finished = false;
    try {
      for (;;) {
        const item = this.#items.shift();
        if (item === undefined) {
          await new Promise<void>((resolve) => (this.#waiting = resolve));
          continue;
        }
        yield item;
        if (item.final) {
          finished = true;
          return;
        }
      }
    } finally {
      if (!finished) {
        this.#cancel.abort();
        this.#end();
      }
    }
  }

  #end(): void {
    this.#ended = true;
    this.#unlink?.();
  }
}
