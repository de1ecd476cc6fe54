/**
 * The `direct` sequence batching strategy (Triton's default) for one
 * instance: each sequence owns one batch slot (max_batch_size slots, or 1
 * when the model does not batch) and row i of every batch belongs to the
 * sequence in slot i, so a model that keeps per-row state of its own sees
 * each sequence in the same row every time.
 *
 * A batch takes the front request of every slot that has one, up to the
 * highest such slot; slots in between with nothing ready, or with a request
 * whose shapes cannot join this batch (batch-shape.ts), get a filler row
 * with READY false. The batch is formed at once, unless
 * `max_queue_delay_microseconds` and `minimum_slot_utilization` are both set:
 * then it waits until that fraction of the slots is ready or the oldest
 * request has waited the delay.
 *
 * One difference from Triton, to avoid starving a slot: the shapes of the
 * batch are those of the oldest ready request, not of the lowest slot.
 */
import type { BackendInstance } from '../backends/backend.ts';
import { fillerRow, type RequestRow } from './sequence-rows.ts';
import { SequenceLane, type BatchRow, type LaneHost } from './sequence-lane.ts';

export interface DirectOptions {
  /** `direct.max_queue_delay_microseconds`, in milliseconds. */
  readonly delayMs: number;
  /** `direct.minimum_slot_utilization`, 0 to 1. */
  readonly minimumSlotUtilization: number;
}

export class DirectLane extends SequenceLane {
  readonly #options: DirectOptions;

  constructor(host: LaneHost, instance: BackendInstance, options: DirectOptions) {
    super(host, instance, Math.max(1, host.maxBatchSize));
    this.#options = options;
  }

  protected pump(): void {
    this.clearDelay();
    if (this.disposed) return;
    const ready = this.#readySlots();
    if (ready.length === 0 || this.#shouldWait(ready)) return;
    const rows = new Map<number, RequestRow>();
    for (const slot of ready) {
      const row = this.prepare(slot);
      if (row) rows.set(slot, row);
    }
    if (rows.size === 0) return;
    let oldest: RequestRow | undefined;
    for (const row of rows.values()) if (!oldest || row.pending.queuedAt < oldest.pending.queuedAt) oldest = row;
    const key = oldest!.key;
    let last = 0;
    for (const [slot, row] of rows) if (row.key === key) last = Math.max(last, slot);
    const batch: BatchRow[] = [];
    const taken: RequestRow[] = [];
    for (let slot = 0; slot <= last; slot++) {
      const row = rows.get(slot);
      if (row && row.key === key) {
        batch.push(row);
        taken.push(row);
      } else {
        batch.push({ filler: fillerRow(this.host, oldest!) });
      }
    }
    // Dequeue after the batch is fixed: an END frees its slot, and a sequence waiting for one may take it (it runs next batch).
    this.busy = true;
    for (const row of taken) this.take(row.sequence);
    this.run(batch);
  }

  /** Slots whose sequence has a request waiting. */
  #readySlots(): number[] {
    const ready: number[] = [];
    this.slots.forEach((sequence, slot) => {
      if (sequence && sequence.queue.length > 0) ready.push(slot);
    });
    return ready;
  }

  /** Whether to hold the batch back for more slots to fill (arming a timer for the delay's end). */
  #shouldWait(ready: readonly number[]): boolean {
    const { delayMs, minimumSlotUtilization } = this.#options;
    if (delayMs <= 0 || minimumSlotUtilization <= 0) return false;
    if (ready.length / this.slotCount >= minimumSlotUtilization) return false;
    let oldest = Infinity;
    for (const slot of ready) oldest = Math.min(oldest, this.slots[slot]!.queue[0]!.queuedAt);
    const left = oldest + delayMs - performance.now();
    if (left <= 0) return false;
    this.wakeAfter(left);
    return true;
  }
}
