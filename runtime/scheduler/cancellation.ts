/**
 * Cancelled requests in schedulers. A request whose `signal` has aborted is
 * not queued; one that is cancelled while it waits in a queue is taken out
 * and answered CANCELLED at once, so it never occupies an instance. Once an
 * instance has it, cancellation is the backend's business (a model.ts can ask
 * `request.isCancelled()`; an ONNX run finishes).
 *
 * @example
 * ```ts
 * if (request.signal?.aborted) return Promise.resolve(cancelledResult(label));
 * const stop = onCancel(request, () => { queue.remove([entry]); entry.resolve(cancelledResult(label)); });
 * // ... when the request leaves the queue for an instance:
 * stop();
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ExecRequest, ExecResult } from '../backends/backend.ts';

/** The result of a request cancelled before it ran. */
export function cancelledResult(label: string): ExecResult {
  return { ok: false, error: NereidError.cancelled(`${label}: the request was cancelled before it ran`).toData() };
}

const NOTHING = (): void => {};

/** Calls `cancel` once if `request` is cancelled; returns the function that stops listening (call it when the request leaves the queue). */
export function onCancel(request: ExecRequest, cancel: () => void): () => void {
  const signal = request.signal;
  if (!signal) return NOTHING;
  signal.addEventListener('abort', cancel, { once: true });
  return () => signal.removeEventListener('abort', cancel);
}
