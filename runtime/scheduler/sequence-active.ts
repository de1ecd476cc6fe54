/**
 * One live sequence in the sequence batcher: the requests of one correlation
 * id waiting their turn, its implicit state, and the batch slot it holds.
 *
 * Ownership: the SequenceBatcher creates it at the sequence's START request
 * and forgets its id at the END request (or when it goes idle too long); the
 * lane holding its slot takes its requests, one at a time and in order, and
 * stores the state each result leaves. It lives on until its last request
 * has finished.
 */
import type { ExecRequest, ExecResult } from '../backends/backend.ts';
import type { CorrelationId, SequenceInfo } from './sequence-request.ts';
import type { StateTensors } from './sequence-state.ts';

/** A request accepted by the sequence batcher, waiting in its sequence's queue. */
export interface SequenceRequest {
  /** As validated, without control or state tensors. */
  readonly exec: ExecRequest;
  readonly info: SequenceInfo;
  /** performance.now() at enqueue. */
  readonly queuedAt: number;
  readonly resolve: (result: ExecResult) => void;
}

/** The lane (one per model instance) whose slot a sequence holds. */
export interface SlotHolder {
  /** Requests arrived: form a batch if the strategy says so. */
  wake(): void;
  /** Frees the slot `sequence` holds. */
  release(sequence: ActiveSequence): void;
}

export class ActiveSequence {
  readonly key: string;
  readonly id: CorrelationId;
  /** Requests not yet handed to an instance, oldest first. */
  readonly queue: SequenceRequest[] = [];
  /** The state the next request reads; undefined before the first result (zeros then). */
  state: StateTensors | undefined;
  /** True when a failed request took the state with it: the sequence must start again. */
  stateLost = false;
  /** Requests handed to an instance and not finished (0 or 1: a sequence runs one request at a time). */
  inflight = 0;
  /** performance.now() of the last request that arrived or finished: the idle clock. */
  lastActive: number;
  /** performance.now() since when the sequence has had nothing executing (oldest strategy's queue delay). */
  freeSince: number;
  /** The lane and slot the sequence holds; undefined while it waits in the backlog, or once released. */
  lane: SlotHolder | undefined;
  slot = -1;

  constructor(info: SequenceInfo, now: number) {
    this.key = info.key;
    this.id = info.id;
    this.lastActive = now;
    this.freeSince = now;
  }

  /** Nothing queued or executing. */
  get idle(): boolean {
    return this.queue.length === 0 && this.inflight === 0;
  }
}
