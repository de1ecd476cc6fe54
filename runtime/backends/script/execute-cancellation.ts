/**
 * Cancellation as a model.ts sees it during one execute: each request with
 * a signal gets a token the isolate can ask about (`request.isCancelled()`
 * -> `HostBridge.isCancelled(token)`) or watch (`request.signal` listeners
 * -> `HostBridge.watchCancel(token)`), and the BLS calls the execute makes
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
  readonly #requests: readonly ExecRequest[];
  readonly #tokens: number[];
  readonly #signals = new Map<number, AbortSignal>();
  readonly #notify: (token: number) => void;
  readonly #stops: (() => void)[] = [];
  /** undefined: not asked for yet; null: some request cannot be cancelled. */
  #blsSignal: AbortSignal | null | undefined;

  /**
   * `firstToken`: the instance's next unused token (tokens are never reused,
   * so a late question finds nothing). `notify(token)` runs when a watched
   * request is cancelled while the execute runs (the script's `request.signal` fires).
   *
   * Nothing is listened to until asked for (`watch`, `blsSignal`): every
   * listener and controller costs microseconds on each request otherwise.
   */
  constructor(requests: readonly ExecRequest[], firstToken: number, notify: (token: number) => void) {
    this.#requests = requests;
    this.#notify = notify;
    this.#tokens = requests.map((request, i) => {
      if (!request.signal) return 0;
      this.#signals.set(firstToken + i, request.signal);
      return firstToken + i;
    });
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

  /** The script listens for the cancellation of `token`'s request: tell it when it happens. */
  watch(token: number): void {
    const signal = this.#signals.get(token);
    if (!signal) return;
    if (signal.aborted) return this.#notify(token);
    const aborted = (): void => this.#notify(token);
    signal.addEventListener('abort', aborted, { once: true });
    this.#stops.push(() => signal.removeEventListener('abort', aborted));
  }

  /** The signal for BLS calls of this execute: aborts once every request is cancelled; undefined when some request cannot be. */
  get blsSignal(): AbortSignal | undefined {
    if (this.#blsSignal === undefined) this.#blsSignal = this.#allCancelled();
    return this.#blsSignal ?? undefined;
  }

  #allCancelled(): AbortSignal | null {
    const signals = this.#requests.map((request) => request.signal);
    if (signals.length === 0 || signals.some((signal) => signal === undefined)) return null;
    // One request (the usual execute): its own signal, nothing to combine.
    if (signals.length === 1) return signals[0]!;
    const all = new AbortController();
    let left = signals.filter((signal) => !signal!.aborted).length;
    if (left === 0) all.abort();
    for (const signal of signals) {
      if (signal!.aborted) continue;
      const aborted = (): void => {
        if (--left === 0) all.abort();
      };
      signal!.addEventListener('abort', aborted, { once: true });
      this.#stops.push(() => signal!.removeEventListener('abort', aborted));
    }
    return all.signal;
  }

  dispose(): void {
    for (const stop of this.#stops) stop();
    this.#signals.clear();
  }
}
