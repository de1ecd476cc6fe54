/**
 * Cancellation as a model.ts sees it during one execute: each request with
 * a signal gets a token the isolate can ask about (`request.isCancelled()`
 * -> `HostBridge.isCancelled(token)`), and the BLS calls the execute makes
 * get a signal that aborts once every request of the batch is cancelled (a
 * BLS call cannot be told apart by request, so only then is none of its
 * answers wanted any more).
 *
 * Ownership: made by the instance for one execute; `dispose()` when it ends.
 *
 * @example
 * ```ts
 * const cancellation = new ExecuteCancellation(requests, nextToken);
 * descriptor.cancelToken = cancellation.tokenOf(0);
 * host.infer(blsRequest with { signal: cancellation.blsSignal });
 * cancellation.dispose();
 * ```
 */
import type { ExecRequest } from '../backend.ts';

export class ExecuteCancellation {
  readonly #tokens: number[];
  readonly #signals = new Map<number, AbortSignal>();
  readonly #all = new AbortController();
  readonly #stops: (() => void)[] = [];
  /** The signal for BLS calls of this execute; undefined when some request cannot be cancelled. */
  readonly blsSignal: AbortSignal | undefined;

  /**
   * `firstToken`: the instance's next unused token (tokens are never reused,
   * so a late question finds nothing). `notify(token)` runs when a request is
   * cancelled while the execute runs (the script's `request.signal` fires).
   */
  constructor(requests: readonly ExecRequest[], firstToken: number, notify: (token: number) => void) {
    this.#tokens = requests.map((request, i) => {
      if (!request.signal) return 0;
      const token = firstToken + i;
      this.#signals.set(token, request.signal);
      const aborted = (): void => notify(token);
      request.signal.addEventListener('abort', aborted, { once: true });
      this.#stops.push(() => request.signal!.removeEventListener('abort', aborted));
      return token;
    });
    const cancellable = requests.length > 0 && requests.every((request) => request.signal);
    this.blsSignal = cancellable ? this.#all.signal : undefined;
    if (!cancellable) return;
    let left = requests.filter((request) => !request.signal!.aborted).length;
    if (left === 0) this.#all.abort();
    for (const request of requests) {
      const signal = request.signal!;
      if (signal.aborted) continue;
      const aborted = (): void => {
        if (--left === 0) this.#all.abort();
      };
      signal.addEventListener('abort', aborted, { once: true });
      this.#stops.push(() => signal.removeEventListener('abort', aborted));
    }
  }

  /** Tokens this execute used: the next execute starts after them. */
  get tokenCount(): number {
    return this.#tokens.length;
  }

  /** The token of request `index` (0: it has no signal). */
  tokenOf(index: number): number {
    return this.#tokens[index] ?? 0;
  }

  isCancelled(token: number): boolean {
    return this.#signals.get(token)?.aborted ?? false;
  }

  dispose(): void {
    for (const stop of this.#stops) stop();
    this.#signals.clear();
  }
}
