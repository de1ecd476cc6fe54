/**
 * `request.signal` in a model.ts: an AbortSignal-shaped view of the
 * request's cancellation (the isolate has no EventTarget, so this is our
 * own small class with the same members a model uses). `aborted` asks the
 * server; 'abort' listeners and `onabort` run when the server tells the
 * isolate that the request was cancelled.
 *
 * @example
 * ```ts
 * request.signal.addEventListener('abort', () => log.info('client went away'));
 * for (const step of steps) { request.signal.throwIfAborted(); await step(); }
 * ```
 */
import { NereidError } from '../errors.ts';
import { boundHost } from './host-slot.ts';

type Listener = (event: { type: 'abort'; target: RequestSignal }) => void;

/** Signals that have listeners, by cancel token, until their request is cancelled (weakly: a finished request's signal may be collected). */
const listening = new Map<number, WeakRef<RequestSignal>>();

export class RequestSignal {
  readonly #token: number;
  readonly #what: string;
  readonly #listeners = new Set<Listener>();
  #fired = false;
  #watched = false;
  #onabort: Listener | null = null;

  /** Made by `InferenceRequest.signal`; `token` 0: a request that cannot be cancelled. */
  constructor(token: number, what: string) {
    this.#token = token;
    this.#what = what;
  }

  get aborted(): boolean {
    return this.#fired || (this.#token !== 0 && boundHost('request.signal').isCancelled(this.#token));
  }

  /** Why: a CANCELLED NereidError once aborted, else undefined. */
  get reason(): NereidError | undefined {
    return this.aborted ? NereidError.cancelled(`${this.#what}: the request was cancelled`) : undefined;
  }

  /** Throws the CANCELLED error once the request is cancelled. */
  throwIfAborted(): void {
    const reason = this.reason;
    if (reason) throw reason;
  }

  /** Called once when the request is cancelled, like AbortSignal's. */
  get onabort(): Listener | null {
    return this.#onabort;
  }

  set onabort(listener: Listener | null) {
    this.#onabort = listener;
    if (listener) this.#watch();
  }

  addEventListener(type: 'abort', listener: Listener): void {
    if (type !== 'abort' || this.#token === 0) return;
    this.#listeners.add(listener);
    this.#watch();
  }

  /** The first listener asks the server to say when the request is cancelled (nobody listening costs nothing). */
  #watch(): void {
    if (this.#watched || this.#token === 0) return;
    this.#watched = true;
    listening.set(this.#token, new WeakRef(this));
    if (listening.size > 1024) for (const [token, ref] of listening) if (ref.deref() === undefined) listening.delete(token);
    boundHost('request.signal').watchCancel(this.#token);
  }

  removeEventListener(type: 'abort', listener: Listener): void {
    if (type === 'abort') this.#listeners.delete(listener);
  }

  /** The server says the request was cancelled: run the listeners, once. */
  fire(): void {
    if (this.#fired) return;
    this.#fired = true;
    const event = { type: 'abort' as const, target: this };
    this.#onabort?.(event);
    for (const listener of this.#listeners) listener(event);
    this.#listeners.clear();
  }

  /** `IsolateEntry.cancelled(token)`: fires the signal of that request, if anyone listens. */
  static fireToken(token: number): void {
    const signal = listening.get(token)?.deref();
    listening.delete(token);
    signal?.fire();
  }
}
