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
import { InstanceSlots, type InstanceSlot } from './instance-slots.ts';
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

export class DirectScheduler implements Scheduler {
  readonly #label: string;
  readonly #stats: ModelStats | undefined;
  readonly #slots: InstanceSlots;
  readonly #queue: Pending[] = [];
  readonly #inflight = new InflightCount();

  /** `label` names the model and version in error messages, e.g. `model 'simple' version 1`. */
  constructor(label: string, instances: readonly BackendInstance[], stats?: ModelStats) {
    if (instances.length === 0) throw NereidError.internal(`${label}: a scheduler needs at least one instance`);
    this.#label = label;
    this.#stats = stats;
    this.#slots = new InstanceSlots(instances, PIPELINE_DEPTH);
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
    const cycle = requestCycleError(this.#label, request, this.#slots.all);
    if (cycle) return Promise.resolve({ ok: false, error: cycle, rejected: true });
    if (request.signal?.aborted) return Promise.resolve(cancelledResult(this.#label));
    this.#inflight.add();
    return new Promise<ExecResult>((resolve) => {
      const pending: Pending = { request, resolve, queuedAt: performance.now() };
      const slot = this.#slots.free();
      if (slot) return this.#run(slot, pending);
      this.#queue.push(pending);
      pending.stopCancel = onCancel(request, () => {
        this.#queue.splice(this.#queue.indexOf(pending), 1);
        this.#finishQueued(pending, cancelledResult(this.#label));
      });
    });
  }

  replaceInstance(failed: BackendInstance, fresh: BackendInstance): void {
    this.#slots.replace(failed, fresh);
    this.#runQueued();
  }

  suspendInstance(failed: BackendInstance): void {
    this.#slots.suspend(failed);
  }

  resumeInstance(instance: BackendInstance): void {
    this.#slots.resume(instance);
    this.#runQueued();
  }

  drain(): Promise<void> {
    return this.#inflight.drain();
  }

  /** Hands queued requests to instances with room (one came back into service). */
  #runQueued(): void {
    for (let free = this.#slots.free(); free && this.#queue.length > 0; free = this.#slots.free()) this.#run(free, this.#queue.shift()!);
  }

  #run(slot: InstanceSlot, pending: Pending): void {
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

  #finish(slot: InstanceSlot, pending: Pending, result: ExecResult): void {
    slot.busy--;
    if (this.#queue.length > 0) {
      const free = this.#slots.free();
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
