/**
 * The responses of one streamed inference, as they arrive: a decoupled
 * model sends any number (the last marked final), any other model exactly
 * one. Producers push; the consumer iterates with `for await`. A consumer
 * that stops early (break, return, throw) cancels the request.
 *
 * @example
 * ```ts
 * const stream = new ResponseStream(cancel);
 * stream.push({ response, final: false });
 * stream.push({ final: true });
 * for await (const item of stream) ...
 * ```
 */
import type { InferStreamItem } from '../../sdk/inference.ts';

export class ResponseStream implements AsyncIterable<InferStreamItem> {
  readonly #items: InferStreamItem[] = [];
  readonly #cancel: AbortController;
  #waiting: (() => void) | undefined;
  #ended = false;

  /** `cancel` is aborted when the consumer stops before the final item. */
  constructor(cancel: AbortController) {
    this.#cancel = cancel;
  }

  /** True once the final item has been pushed. */
  get ended(): boolean {
    return this.#ended;
  }

  /** Adds an item; items after the final one are dropped. */
  push(item: InferStreamItem): void {
    if (this.#ended) return;
    this.#items.push(item);
    if (item.final) this.#ended = true;
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
      if (!finished) this.#cancel.abort();
    }
  }
}
