/**
 * Triton's sequence batcher (`sequence_batching { ... }`): the scheduler for
 * stateful models, where every request belongs to a sequence named by a
 * correlation id (request parameters `sequence_id`, `sequence_start`,
 * `sequence_end`; sequence-request.ts).
 *
 * - A sequence starts with a START request, which takes a free batch slot
 *   (lower slot numbers first, spread over the instances) or waits in the
 *   backlog until one frees up; all its requests then run on that slot's
 *   instance, one at a time and in order. Its END request frees the slot.
 * - Each instance is a lane (sequence-lane.ts) that forms batches by the
 *   configured strategy: `direct` (default; sequence-direct.ts) or `oldest`
 *   (sequence-oldest.ts).
 * - Requests gain control tensors and implicit state (sequence-rows.ts).
 * - A sequence with nothing queued or executing for
 *   `max_sequence_idle_microseconds` (default 1 s) loses its slot; a later
 *   request of it without START gets an error that says so.
 *
 * Results never reject; requests the batcher refuses itself (malformed or
 * missing sequence parameters, unloading) come back with `rejected: true`.
 *
 * @example
 * ```ts
 * const scheduler = new SequenceBatcher("model 'accumulate' version 1", config, instances, stats);
 * await scheduler.enqueue({ ...request, parameters: { sequence_id: 7, sequence_start: true } });
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { BackendInstance, ExecRequest, ExecResult } from '../backends/backend.ts';
import type { ModelStats } from '../stats/model-stats.ts';
import { cancelledResult, onCancel } from './cancellation.ts';
import { requestCycleError } from './request-cycle.ts';
import { InflightCount } from './inflight-count.ts';
import { MAX_TIMER_MS, type Scheduler } from './scheduler.ts';
import { ActiveSequence, type SequenceRequest } from './sequence-active.ts';
import { SequenceControls } from './sequence-controls.ts';
import { DirectLane } from './sequence-direct.ts';
import type { LaneHost, SequenceLane } from './sequence-lane.ts';
import { OldestLane } from './sequence-oldest.ts';
import { correlationIdText, readSequenceInfo, type SequenceInfo } from './sequence-request.ts';
import { SequenceStates } from './sequence-state.ts';

/** Triton's default `max_sequence_idle_microseconds`. */
const DEFAULT_IDLE_MICROSECONDS = 1_000_000;
/** How many ended-for-idleness ids to remember, for a clearer error when one of them comes back. */
const EXPIRED_MEMORY = 4096;

interface FreeSlot {
  readonly lane: SequenceLane;
  readonly laneIndex: number;
  readonly slot: number;
}

export class SequenceBatcher implements Scheduler, LaneHost {
  readonly label: string;
  readonly controls: SequenceControls;
  readonly states: SequenceStates;
  readonly stats: ModelStats | undefined;
  readonly maxBatchSize: number;
  readonly #model: string;
  readonly #idleMs: number;
  readonly #idleMicroseconds: number;
  readonly #lanes: SequenceLane[];
  /** Free slots; the lowest (slot, instance) is taken first, as Triton does, so sequences spread over instances. */
  readonly #free: FreeSlot[] = [];
  /** Sequences waiting for a slot, in arrival order. */
  readonly #backlog: ActiveSequence[] = [];
  /** Sequences that can still receive requests (started, not yet ended), by correlation key. */
  readonly #active = new Map<string, ActiveSequence>();
  /** Keys of sequences ended for idleness, oldest first (bounded). */
  readonly #expired = new Set<string>();
  #reaper: NodeJS.Timeout | undefined;
  readonly #inflight = new InflightCount(() => this.#stop());

  /** `label` names the model and version in error messages, e.g. `model 'accumulate' version 1`. */
  constructor(label: string, config: ModelConfig, instances: readonly BackendInstance[], stats?: ModelStats) {
    if (instances.length === 0) throw NereidError.internal(`${label}: a scheduler needs at least one instance`);
    const batching = config.sequence_batching ?? {};
    this.label = label;
    this.#model = config.name;
    this.stats = stats;
    this.maxBatchSize = config.max_batch_size ?? 0;
    this.controls = SequenceControls.fromConfig(config);
    this.states = SequenceStates.fromConfig(config);
    this.#idleMicroseconds = batching.max_sequence_idle_microseconds || DEFAULT_IDLE_MICROSECONDS;
    this.#idleMs = this.#idleMicroseconds / 1000;
    const oldest = batching.oldest;
    this.#lanes = instances.map((instance) =>
      oldest
        ? new OldestLane(this, instance, {
            candidates: oldest.max_candidate_sequences ?? 0,
            preferred: oldest.preferred_batch_size ?? [],
            delayMs: (oldest.max_queue_delay_microseconds ?? 0) / 1000,
          })
        : new DirectLane(this, instance, {
            delayMs: (batching.direct?.max_queue_delay_microseconds ?? 0) / 1000,
            minimumSlotUtilization: batching.direct?.minimum_slot_utilization ?? 0,
          }),
    );
    this.#lanes.forEach((lane, laneIndex) => {
      for (let slot = 0; slot < lane.slotCount; slot++) this.#free.push({ lane, laneIndex, slot });
    });
  }

  get inflightCount(): number {
    return this.#inflight.count;
  }

  get pendingCount(): number {
    return this.#inflight.count - this.#lanes.reduce((sum, lane) => sum + lane.executingCount, 0);
  }

  enqueue(request: ExecRequest): Promise<ExecResult> {
    if (this.#inflight.draining) return refuse(NereidError.unavailable(`${this.label} is unloading`));
    const cycle = requestCycleError(this.label, request, this.#lanes.map((lane) => ({ instance: lane.instance, depth: 1 })));
    if (cycle) return Promise.resolve({ ok: false, error: cycle, rejected: true });
    if (request.signal?.aborted) return Promise.resolve(cancelledResult(this.label));
    if (request.batchSize > 1) {
      return refuse(NereidError.invalidArg(`inference request to model '${this.#model}' must specify batch-size 1 due to requirements of sequence batcher`));
    }
    let info: SequenceInfo;
    try {
      info = readSequenceInfo(this.#model, request.parameters);
    } catch (error) {
      return refuse(NereidError.from(error));
    }
    const known = this.#active.get(info.key);
    if (!known && !info.start) return refuse(this.#notStartedError(info));
    return new Promise<ExecResult>((resolve) => {
      const now = performance.now();
      const pending: SequenceRequest = { exec: request, info, queuedAt: now, resolve };
      this.#inflight.add();
      // A START for a live id continues in its slot (Triton does the same): the START resets the state.
      const sequence = known ?? new ActiveSequence(info, now);
      sequence.queue.push(pending);
      // As Triton, a cancelled request takes the rest of its sequence's queued requests with it.
      onCancel(request, () => {
        const index = sequence.queue.indexOf(pending);
        if (index < 0) return; // already on an instance
        for (const dropped of sequence.queue.splice(index)) {
          dropped.resolve(cancelledResult(this.label));
          this.finished(sequence);
        }
      });
      sequence.lastActive = now;
      if (info.end) this.#active.delete(info.key);
      else this.#active.set(info.key, sequence);
      if (known) {
        known.lane?.wake();
      } else {
        this.#expired.delete(info.key);
        this.#place(sequence);
      }
      this.#armReaper();
    });
  }

  replaceInstance(failed: BackendInstance, fresh: BackendInstance): void {
    for (const lane of this.#lanes) if (lane.instance === failed) lane.instance = fresh;
  }

  drain(): Promise<void> {
    // No request can arrive any more: idle sequences give their slots to the backlog now.
    for (const sequence of [...this.#active.values()]) if (sequence.idle) this.#end(sequence);
    return this.#inflight.drain();
  }

  slotFreed(lane: SequenceLane, slot: number): void {
    const waiting = this.#backlog.shift();
    if (waiting) {
      lane.assign(slot, waiting);
      return;
    }
    const laneIndex = this.#lanes.indexOf(lane);
    this.#free.push({ lane, laneIndex, slot });
  }

  finished(sequence: ActiveSequence): void {
    if (this.#inflight.draining && sequence.idle) this.#end(sequence);
    this.#inflight.done();
    this.#armReaper(); // not while draining: idle sequences end at once then
  }

  /** Gives `sequence` the lowest free slot, or puts it in the backlog. */
  #place(sequence: ActiveSequence): void {
    let best = -1;
    this.#free.forEach((free, i) => {
      const current = this.#free[best];
      if (!current || free.slot < current.slot || (free.slot === current.slot && free.laneIndex < current.laneIndex)) best = i;
    });
    if (best < 0) {
      this.#backlog.push(sequence);
      return;
    }
    const [free] = this.#free.splice(best, 1);
    free!.lane.assign(free!.slot, sequence);
  }

  /** Forgets an idle sequence and frees its slot. */
  #end(sequence: ActiveSequence): void {
    if (this.#active.get(sequence.key) === sequence) this.#active.delete(sequence.key);
    sequence.state = undefined;
    sequence.lane?.release(sequence);
  }

  /** Arms the idle check for the soonest sequence that can go idle, if none is armed. */
  #armReaper(): void {
    if (this.#reaper || this.#inflight.draining) return;
    let soonest = Infinity;
    for (const sequence of this.#active.values()) {
      if (sequence.lane && sequence.idle) soonest = Math.min(soonest, sequence.lastActive + this.#idleMs);
    }
    if (soonest === Infinity) return;
    this.#reaper = setTimeout(() => this.#reap(), Math.min(MAX_TIMER_MS, Math.max(0, Math.ceil(soonest - performance.now()))));
    // Idle sequences alone must not keep the process alive.
    this.#reaper.unref();
  }

  #reap(): void {
    this.#reaper = undefined;
    const now = performance.now();
    for (const sequence of [...this.#active.values()]) {
      if (!sequence.lane || !sequence.idle || now - sequence.lastActive < this.#idleMs) continue;
      this.#end(sequence);
      this.#expired.add(sequence.key);
      if (this.#expired.size > EXPIRED_MEMORY) this.#expired.delete(this.#expired.values().next().value!);
    }
    this.#armReaper();
  }

  #notStartedError(info: SequenceInfo): NereidError {
    const base = `inference request for sequence ${correlationIdText(info.id)} to model '${this.#model}' must specify the START flag on the first request of the sequence`;
    if (!this.#expired.has(info.key)) return NereidError.invalidArg(base);
    return NereidError.invalidArg(
      `${base}: the sequence was ended after it had been idle for longer than max_sequence_idle_microseconds (${this.#idleMicroseconds} µs), and its slot was given to others`,
    );
  }

  #stop(): void {
    clearTimeout(this.#reaper);
    this.#reaper = undefined;
    for (const lane of this.#lanes) lane.dispose();
  }
}

function refuse(error: NereidError): Promise<ExecResult> {
  return Promise.resolve({ ok: false, error: error.toData(), rejected: true });
}
