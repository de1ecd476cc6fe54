/**
 * The dynamic batcher's queue: one FIFO per priority level (level 1 first),
 * each with its Triton queue policy (`ModelQueuePolicy`): a size limit, a
 * default timeout, whether a request may shorten it, and what happens to a
 * request whose timeout passes while queued (REJECT: it fails; DELAY: it
 * moves behind the requests of its level that have not timed out).
 *
 * @example
 * ```ts
 * const queue = new PriorityQueue(config.dynamic_batching ?? {});
 * queue.levelOf(0);                  // the default level, e.g. 1
 * queue.push(entry);                 // or a refusal message when the level is full
 * for (const entry of queue.inOrder()) ...
 * ```
 */
import type { ModelDynamicBatching, ModelQueuePolicy } from '../../sdk/model-config.ts';
import type { ExecRequest, ExecResult } from '../backends/backend.ts';

/** A queued request. */
export interface QueueEntry {
  readonly request: ExecRequest;
  readonly resolve: (result: ExecResult) => void;
  /** performance.now() at enqueue. */
  readonly queuedAt: number;
  /** performance.now() after which the request has waited too long; Infinity: never. */
  readonly deadline: number;
  /** Priority level index (0 = level 1, the highest). */
  readonly level: number;
  /** Rows it adds to a batch (its batch size, at least 1). */
  readonly rows: number;
  /** Arrival number, for preserve_ordering. */
  readonly sequence: number;
  /** Stops listening for the request's cancellation; called when it leaves the queue. */
  stopCancel?: () => void;
}

interface Level {
  readonly policy: Required<ModelQueuePolicy>;
  /** Requests in arrival order, not timed out (or REJECT level: not yet noticed). */
  readonly waiting: QueueEntry[];
  /** DELAY level: requests past their timeout, behind `waiting`. */
  readonly delayed: QueueEntry[];
}

function policyOf(policy: ModelQueuePolicy | undefined): Required<ModelQueuePolicy> {
  return {
    timeout_action: policy?.timeout_action ?? 'REJECT',
    default_timeout_microseconds: policy?.default_timeout_microseconds ?? 0,
    allow_timeout_override: policy?.allow_timeout_override ?? false,
    max_queue_size: policy?.max_queue_size ?? 0,
  };
}

export class PriorityQueue {
  readonly #levels: Level[];
  readonly #defaultLevel: number;
  #size = 0;
  /** Queued requests with a finite deadline: while 0, expiry checks are skipped. */
  #timed = 0;

  constructor(batching: ModelDynamicBatching) {
    const count = Math.max(1, batching.priority_levels ?? 0);
    this.#levels = Array.from({ length: count }, (_, i) => ({
      policy: policyOf(batching.priority_queue_policy?.[String(i + 1)] ?? batching.default_queue_policy),
      waiting: [],
      delayed: [],
    }));
    // Config validation guarantees default_priority_level is in [1, levels] when levels are set.
    this.#defaultLevel = batching.priority_levels ? Math.max(1, batching.default_priority_level ?? 1) - 1 : 0;
  }

  get size(): number {
    return this.#size;
  }

  /** The level index of a request's `priority` (0, absent or beyond the last level: the default level, as Triton). */
  levelOf(priority: number | undefined): number {
    if (!priority || priority > this.#levels.length) return this.#defaultLevel;
    return priority - 1;
  }

  /**
   * How long a request at `level` may wait, in µs (0: no limit): the policy's
   * default, which the request's own timeout may shorten where the policy
   * allows it. As in Triton, a request cannot set a limit where the default is none.
   */
  timeoutUs(level: number, requested: number | undefined): number {
    const policy = this.#levels[level]!.policy;
    const fallback = policy.default_timeout_microseconds;
    if (!policy.allow_timeout_override || !requested || fallback === 0) return fallback;
    return Math.min(fallback, requested);
  }

  /** Adds `entry`; returns a refusal message instead when its level is full. */
  push(entry: QueueEntry): string | undefined {
    const level = this.#levels[entry.level]!;
    const max = level.policy.max_queue_size;
    if (max > 0 && level.waiting.length + level.delayed.length >= max) return 'Exceeds maximum queue size';
    level.waiting.push(entry);
    this.#size++;
    if (entry.deadline !== Infinity) this.#timed++;
    return undefined;
  }

  /** Queued requests in the order batches take them: by level, then waiting before delayed, then arrival. */
  *inOrder(): Generator<QueueEntry> {
    for (const level of this.#levels) {
      yield* level.waiting;
      yield* level.delayed;
    }
  }

  /** Removes `entries` (taken into a batch). */
  remove(entries: readonly QueueEntry[]): void {
    for (const entry of entries) if (entry.deadline !== Infinity) this.#timed--;
    this.#size -= entries.length;
    // The usual case: the batch is the head of the first non-empty level.
    const head = this.#levels.find((level) => level.waiting.length + level.delayed.length > 0);
    if (head && entries.length <= head.waiting.length && entries.every((entry, i) => head.waiting[i] === entry)) {
      head.waiting.splice(0, entries.length);
      return;
    }
    const taken = new Set(entries);
    for (const level of this.#levels) {
      removeFrom(level.waiting, taken);
      removeFrom(level.delayed, taken);
    }
  }

  /**
   * Applies the timeout action to every waiting request past its deadline at
   * `now`: DELAY ones move behind their level, REJECT ones are removed and
   * returned for the caller to fail.
   */
  expire(now: number): QueueEntry[] {
    const rejected: QueueEntry[] = [];
    if (this.#timed === 0) return rejected;
    for (const level of this.#levels) {
      if (!level.waiting.some((entry) => entry.deadline <= now)) continue;
      const keep: QueueEntry[] = [];
      for (const entry of level.waiting) {
        if (entry.deadline > now) keep.push(entry);
        else if (level.policy.timeout_action === 'DELAY') level.delayed.push(entry);
        else rejected.push(entry);
      }
      level.waiting.splice(0, level.waiting.length, ...keep);
    }
    this.#size -= rejected.length;
    this.#timed -= rejected.length;
    return rejected;
  }

  /** The earliest deadline of a request that has not timed out yet (Infinity: none). */
  nextDeadline(): number {
    let next = Infinity;
    if (this.#timed === 0) return next;
    for (const level of this.#levels) for (const entry of level.waiting) if (entry.deadline < next) next = entry.deadline;
    return next;
  }
}

function removeFrom(list: QueueEntry[], taken: ReadonlySet<QueueEntry>): void {
  if (list.length === 0) return;
  let write = 0;
  for (const entry of list) if (!taken.has(entry)) list[write++] = entry;
  list.length = write;
}
