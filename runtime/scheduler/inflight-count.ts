/**
 * The requests a scheduler has accepted and not yet answered, and the drain
 * that waits for them (an unloading model answers everything it accepted).
 * `onIdle` runs once no request is left after a drain began: the scheduler
 * stops its timers there.
 *
 * @example
 * ```ts
 * const inflight = new InflightCount(() => clearTimeout(timer));
 * inflight.add();          // accepted
 * inflight.done();         // answered
 * await inflight.drain();  // resolves once the count is 0
 * ```
 */
export class InflightCount {
  readonly #onIdle: (() => void) | undefined;
  #count = 0;
  #draining = false;
  #drained: (() => void) | undefined;
  #drainedPromise: Promise<void> | undefined;

  constructor(onIdle?: () => void) {
    this.#onIdle = onIdle;
  }

  get count(): number {
    return this.#count;
  }

  /** True once `drain()` was called: schedulers refuse new requests. */
  get draining(): boolean {
    return this.#draining;
  }

  add(): void {
    this.#count++;
  }

  /** One accepted request is answered. */
  done(): void {
    this.#count--;
    if (this.#count === 0 && this.#drained) {
      this.#onIdle?.();
      this.#drained();
      this.#drained = undefined;
    }
  }

  /** Stops taking requests; resolves once every accepted one is answered (the same promise on every call). */
  drain(): Promise<void> {
    this.#draining = true;
    if (this.#count === 0) {
      this.#onIdle?.();
      return Promise.resolve();
    }
    this.#drainedPromise ??= new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
    return this.#drainedPromise;
  }
}
