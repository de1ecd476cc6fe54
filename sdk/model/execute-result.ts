/**
 * Checks what a model's `execute` returned and turns it into the response
 * descriptors the host receives. The result must be an array of exactly one
 * `InferenceResponse` per request, in request order; anything else fails the
 * whole batch with an INTERNAL error naming the model, what was expected and
 * what came back. Outputs a request did not ask for are dropped here, so
 * they never cross the boundary.
 *
 * @example
 * ```ts
 * const result = await model.execute(requests);
 * host.settle(callId, { ok: true, responses: responseDescriptors(result, requests, 'add_sub') });
 * ```
 */
import { NereidError } from '../errors.ts';
import type { InferenceRequest } from './inference-request.ts';
import { InferenceResponse } from './inference-response.ts';
import type { ResponseDescriptor } from './isolate-protocol.ts';
import { tensorToDescriptor } from './tensor-descriptor.ts';

/** `model 'name'`, or `the model` before the name is known. */
export function modelLabel(modelName: string): string {
  return modelName ? `model '${modelName}'` : 'the model';
}

function describe(value: unknown): string {
  if (value === undefined || value === null) return String(value);
  if (Array.isArray(value)) return 'an array';
  if (typeof value !== 'object') return `a ${typeof value}`;
  const name = (value as object).constructor?.name;
  if (!name || name === 'Object') return 'a plain object';
  return `${/^[AEIOU]/.test(name) ? 'an' : 'a'} ${name}`;
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** The descriptor `response` crosses to the host as, keeping only the `requested` outputs (all when none are listed). */
export function describeResponse(response: InferenceResponse, requested: readonly string[]): ResponseDescriptor {
  const descriptor: ResponseDescriptor = { outputs: [] };
  if (Object.keys(response.parameters).length > 0) descriptor.parameters = { ...response.parameters };
  if (response.error !== undefined) {
    descriptor.error = response.error.toData();
    return descriptor;
  }
  const wanted = requested.length > 0 ? new Set(requested) : undefined;
  // Every output when one asked for is missing: the host's error then names what the model did return.
  const complete = wanted === undefined || requested.every((name) => response.outputs.some((output) => output.name === name));
  for (const output of response.outputs) {
    if (!complete || wanted === undefined || wanted.has(output.name)) descriptor.outputs.push(tensorToDescriptor(output));
  }
  return descriptor;
}

/** The descriptors for `result`, the value `execute` produced for `requests`. */
export function responseDescriptors(result: unknown, requests: readonly InferenceRequest[], modelName: string): ResponseDescriptor[] {
  const model = modelLabel(modelName);
  if (!Array.isArray(result)) {
    throw NereidError.internal(
      `${model}: execute must return an array of ${plural(requests.length, 'InferenceResponse')} (one per request); it returned ${describe(result)}`,
    );
  }
  if (result.length !== requests.length) {
    throw NereidError.internal(
      `${model}: execute returned ${plural(result.length, 'response')} for ${plural(requests.length, 'request')}; expected ${requests.length}, one InferenceResponse per request in request order`,
    );
  }
  return result.map((response: unknown, index) => {
    if (!(response instanceof InferenceResponse)) {
      throw NereidError.internal(
        `${model}: execute's response ${index} is ${describe(response)}, not an InferenceResponse (build it with new InferenceResponse({ outputs }))`,
      );
    }
    return describeResponse(response, requests[index]!.requestedOutputNames);
  });
}
