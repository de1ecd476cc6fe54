/**
 * Triton's dynamic batcher (`dynamic_batching { ... }`): requests queue (by
 * priority level, with each level's queue policy) and leave as batches, one
 * batch per free instance, so N instances run N batches at once.
 *
 * Forming a batch, whenever an instance is free: start from the first
 * queued request and add the following ones that may share its batch (same
 * inputs and non-batch shapes: batch-shape.ts) while the rows fit
 * `max_batch_size`; stop at the first that may not, so no request is
 * overtaken by a later one of another shape. Then:
 * - the batch is full, or reaches a preferred batch size: it leaves now, cut
 *   to the largest preferred size it reaches;
 * - otherwise it leaves once its first request has waited
 *   `max_queue_delay_microseconds` (0: at once), hoping for more meanwhile.
 *
 * The backend decides what a batch is: the ONNX backend concatenates the
 * requests along dim 0 into one run; a model.ts gets them as one
 * `execute(requests)` call.
 *
 * `preserve_ordering` releases responses in arrival order. A full queue, an
 * expired queue timeout (REJECT) or an unloading model fail the request with
 * UNAVAILABLE at once; nothing waits forever and nothing is lost.
 *
 * Ownership as in scheduler.ts: each request belongs to the batcher until it
 * is handed to an instance; every promise resolves exactly once.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { BackendInstance, ExecRequest, ExecResult } from '../backends/backend.ts';
import { millisToNanos, type ModelStats } from '../stats/model-stats.ts';
import { sameBatchShape } from './batch-shape.ts';
import { cancelledResult, onCancel } from './cancellation.ts';
import { InflightCount } from './inflight-count.ts';
import { InstanceSlots, type InstanceSlot } from './instance-slots.ts';
import { PriorityQueue, type QueueEntry } from './priority-queue.ts';
import { requestCycleError } from './request-cycle.ts';
import { MAX_TIMER_MS, type Scheduler } from './scheduler.ts';

/** Batches one instance may hold at once: one, as Triton (a second would leave with whatever is queued and keep batches small). */
const BATCHES_PER_INSTANCE = 1;

export class DynamicBatcher implements Scheduler {
  readonly #label: string;
  readonly #stats: ModelStats;
  readonly #slots: InstanceSlots;
  readonly #queue: PriorityQueue;
  /** Rows per batch at most (1 for a model without batching: each request alone). */
  readonly #maxRows: number;
  /** Preferred batch sizes, largest first. */
  readonly #preferred: readonly number[];
  readonly #delayMs: number;
  readonly #preserveOrdering: boolean;
  readonly #inflight = new InflightCount(() => this.#cancelWake());
  #arrivals = 0;
  /** One wake-up for the next queue delay or timeout that falls due: when, and the timer (or immediate, under 1 ms). */
  #wake: { at: number; timer?: NodeJS.Timeout; immediate?: NodeJS.Immediate } | undefined;
  /** preserve_ordering: results waiting for earlier arrivals, and the next arrival to release. */
  readonly #held = new Map<number, { entry: QueueEntry; result: ExecResult }>();
  #nextRelease = 0;

  constructor(label: string, config: ModelConfig, instances: readonly BackendInstance[], stats: ModelStats) {
    if (instances.length === 0) throw NereidError.internal(`${label}: a scheduler needs at least one instance`);
    const batching = config.dynamic_batching ?? {};
    this.#label = label;
    this.#stats = stats;
    this.#slots = new InstanceSlots(instances, BATCHES_PER_INSTANCE);
    this.#queue = new PriorityQueue(batching);
    this.#maxRows = Math.max(1, config.max_batch_size ?? 0);
    const preferred = (batching.preferred_batch_size ?? []).filter((size) => size > 0 && size <= this.#maxRows);
    this.#preferred = (preferred.length > 0 ? preferred : [this.#maxRows]).sort((a, b) => b - a);
    this.#delayMs = (batching.max_queue_delay_microseconds ?? 0) / 1000;
    this.#preserveOrdering = batching.preserve_ordering ?? false;
  }

  get inflightCount(): number {
    return this.#inflight.count;
  }

  /** Requests accepted and not yet handed to an instance. */
  get pendingCount(): number {
    return this.#queue.size;
  }

  enqueue(request: ExecRequest): Promise<ExecResult> {
    if (this.#inflight.draining) return Promise.resolve(rejection(`${this.#label} is unloading`));
    if (request.signal?.aborted) return Promise.resolve(cancelledResult(this.#label));
    const cycle = requestCycleError(this.#label, request, this.#slots.all);
    if (cycle) return Promise.resolve({ ok: false, error: cycle, rejected: true });
    return new Promise<ExecResult>((resolve) => {
      const now = performance.now();
      const level = this.#queue.levelOf(request.priority);
      const timeoutUs = this.#queue.timeoutUs(level, request.timeoutUs);
      const entry: QueueEntry = {
        request,
        resolve,
        queuedAt: now,
        deadline: timeoutUs > 0 ? now + timeoutUs / 1000 : Infinity,
        level,
        rows: Math.max(1, request.batchSize),
        sequence: this.#arrivals++,
      };
      // Nothing queued and an instance free: a batch of one that is due now (the path of every request at low load).
      if (this.#queue.size === 0 && (this.#delayMs === 0 || this.#isFull(entry.rows))) {
        const slot = this.#slots.free();
        if (slot) {
          this.#inflight.add();
          this.#run(slot, [entry], now);
          return;
        }
      }
      const refused = this.#queue.push(entry);
      if (refused) {
        this.#arrivals--;
        return resolve(rejection(`${this.#label}: ${refused}`));
      }
      this.#inflight.add();
      entry.stopCancel = onCancel(request, () => this.#cancel(entry));
      this.#schedule();
    });
  }

  replaceInstance(failed: BackendInstance, fresh: BackendInstance): void {
    this.#slots.replace(failed, fresh);
    this.#schedule();
  }

  suspendInstance(failed: BackendInstance): void {
    this.#slots.suspend(failed);
  }

  resumeInstance(instance: BackendInstance): void {
    this.#slots.resume(instance);
    this.#schedule();
  }

  drain(): Promise<void> {
    const drained = this.#inflight.drain();
    // Waiting for more requests is pointless now: send what is queued.
    this.#schedule();
    return drained;
  }

  /** Sends every batch that is due to a free instance; arms the timer for the next one that will be. */
  #schedule(): void {
    const now = performance.now();
    for (const entry of this.#queue.expire(now)) {
      entry.stopCancel?.();
      this.#settle(entry, rejection(`${this.#label}: Request timeout expired`));
    }
    let waitUntil = Infinity;
    for (;;) {
      const slot = this.#slots.free();
      if (!slot) break;
      const batch = this.#formBatch();
      if (batch.entries.length === 0) break;
      // The delay runs from the batch's oldest request, which need not lead it (priority levels, DELAY).
      const dueAt = batch.full || this.#inflight.draining ? now : Math.min(...batch.entries.map((entry) => entry.queuedAt)) + this.#delayMs;
      if (dueAt > now) {
        waitUntil = dueAt;
        break;
      }
      this.#queue.remove(batch.entries);
      this.#run(slot, batch.entries, now);
    }
    this.#armWake(Math.min(waitUntil, this.#queue.nextDeadline()));
  }

  /** The next batch from the head of the queue; `full` when it fills max_batch_size or a preferred size. */
  #formBatch(): { entries: QueueEntry[]; full: boolean } {
    const entries: QueueEntry[] = [];
    let rows = 0;
    for (const entry of this.#queue.inOrder()) {
      if (entries.length > 0) {
        if (rows + entry.rows > this.#maxRows) break;
        if (!sameBatchShape(entries[0]!.request, entry.request)) break;
      }
      entries.push(entry);
      rows += entry.rows;
      if (rows === this.#maxRows) break;
    }
    if (rows === this.#maxRows) return { entries, full: true };
    // The largest preferred size this batch reaches: cut it there (rows may not split a request).
    for (const preferred of this.#preferred) {
      if (preferred > rows) continue;
      let cut = 0;
      let cutRows = 0;
      while (cut < entries.length && cutRows + entries[cut]!.rows <= preferred) cutRows += entries[cut++]!.rows;
      if (cutRows === preferred) return { entries: entries.slice(0, cut), full: true };
    }
    return { entries, full: false };
  }

  /** True when `rows` fill max_batch_size or a preferred size. */
  #isFull(rows: number): boolean {
    return rows === this.#maxRows || this.#preferred.includes(rows);
  }

  /** A queued request was cancelled: out of the queue, answered CANCELLED; the rest may form a batch now. */
  #cancel(entry: QueueEntry): void {
    this.#queue.remove([entry]);
    this.#settle(entry, cancelledResult(this.#label));
    this.#schedule();
  }

  #run(slot: InstanceSlot, entries: QueueEntry[], now: number): void {
    for (const entry of entries) entry.stopCancel?.();
    slot.busy++;
    const rows = entries.reduce((sum, entry) => sum + entry.rows, 0);
    slot.instance.execute(entries.map((entry) => entry.request)).then(
      (results) => this.#finish(slot, entries, rows, now, results),
      (error: unknown) => {
        const failure: ExecResult = { ok: false, error: NereidError.from(error, `${this.#label} instance '${slot.instance.name}'`).toData() };
        this.#finish(slot, entries, rows, now, entries.map(() => failure));
      },
    );
  }

  #finish(slot: InstanceSlot, entries: QueueEntry[], rows: number, startedAt: number, results: readonly ExecResult[]): void {
    slot.busy--;
    this.#stats.recordExecution(rows, results);
    entries.forEach((entry, i) => {
      const result = results[i] ?? {
        ok: false as const,
        error: NereidError.internal(`${this.#label} instance '${slot.instance.name}' returned no result`).toData(),
      };
      this.#settle(entry, { ...result, queueNs: millisToNanos(startedAt - entry.queuedAt) });
    });
    this.#schedule();
  }

  /** Resolves `entry` (in arrival order under preserve_ordering) and tracks the drain. */
  #settle(entry: QueueEntry, result: ExecResult): void {
    if (!this.#preserveOrdering) this.#release(entry, result);
    else {
      this.#held.set(entry.sequence, { entry, result });
      for (let next = this.#held.get(this.#nextRelease); next; next = this.#held.get(this.#nextRelease)) {
        this.#held.delete(this.#nextRelease++);
        this.#release(next.entry, next.result);
      }
    }
  }

  #release(entry: QueueEntry, result: ExecResult): void {
    entry.resolve(result);
    this.#inflight.done();
  }

  #armWake(at: number): void {
    if (at === Infinity) return this.#cancelWake();
    if (this.#wake && this.#wake.at <= at) return;
    this.#cancelWake();
    const fire = (): void => {
      this.#wake = undefined;
      this.#schedule();
    };
    const waitMs = at - performance.now();
    // Timers fire 1 ms late at best; queue delays are often shorter (µs), so re-check on each turn of the loop instead.
    this.#wake = waitMs < 1 ? { at, immediate: setImmediate(fire) } : { at, timer: setTimeout(fire, Math.min(waitMs, MAX_TIMER_MS)) };
  }

  #cancelWake(): void {
    if (this.#wake?.timer) clearTimeout(this.#wake.timer);
    if (this.#wake?.immediate) clearImmediate(this.#wake.immediate);
    this.#wake = undefined;
  }
}

function rejection(message: string): ExecResult {
  return { ok: false, error: NereidError.unavailable(message).toData(), rejected: true };
}
