/**
 * The `oldest` sequence batching strategy for one instance: up to
 * `max_candidate_sequences` sequences (default: max_batch_size, at least 1)
 * are pinned to the instance, and each batch is formed dynamically from the
 * oldest waiting request of as many of them as fit, never two requests of
 * one sequence (a sequence's next request waits for its previous result).
 * Rows carry no fixed slot, so there are no filler rows.
 *
 * When to run, as the dynamic batcher decides: at once when the candidates
 * fill max_batch_size or the largest `preferred_batch_size`; otherwise when
 * the oldest has waited `max_queue_delay_microseconds` (at once when that is
 * 0), taking the largest preferred size that fits, or all of them when none
 * does. Only requests whose shapes agree with the oldest one's join it.
 */
import type { BackendInstance } from '../backends/backend.ts';
import type { RequestRow } from './sequence-rows.ts';
import { SequenceLane, type LaneHost } from './sequence-lane.ts';

export interface OldestOptions {
  /** `oldest.max_candidate_sequences`; 0: max_batch_size (at least 1). */
  readonly candidates: number;
  /** `oldest.preferred_batch_size`, any order. */
  readonly preferred: readonly number[];
  /** `oldest.max_queue_delay_microseconds`, in milliseconds. */
  readonly delayMs: number;
}

export class OldestLane extends SequenceLane {
  readonly #preferred: readonly number[];
  readonly #delayMs: number;

  constructor(host: LaneHost, instance: BackendInstance, options: OldestOptions) {
    super(host, instance, options.candidates > 0 ? options.candidates : Math.max(1, host.maxBatchSize));
    this.#preferred = [...options.preferred].sort((a, b) => a - b);
    this.#delayMs = options.delayMs;
  }

  protected pump(): void {
    this.clearDelay();
    if (this.disposed) return;
    const candidates: RequestRow[] = [];
    this.slots.forEach((sequence, slot) => {
      if (!sequence || sequence.inflight > 0 || sequence.queue.length === 0) return;
      const row = this.prepare(slot);
      if (row) candidates.push(row);
    });
    if (candidates.length === 0) return;
    const since = (row: RequestRow): number => Math.max(row.pending.queuedAt, row.sequence.freeSince);
    candidates.sort((a, b) => since(a) - since(b));
    const key = candidates[0]!.key;
    const compatible = candidates.filter((row) => row.key === key);
    const size = this.#batchSize(compatible.length, since(candidates[0]!));
    if (size === 0) return;
    const rows = compatible.slice(0, size);
    this.busy = true;
    for (const row of rows) this.take(row.sequence);
    this.run(rows);
  }

  /** How many of `count` ready requests to run now; 0 = wait (a timer is armed for the delay's end). */
  #batchSize(count: number, oldestSince: number): number {
    const max = Math.max(1, this.host.maxBatchSize);
    const largestPreferred = this.#preferred[this.#preferred.length - 1] ?? max;
    if (count >= max) return max;
    if (count >= largestPreferred) return largestPreferred;
    const left = oldestSince + this.#delayMs - performance.now();
    if (this.#delayMs > 0 && left > 0) {
      this.wakeAfter(left);
      return 0;
    }
    let fit = 0;
    for (const size of this.#preferred) if (size <= count) fit = size;
    return fit || count;
  }
}
