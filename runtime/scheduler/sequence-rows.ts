/**
 * Turning a sequence's request into what an instance executes, and its
 * result back into what the caller gets:
 *
 * - the request gains the control tensors (sequence-controls.ts) and the
 *   sequence's state inputs, asks for the state outputs too, loses the
 *   sequence request parameters, and carries the correlation id and flags
 *   for a model.ts;
 * - a filler row (direct strategy, an empty slot) copies the shapes of a
 *   real row with zeros and READY false, so the batch keeps every sequence
 *   in its slot's row;
 * - the result's state outputs become the sequence's state, and the caller
 *   gets only the outputs it asked for.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ExecRequest, ExecResult } from '../backends/backend.ts';
import { batchShapeKey } from './batch-shape.ts';
import type { ActiveSequence, SequenceRequest } from './sequence-active.ts';
import type { SequenceControls } from './sequence-controls.ts';
import { correlationIdText, SEQUENCE_END, SEQUENCE_START, withoutSequenceParameters } from './sequence-request.ts';
import { SequenceStates, zeroTensor } from './sequence-state.ts';

/** What rows are built with: the model's controls and states, and its name for messages. */
export interface RowContext {
  readonly label: string;
  readonly controls: SequenceControls;
  readonly states: SequenceStates;
}

/** A request of a sequence, ready to execute. */
export interface RequestRow {
  readonly sequence: ActiveSequence;
  readonly pending: SequenceRequest;
  readonly exec: ExecRequest;
  /** Rows with equal keys may share a batch (batch-shape.ts). */
  readonly key: string;
  /** Whether the row reads the sequence's stored state (not a fresh one). */
  readonly readsStoredState: boolean;
}

/** The row for the first request in `sequence`'s queue, or the error that request gets instead. */
export function prepareRow(context: RowContext, sequence: ActiveSequence): RequestRow | ExecResult {
  const pending = sequence.queue[0]!;
  const { start, end, id } = pending.info;
  if (sequence.stateLost && !start) {
    const error = NereidError.internal(
      `${context.label}: the state of sequence ${correlationIdText(id)} was lost when an earlier request of it failed; start the sequence again with the START flag`,
    );
    return { ok: false, error: error.toData() };
  }
  const exec = pending.exec;
  const readsStoredState = !start && sequence.state !== undefined && !context.states.empty;
  const state = context.states.empty ? undefined : readsStoredState ? sequence.state! : context.states.initial();
  const inputs = [...exec.inputs, ...context.controls.tensors({ start, end, ready: true, id })];
  if (state) inputs.push(...state.values());
  const outputs = [...exec.outputs, ...context.states.outputNames.filter((name) => !exec.outputs.includes(name))];
  const prepared: ExecRequest = {
    ...exec,
    inputs,
    outputs,
    parameters: withoutSequenceParameters(exec.parameters),
    correlationId: id,
    flags: (start ? SEQUENCE_START : 0) | (end ? SEQUENCE_END : 0),
  };
  return { sequence, pending, exec: prepared, key: batchShapeKey(prepared), readsStoredState };
}

/** A row for an empty slot, shaped like `like`: zeros, READY false, no correlation id (Triton's null request). */
export function fillerRow(context: RowContext, like: RequestRow): ExecRequest {
  const controls = new Map(context.controls.tensors({ start: false, end: false, ready: false, id: undefined }).map((t) => [t.name, t]));
  const inputs = like.exec.inputs.map((tensor) => controls.get(tensor.name) ?? zeroTensor(tensor.name, tensor.datatype, tensor.shape));
  return { inputs, outputs: like.exec.outputs, batchSize: like.exec.batchSize, correlationId: 0n, flags: 0 };
}

/**
 * Applies `result` to the row's sequence (its state) and returns what the
 * caller gets: the outputs it asked for, in its order.
 */
export function finishRow(context: RowContext, row: RequestRow, result: ExecResult): ExecResult {
  const { sequence, pending } = row;
  const { start, end } = pending.info;
  if (!result.ok) {
    // A failed start leaves nothing to continue from; a failed step keeps the old state if the backend did not take it.
    if (start) sequence.state = undefined;
    else if (row.readsStoredState && sequence.state && !SequenceStates.intact(sequence.state)) sequence.stateLost = true;
    return result;
  }
  if (!context.states.empty) {
    const next = context.states.next(result.outputs, pending.exec.outputs);
    if (typeof next === 'string') {
      sequence.state = undefined;
      sequence.stateLost = !end;
      const error = NereidError.internal(`${context.label}: the model did not return state output '${next}' for sequence ${correlationIdText(pending.info.id)}`);
      return { ok: false, error: error.toData(), compute: result.compute };
    }
    sequence.state = end ? undefined : next;
    sequence.stateLost = false;
  }
  const wanted = pending.exec.outputs;
  if (result.outputs.length === wanted.length && result.outputs.every((tensor, i) => tensor.name === wanted[i])) return result;
  const outputs = wanted.map((name) => result.outputs.find((tensor) => tensor.name === name)!);
  return { ...result, outputs };
}
