/**
 * The script layer's own time on one call, measured directly: the outer
 * call's latency minus the time its BLS calls spent in `server.infer()` of
 * the inner model (dispatch to settle). On a shared machine this is steadier
 * than the difference of two arms' latencies, because the inner model's own
 * jitter (a worker hop, a multi-MiB copy) cancels out.
 *
 * Bench-only instrumentation: BLS reaches the server through `server.infer`
 * (createServer's ModelHost calls it on the instance), so wrapping that
 * property sees every BLS call. Only for concurrency 1: with several outer
 * calls in flight, inner calls could not be attributed.
 */
import type { InferRequest, InferResponse } from '../sdk/inference.ts';
import type { Server } from '../runtime/server/create-server.ts';

export class InnerCallTimer {
  readonly #server: Server;
  readonly #original: Server['infer'];
  readonly #innerModel: string;
  /** Own time (µs) of each tracked call. */
  readonly ownTimes: number[] = [];
  /** BLS calls seen per tracked call (the last one). */
  innerCalls = 0;
  #active: { innerMs: number; calls: number } | undefined;

  constructor(server: Server, innerModel: string) {
    this.#server = server;
    this.#innerModel = innerModel;
    this.#original = server.infer;
    const original = server.infer.bind(server);
    server.infer = (request: InferRequest): Promise<InferResponse> => {
      const active = this.#active;
      if (!active || request.model !== this.#innerModel) return original(request);
      const t0 = performance.now();
      const inference = original(request);
      // Attached before the script's own continuation, so it runs first when the inference settles.
      const done = (): void => {
        active.innerMs += performance.now() - t0;
        active.calls++;
      };
      inference.then(done, done);
      return inference;
    };
  }

  /** Runs `call` (one outer inference), recording its own time. Not re-entrant. */
  async track<T>(call: () => Promise<T>): Promise<T> {
    const active = { innerMs: 0, calls: 0 };
    this.#active = active;
    const t0 = performance.now();
    try {
      return await call();
    } finally {
      this.ownTimes.push((performance.now() - t0 - active.innerMs) * 1000);
      this.innerCalls = active.calls;
      this.#active = undefined;
    }
  }

  /** Clears the samples (after a warm-up). */
  reset(): void {
    this.ownTimes.length = 0;
  }

  restore(): void {
    this.#server.infer = this.#original;
  }
}
