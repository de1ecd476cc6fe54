/**
 * Triton's default scheduler: each request runs on its own, as sent, on the
 * next free instance. One FIFO queue feeds all instances of a model version,
 * so N instances execute N requests at once and nothing is merged.
 *
 * One difference from Triton, for a reason Triton does not have: handing a
 * request to an instance costs a thread hop (~60 µs here), several times the
 * run of a small model. So an instance may hold up to PIPELINE_DEPTH requests:
 * the next one waits in the instance's worker while the current one runs,
 * instead of the worker idling through a round trip. Runs on an instance still
 * happen one at a time, and an idle instance is always preferred.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { BackendInstance, ExecRequest, ExecResult } from '../backends/backend.ts';
import { nanosSince, type ModelStats } from '../stats/model-stats.ts';
import { cancelledResult, onCancel } from './cancellation.ts';
import { InflightCount } from './inflight-count.ts';
import { requestCycleError } from './request-cycle.ts';
import type { Scheduler } from './scheduler.ts';

/** Requests one instance may hold at once: running plus waiting in its worker. */
export const PIPELINE_DEPTH = 4;

interface Pending {
  readonly request: ExecRequest;
  readonly resolve: (result: ExecResult) => void;
  /** performance.now() at enqueue. */
  readonly queuedAt: number;
  /** Stops listening for the request's cancellation; called when it leaves the queue. */
  stopCancel?: () => void;
}

interface Slot {
  instance: BackendInstance;
  busy: number;
  /** Requests this instance may hold: the pipeline depth, or less if the instance says so. */
  depth: number;
  /** The instance failed and is being replaced: it gets no work (Scheduler.suspendInstance). */
  suspended?: boolean;
}

function depthOf(instance: BackendInstance): number {
  return Math.max(1, Math.min(PIPELINE_DEPTH, instance.concurrency ?? PIPELINE_DEPTH));
}

export class DirectScheduler implements Scheduler {
  readonly #label: string;
  readonly #stats: ModelStats | undefined;
  readonly #slots: Slot[];
  readonly #queue: Pending[] = [];
  readonly #inflight = new InflightCount();

  /** `label` names the model and version in error messages, e.g. `model 'simple' version 1`. */
  constructor(label: string, instances: readonly BackendInstance[], stats?: ModelStats) {
    if (instances.length === 0) throw NereidError.internal(`${label}: a scheduler needs at least one instance`);
    this.#label = label;
    this.#stats = stats;
    this.#slots = instances.map((instance) => ({ instance, busy: 0, depth: depthOf(instance) }));
  }

  get inflightCount(): number {
    return this.#inflight.count;
  }

  get pendingCount(): number {
    return this.#queue.length;
  }

  enqueue(request: ExecRequest): Promise<ExecResult> {
    if (this.#inflight.draining) {
      return Promise.resolve({ ok: false, error: NereidError.unavailable(`${this.#label} is unloading`).toData(), rejected: true });
    }
    const cycle = requestCycleError(this.#label, request, this.#slots);
    if (cycle) return Promise.resolve({ ok: false, error: cycle, rejected: true });
    if (request.signal?.aborted) return Promise.resolve(cancelledResult(this.#label));
    this.#inflight.add();
    return new Promise<ExecResult>((resolve) => {
      const pending: Pending = { request, resolve, queuedAt: performance.now() };
      const slot = this.#leastBusy();
      if (slot) return this.#run(slot, pending);
      this.#queue.push(pending);
      pending.stopCancel = onCancel(request, () => {
        this.#queue.splice(this.#queue.indexOf(pending), 1);
        this.#finishQueued(pending, cancelledResult(this.#label));
      });
    });
  }

  replaceInstance(failed: BackendInstance, fresh: BackendInstance): void {
    const slot = this.#slots.find((s) => s.instance === failed);
    if (slot) {
      slot.instance = fresh;
      slot.depth = depthOf(fresh);
    }
    this.resumeInstance(fresh);
  }

  suspendInstance(failed: BackendInstance): void {
    const slot = this.#slots.find((s) => s.instance === failed);
    if (slot) slot.suspended = true;
  }

  resumeInstance(instance: BackendInstance): void {
    const slot = this.#slots.find((s) => s.instance === instance);
    if (!slot) return;
    slot.suspended = false;
    // What queued while it was out of service goes now.
    for (let free = this.#leastBusy(); free && this.#queue.length > 0; free = this.#leastBusy()) this.#run(free, this.#queue.shift()!);
  }

  drain(): Promise<void> {
    return this.#inflight.drain();
  }

  /** The instance holding the fewest requests, if it has room. */
  #leastBusy(): Slot | undefined {
    let best: Slot | undefined;
    for (const slot of this.#slots) {
      if (slot.suspended) continue;
      if (slot.busy === 0) return slot;
      if (slot.busy < slot.depth && (!best || slot.busy < best.busy)) best = slot;
    }
    return best;
  }

  #run(slot: Slot, pending: Pending): void {
    pending.stopCancel?.();
    slot.busy++;
    const queueNs = nanosSince(pending.queuedAt);
    slot.instance.execute([pending.request]).then(
      (results) => {
        const result = results[0] ?? this.#missingResult(slot.instance);
        this.#stats?.recordExecution(Math.max(1, pending.request.batchSize), [result]);
        this.#finish(slot, pending, { ...result, queueNs });
      },
      (error: unknown) =>
        this.#finish(slot, pending, { ok: false, error: NereidError.from(error, `${this.#label} instance '${slot.instance.name}'`).toData() }),
    );
  }

  #missingResult(instance: BackendInstance): ExecResult {
    return { ok: false, error: NereidError.internal(`${this.#label} instance '${instance.name}' returned no result`).toData() };
  }

  #finish(slot: Slot, pending: Pending, result: ExecResult): void {
    slot.busy--;
    if (this.#queue.length > 0) {
      const free = this.#leastBusy();
      if (free) this.#run(free, this.#queue.shift()!);
    }
    this.#finishQueued(pending, result);
  }

  /** Answers `pending` (it has left the queue and any instance) and tracks the drain. */
  #finishQueued(pending: Pending, result: ExecResult): void {
    pending.resolve(result);
    this.#inflight.done();
  }
}
