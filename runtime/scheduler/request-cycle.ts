/**
 * Requests that wait on themselves. A model.ts execute that calls another
 * model through BLS holds its instance until the call returns. If that call
 * (directly or further down the chain) needs the same model again and every
 * instance of it is held by an execute of this very chain, it can never
 * start: a single-instance model calling itself, or A -> B -> A. Triton leaves
 * these to time out; a scheduler here refuses them at once with an error that
 * names the instances, so the caller gets an answer instead of a hang.
 *
 * Only the chain's own callers count: an instance busy with other work frees
 * up eventually, an instance waiting for this request never does.
 *
 * @example
 * ```ts
 * const error = requestCycleError("model 'loop' version 1", request, slots);
 * if (error) return resolve({ ok: false, error });
 * ```
 */
import { NereidError, type ErrorData } from '../../sdk/errors.ts';
import type { BackendInstance, ExecRequest } from '../backends/backend.ts';

/** An instance and how many requests it can hold at once. */
export interface InstanceCapacity {
  readonly instance: BackendInstance;
  readonly depth: number;
}

/** The error for `request` when only its own waiting callers could run it; undefined when it can run. */
export function requestCycleError(label: string, request: ExecRequest, instances: readonly InstanceCapacity[]): ErrorData | undefined {
  const callers = request.callers;
  if (callers === undefined || callers.size === 0) return undefined;
  // A caller holds one of its instance's places while it waits.
  if (instances.some(({ instance, depth }) => depth > (callers.has(instance) ? 1 : 0))) return undefined;
  const names = instances.map(({ instance }) => `'${instance.name}'`).join(', ');
  const held = instances.length === 1 ? `its only instance ${names} is` : `all its instances (${names}) are`;
  return NereidError.unavailable(
    `${label} cannot run this request: it was called (through BLS) by a chain of requests in which ${held} already executing and waiting for this call, so it would wait on itself forever. Add instances (instance_group count) or break the cycle.`,
  ).toData();
}
