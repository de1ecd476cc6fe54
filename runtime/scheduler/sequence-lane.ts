/**
 * One model instance under the sequence batcher: its batch slots, each held
 * by at most one sequence, and the one batch it executes at a time. A
 * strategy (sequence-direct.ts, sequence-oldest.ts) decides which queued
 * requests form the next batch; this base class holds the slots and runs a
 * batch: execute, record the execution, hand each request its result.
 *
 * One batch at a time per instance, as in Triton: the next request of a
 * sequence needs the state its previous request leaves, and the next batch
 * is formed only once the current one has finished.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { BackendInstance, ExecRequest, ExecResult } from '../backends/backend.ts';
import { millisToNanos, type ModelStats } from '../stats/model-stats.ts';
import { MAX_TIMER_MS } from './scheduler.ts';
import type { ActiveSequence, SlotHolder } from './sequence-active.ts';
import { finishRow, prepareRow, type RequestRow, type RowContext } from './sequence-rows.ts';

/** What a lane needs from the SequenceBatcher that owns it. */
export interface LaneHost extends RowContext {
  readonly stats: ModelStats | undefined;
  /** The config's max_batch_size (0: the model does not batch). */
  readonly maxBatchSize: number;
  /** Slot `slot` of `lane` is free again: the batcher gives it to a waiting sequence or keeps it for the next one. */
  slotFreed(lane: SequenceLane, slot: number): void;
  /** A request of `sequence` has been answered. */
  finished(sequence: ActiveSequence): void;
}

/** A row of a batch: a sequence's request, or a filler for an empty slot (direct strategy). */
export type BatchRow = RequestRow | { readonly filler: ExecRequest };

export abstract class SequenceLane implements SlotHolder {
  /** Requests (not fillers) handed to the instance and not yet answered. */
  executingCount = 0;
  /** Replaced when the model replaces a failed instance. */
  instance: BackendInstance;
  protected readonly host: LaneHost;
  protected readonly slots: (ActiveSequence | undefined)[];
  /** True while a batch executes. */
  protected busy = false;
  #waking = false;
  #again = false;

  constructor(host: LaneHost, instance: BackendInstance, slotCount: number) {
    this.host = host;
    this.instance = instance;
    this.slots = new Array<ActiveSequence | undefined>(slotCount).fill(undefined);
  }

  get slotCount(): number {
    return this.slots.length;
  }

  /** Puts `sequence` into free slot `slot` and looks for work. */
  assign(slot: number, sequence: ActiveSequence): void {
    this.slots[slot] = sequence;
    sequence.lane = this;
    sequence.slot = slot;
    this.wake();
  }

  /** Frees the slot `sequence` holds (it ended or went idle); the batcher reuses it. */
  release(sequence: ActiveSequence): void {
    const slot = sequence.slot;
    if (sequence.lane !== this || this.slots[slot] !== sequence) return;
    this.slots[slot] = undefined;
    sequence.lane = undefined;
    sequence.slot = -1;
    this.host.slotFreed(this, slot);
  }

  /**
   * Requests arrived, a slot changed or a batch finished: form the next batch
   * if the strategy says so. Re-entrant calls (a released slot handed to a
   * waiting sequence while a batch is being formed) run once the current
   * pass is over.
   */
  wake(): void {
    if (this.#waking) {
      this.#again = true;
      return;
    }
    this.#waking = true;
    try {
      do {
        this.#again = false;
        if (!this.busy) this.pump();
      } while (this.#again && !this.busy);
    } finally {
      this.#waking = false;
    }
  }

  /** Forms and runs the next batch, or arms a timer to try again; called only while no batch runs. */
  protected abstract pump(): void;

  /** The queue-delay timer of the strategy, if one is armed. */
  #delayTimer: NodeJS.Timeout | undefined;
  #disposed = false;

  /** Stops the timer; the lane takes no more work. */
  dispose(): void {
    this.#disposed = true;
    this.clearDelay();
  }

  protected get disposed(): boolean {
    return this.#disposed;
  }

  /** Looks again (`wake`) in `ms` milliseconds: the strategy's queue delay. */
  protected wakeAfter(ms: number): void {
    this.clearDelay();
    this.#delayTimer = setTimeout(() => this.wake(), Math.min(MAX_TIMER_MS, Math.ceil(ms)));
  }

  protected clearDelay(): void {
    clearTimeout(this.#delayTimer);
    this.#delayTimer = undefined;
  }

  /**
   * The row for the first request of the sequence in `slot` that can run.
   * Requests that fail before running (their sequence's state was lost) are
   * answered and dequeued on the way, so the ones queued behind them still
   * run; undefined when none is left.
   */
  protected prepare(slot: number): RequestRow | undefined {
    const sequence = this.slots[slot]!;
    while (this.slots[slot] === sequence && sequence.queue.length > 0) {
      const row = prepareRow(this.host, sequence);
      if ('exec' in row) return row;
      const pending = sequence.queue[0]!;
      this.take(sequence);
      sequence.lastActive = performance.now();
      pending.resolve({ ...row, queueNs: millisToNanos(sequence.lastActive - pending.queuedAt) });
      this.host.finished(sequence);
    }
    return undefined;
  }

  /** Takes the front request off `sequence`'s queue; after an END request the slot is free for another sequence. */
  protected take(sequence: ActiveSequence): void {
    const pending = sequence.queue.shift()!;
    if (pending.info.end) this.release(sequence);
  }

  /** Executes `rows` as one batch on the instance, answers each request, then looks for the next batch. */
  protected run(rows: readonly BatchRow[]): void {
    this.busy = true;
    const dispatched = performance.now();
    for (const row of rows) {
      if (!('sequence' in row)) continue;
      row.sequence.inflight++;
      this.executingCount++;
    }
    const requests = rows.map((row) => ('filler' in row ? row.filler : row.exec));
    const instance = this.instance;
    instance
      .execute(requests)
      .then(
        (results) => this.#settle(rows, results, dispatched),
        (error: unknown) => {
          const data = NereidError.from(error, `${this.host.label} instance '${instance.name}'`).toData();
          this.#settle(rows, rows.map(() => ({ ok: false, error: data })), dispatched);
        },
      )
      .finally(() => {
        this.busy = false;
        this.wake();
      });
  }

  #settle(rows: readonly BatchRow[], results: readonly ExecResult[], dispatched: number): void {
    // Filler rows count: the instance ran them.
    const batchSize = rows.reduce((sum, row) => sum + Math.max(1, 'filler' in row ? row.filler.batchSize : row.exec.batchSize), 0);
    this.host.stats?.recordExecution(batchSize, results);
    const now = performance.now();
    rows.forEach((row, i) => {
      if ('filler' in row) return;
      const result = results[i] ?? { ok: false, error: NereidError.internal(`${this.host.label} instance '${this.instance.name}' returned no result`).toData() };
      const sequence = row.sequence;
      sequence.inflight--;
      this.executingCount--;
      sequence.lastActive = now;
      sequence.freeSince = now;
      const queueNs = millisToNanos(dispatched - row.pending.queuedAt);
      row.pending.resolve({ ...finishRow(this.host, row, result), queueNs });
      this.host.finished(sequence);
    });
  }
}
