/**
 * The instances a scheduler hands work to, and how much each one holds: what
 * the default scheduler and the dynamic batcher share. An instance takes up
 * to `depth` units of work at once (requests for the one, batches for the
 * other) and is `suspended` while the model replaces it after a failure, so
 * that work waits for the fresh instance instead of failing on the dead one.
 *
 * @example
 * ```ts
 * const slots = new InstanceSlots(instances, 4);
 * const slot = slots.free(); // the least busy instance with room, or undefined
 * ```
 */
import type { BackendInstance } from '../backends/backend.ts';

export interface InstanceSlot {
  instance: BackendInstance;
  /** Units of work the instance holds now. */
  busy: number;
  /** Units it may hold at once: `maxDepth`, or less if the instance says so (`concurrency`). */
  depth: number;
  /** It failed and is being replaced: it gets no work. */
  suspended: boolean;
}

export class InstanceSlots {
  readonly all: readonly InstanceSlot[];
  readonly #maxDepth: number;

  constructor(instances: readonly BackendInstance[], maxDepth: number) {
    this.#maxDepth = maxDepth;
    this.all = instances.map((instance) => ({ instance, busy: 0, depth: this.#depthOf(instance), suspended: false }));
  }

  /** The least busy instance with room (an idle one at once), if any. */
  free(): InstanceSlot | undefined {
    let best: InstanceSlot | undefined;
    for (const slot of this.all) {
      if (slot.suspended || slot.busy >= slot.depth) continue;
      if (slot.busy === 0) return slot;
      if (!best || slot.busy < best.busy) best = slot;
    }
    return best;
  }

  /** `fresh` takes the place of `failed`, and work. */
  replace(failed: BackendInstance, fresh: BackendInstance): void {
    const slot = this.#slotOf(failed);
    if (!slot) return;
    slot.instance = fresh;
    slot.depth = this.#depthOf(fresh);
    slot.suspended = false;
  }

  suspend(instance: BackendInstance): void {
    const slot = this.#slotOf(instance);
    if (slot) slot.suspended = true;
  }

  resume(instance: BackendInstance): void {
    const slot = this.#slotOf(instance);
    if (slot) slot.suspended = false;
  }

  #slotOf(instance: BackendInstance): InstanceSlot | undefined {
    return this.all.find((slot) => slot.instance === instance);
  }

  #depthOf(instance: BackendInstance): number {
    return Math.max(1, Math.min(this.#maxDepth, instance.concurrency ?? this.#maxDepth));
  }
}
