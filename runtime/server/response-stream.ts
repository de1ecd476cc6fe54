/**
 * The responses of one streamed inference, as they arrive: a decoupled
 * model sends any number (the last marked final), any other model exactly
 * one. Producers push; the consumer iterates with `for await`. A consumer
 * that stops early (break, return, throw) cancels the request.
 *
 * The request's own signal (a client's cancellation) is linked to the
 * stream's cancel for as long as the stream lives. Not with AbortSignal.any,
 * which costs tens of µs and keeps a dependent on a long-lived signal for
 * every request, and not with a listener per stream either: a gRPC stream's
 * signal is shared by all of its requests (thousands, for an audio stream),
 * so each outer signal gets one listener that cancels the streams linked to
 * it at that moment.
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

/** The streams each outer signal cancels when it aborts; one 'abort' listener per outer signal. */
const linked = new WeakMap<AbortSignal, Set<AbortController>>();

/** Links `inner` to `outer` until the returned function is called. */
function link(outer: AbortSignal, inner: AbortController): () => void {
  let streams = linked.get(outer);
  if (streams === undefined) {
    const created = new Set<AbortController>();
    streams = created;
    linked.set(outer, created);
    outer.addEventListener('abort', () => {
      linked.delete(outer);
      for (const stream of created) stream.abort(outer.reason);
    }, { once: true });
  }
  const set = streams;
  set.add(inner);
  return () => set.delete(inner);
}

export class ResponseStream implements AsyncIterable<InferStreamItem> {
  readonly #items: InferStreamItem[] = [];
  readonly #cancel = new AbortController();
  readonly #unlink: (() => void) | undefined;
  #waiting: (() => void) | undefined;
  #ended = false;

  /** `outer`: the request's own signal, if it has one. */
  constructor(outer?: AbortSignal) {
    if (outer?.aborted) this.#cancel.abort(outer.reason);
    else if (outer) this.#unlink = link(outer, this.#cancel);
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
