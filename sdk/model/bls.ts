/**
 * Calls from a model to other models (BLS): inferences and readiness.
 *
 * An inference is started with the synchronous host callback
 * `HostBridge.infer(callId, descriptor)`, which returns at once; the host
 * later delivers the outcome with `IsolateEntry.resume(callId, result)`,
 * which resolves the waiting promise, so the model runs on to its next
 * `await` inside that same host call. Any number of calls may be in flight.
 * Model loads and unloads (model-control.ts) answer through the same
 * `resume` (callHost). The promise never rejects: a failure (refused by the host, failed
 * inference, unreadable result) resolves as a response with `error` set.
 *
 * @example
 * ```ts
 * // Through InferenceRequest.exec(), which calls startInference(this):
 * const [a, b] = await Promise.all([reqA.exec(), reqB.exec()]);
 * if (isModelReady('tokenizer')) { ... }
 * ```
 */
import { NereidError } from '../errors.ts';
import { boundHost, maybeHost } from './host-slot.ts';
import type { RawTensorData } from './host-tensor.ts';
import { asNereidError } from './failure.ts';
import { RequestFlags, type InferenceRequest } from './inference-request.ts';
import { InferenceResponse } from './inference-response.ts';
import type { BlsRequestDescriptor, BlsResultDescriptor, HostBridge } from './isolate-protocol.ts';
import { tensorFromDescriptor, tensorToDescriptor } from './tensor-descriptor.ts';

/** Where the results of a BLS call in flight go: `final` is true for its last (for exec(), its only) result; `response` is absent when a stream ends without one. */
type Receiver = (response: InferenceResponse | undefined, final: boolean) => void;

/** The BLS calls in flight, by call id (ids are this isolate's, distinct from the host's entry call ids). */
const waiting = new Map<number, Receiver>();
let nextCallId = 1;

function descriptorOf(request: InferenceRequest): BlsRequestDescriptor {
  const descriptor: BlsRequestDescriptor = {
    model: request.model,
    version: request.version,
    inputs: request.inputs.map(tensorToDescriptor),
    requestedOutputs: [...request.requestedOutputNames],
    parameters: { ...request.parameters, ...sequenceParameters(request) },
    timeoutMs: request.timeoutMs,
  };
  const traceParent = request.trace().id;
  if (traceParent !== 0) descriptor.traceParent = traceParent;
  if (request.id !== '') descriptor.id = request.id;
  return descriptor;
}

/** A sequence (correlationId, flags) travels as the parameters Triton's frontends read: sequence_id, sequence_start, sequence_end. */
function sequenceParameters(request: InferenceRequest): Record<string, number | string | boolean> {
  const id = request.correlationId;
  if (id === 0 || id === '') return {};
  const parameters: Record<string, number | string | boolean> = { sequence_id: id };
  if (request.flags & RequestFlags.SEQUENCE_START) parameters.sequence_start = true;
  if (request.flags & RequestFlags.SEQUENCE_END) parameters.sequence_end = true;
  return parameters;
}

/** Sends `request` to the host; resolves when the host resumes this call. */
export function startInference(request: InferenceRequest): Promise<InferenceResponse> {
  return callHost(`request for model '${request.model}': BLS`, (host, callId) => host.infer(callId, descriptorOf(request)));
}

/**
 * Starts a host call whose outcome comes back through `resume` (an
 * inference, a model load or unload): `start` gets the call id. Resolves
 * with the outcome as a response, an error one when the call failed; never
 * rejects. `what` names the call in the error when no host is bound.
 */
export function callHost(what: string, start: (host: HostBridge, callId: number) => void): Promise<InferenceResponse> {
  const host = maybeHost();
  if (host === undefined) {
    return Promise.resolve(new InferenceResponse({ error: NereidError.unavailable(`${what} works only inside a model served by nereid`) }));
  }
  const callId = nextCallId++;
  return new Promise<InferenceResponse>((resolve) => {
    // Registered first: a host may resume before the call even returns.
    waiting.set(callId, (response) => resolve(response ?? new InferenceResponse()));
    try {
      start(host, callId);
    } catch (error) {
      waiting.delete(callId);
      resolve(new InferenceResponse({ error: asNereidError(error) }));
    }
  });
}

/**
 * Sends `request` to the host as a stream: every response of the model
 * (any number from a decoupled model, one from another), in order; errors
 * come as responses with `error`. Leaving the loop early cancels the request.
 */
export function startStream(request: InferenceRequest): AsyncIterable<InferenceResponse> {
  const host = maybeHost();
  const queued: InferenceResponse[] = [];
  let ended = false;
  let wake: (() => void) | undefined;
  const receive: Receiver = (response, final) => {
    if (response !== undefined) queued.push(response);
    if (final) ended = true;
    const waiter = wake;
    wake = undefined;
    waiter?.();
  };
  const callId = nextCallId++;
  if (host === undefined) {
    receive(new InferenceResponse({ error: NereidError.unavailable(`request for model '${request.model}': BLS works only inside a model served by nereid`) }), true);
  } else {
    waiting.set(callId, receive);
    try {
      host.infer(callId, { ...descriptorOf(request), stream: true });
    } catch (error) {
      waiting.delete(callId);
      receive(new InferenceResponse({ error: asNereidError(error) }), true);
    }
  }
  return {
    async *[Symbol.asyncIterator]() {
      try {
        for (;;) {
          const next = queued.shift();
          if (next !== undefined) {
            yield next;
            continue;
          }
          if (ended) return;
          await new Promise<void>((resolve) => (wake = resolve));
        }
      } finally {
        if (!ended && waiting.delete(callId)) host?.cancelInference(callId);
      }
    },
  };
}

/** Number of BLS calls in flight. */
export function inferencesInFlight(): number {
  return waiting.size;
}

function responseOf(result: BlsResultDescriptor, take: (handle: number) => RawTensorData): InferenceResponse {
  try {
    if (result.error !== undefined) {
      return new InferenceResponse({ error: NereidError.fromData(result.error), parameters: result.parameters });
    }
    const outputs = result.outputs.map((descriptor) => tensorFromDescriptor(descriptor, take));
    return new InferenceResponse({ outputs, parameters: result.parameters });
  } catch (error) {
    const message = asNereidError(error).message;
    return new InferenceResponse({ error: NereidError.internal(`model '${result.model}': unreadable BLS response: ${message}`, error) });
  }
}

/**
 * Delivers the result of BLS call `callId` (what `IsolateEntry.resume` does).
 * Throws for an id that is not waiting: that is a host bug, and the host's
 * `resume` call is the place to see it.
 */
export function resumeInference(callId: number, result: BlsResultDescriptor, take: (handle: number) => RawTensorData): void {
  const receive = waiting.get(callId);
  if (receive === undefined) throw new Error(`nereid: resume(${callId}): no BLS call with that id is waiting`);
  const final = result.final !== false;
  if (final) waiting.delete(callId);
  receive(result.empty ? undefined : responseOf(result, take), final);
}

/**
 * True when `name` (at `version`, or the version the policy picks) is loaded
 * and ready to serve, as Triton's `pb_utils.is_model_ready`.
 *
 * @example
 * ```ts
 * import { isModelReady } from 'nereid/model';
 * if (!isModelReady('postprocess', 2)) log.warn('postprocess v2 is not ready');
 * ```
 */
export function isModelReady(name: string, version?: string | number): boolean {
  if (typeof name !== 'string' || name === '') throw NereidError.invalidArg('isModelReady: the model name must be a non-empty string');
  return boundHost('isModelReady()').isModelReady(name, version === undefined ? '' : String(version));
}
