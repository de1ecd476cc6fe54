/**
 * The scheduler interface: what sits between a model and its instances.
 * Default (direct), dynamic batching and sequence batching implement it.
 *
 * Ownership: `enqueue` takes the request; the scheduler owns it until it hands
 * it to an instance's execute(), and the returned promise settles exactly once
 * with that request's result (never rejects for a request-level failure).
 */
import type { BackendInstance, ExecRequest, ExecResult } from '../backends/backend.ts';

export interface Scheduler {
  /** Queues a request; resolves with its result. */
  enqueue(request: ExecRequest): Promise<ExecResult>;
  /** Requests queued or executing right now. */
  readonly inflightCount: number;
  /** Requests accepted and not yet handed to an instance (Triton's nv_inference_pending_request_count). */
  readonly pendingCount: number;
  /** Puts `fresh` in the place of `failed` (a dead instance the model replaced); requests `failed` held keep their results. */
  replaceInstance(failed: BackendInstance, fresh: BackendInstance): void;
  /**
   * Holds work back from `failed` while the model starts its replacement, so
   * that requests wait for the fresh instance (or go to the others) instead
   * of failing on the dead one. Until replaceInstance, or resumeInstance when
   * no replacement could start. A scheduler without it (sequence batching)
   * keeps sending `failed` work, which it answers UNAVAILABLE.
   */
  suspendInstance?(failed: BackendInstance): void;
  /** Sends `failed` work again (it answers UNAVAILABLE): its replacement could not start. */
  resumeInstance?(failed: BackendInstance): void;
  /** Stops taking new requests (they fail UNAVAILABLE) and resolves once every accepted one has finished. */
  drain(): Promise<void>;
}

/** The longest delay Node's timers take (longer ones fire after 1 ms); schedulers re-check when a capped timer fires. */
export const MAX_TIMER_MS = 2 ** 31 - 1;
