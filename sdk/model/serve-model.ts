/**
 * The isolate side of the host/isolate protocol (`isolate-protocol.ts`):
 * `serveModel(module)` installs the global `__nereidModel` (an `IsolateEntry`)
 * that drives the model defined by a model.ts namespace object.
 *
 * Every entry call returns at once. `initialize`, `execute`, `finalize` and
 * `autoCompleteConfig` run the model's code and report through
 * `HostBridge.settle(callId, ...)` once it finishes (synchronous model code
 * settles before the host's `applySync` returns, since microtasks are flushed
 * before it does). A throw or rejection settles `{ ok: false, error, stack }`:
 * a NereidError keeps its code, anything else is INTERNAL with its message.
 * `resume` and `fireTimer` deliver BLS results and due timers.
 *
 * The bundle's entry must import the prelude first, then model.ts, then this
 * module, so the prelude's globals exist before any other code runs:
 *
 * ```ts
 * import '<sdk>/model/prelude.ts';
 * import * as model from './model.ts';
 * import { serveModel } from '<sdk>/model/serve-model.ts';
 * serveModel(model);
 * ```
 *
 * @example
 * ```ts
 * // In a test (plain Node): a fake host instead of the isolate's.
 * globalThis.__nereidHost = fakeHost;
 * const entry = serveModel({ execute: (requests) => requests.map(() => new InferenceResponse()) });
 * entry.execute(1, [{ id: '', inputs: [], requestedOutputs: [], parameters: {}, correlationId: 0, flags: 0 }]);
 * // ... fakeHost.settle(1, { ok: true, responses: [{ outputs: [] }] })
 * ```
 */
// First, before anything that reaches sdk/tensor.ts (which creates a TextEncoder when it loads).
import './prelude.ts';
import { NereidError } from '../errors.ts';
import type { ModelConfig } from '../model-config.ts';
import { resumeInference } from './bls.ts';
import { modelLabel, responseDescriptors } from './execute-result.ts';
import { failure } from './failure.ts';
import { bindHost, entryGlobal, takeHostGlobal } from './host-slot.ts';
import type { RawTensorData } from './host-tensor.ts';
import { receivedRequest, senderOf, type InferenceRequest } from './inference-request.ts';
import { ENTRY_GLOBAL, HOST_GLOBAL, type HostBridge, type IsolateEntry, type SettleResult } from './isolate-protocol.ts';
import type { ModelModule } from './model-interface.ts';
import { createPrelude, installedPrelude, type Prelude } from './prelude.ts';
import { RequestSignal } from './request-signal.ts';
import { finalResponseOf, hasSent } from './response-sender.ts';
import { resolveModel } from './resolve-model.ts';

/**
 * Runs `work` (sync or async) and settles call `callId` with `done(value)`
 * (which may have to wait: then it returns a promise), or with the failure
 * it threw or rejected with.
 */
function settleLater(host: HostBridge, callId: number, work: () => unknown, done: (value: unknown) => SettleResult | Promise<SettleResult>): void {
  let pending: Promise<unknown>;
  try {
    pending = Promise.resolve(work());
  } catch (error) {
    pending = Promise.reject(error);
  }
  // A throw from host.settle itself is left unhandled: the host's applySync reports it.
  void pending.then(
    (value) => {
      let result: SettleResult | Promise<SettleResult>;
      try {
        result = done(value);
      } catch (error) {
        result = failure(error);
      }
      if (result instanceof Promise) void result.then((settled) => host.settle(callId, settled), (error: unknown) => host.settle(callId, failure(error)));
      else host.settle(callId, result);
    },
    (error: unknown) => host.settle(callId, failure(error)),
  );
}

/** A decoupled model's execute answers through response senders and returns nothing (or an empty array). */
function decoupledDone(result: unknown, modelName: string): SettleResult {
  if (result === undefined || (Array.isArray(result) && result.length === 0)) return { ok: true };
  throw NereidError.internal(
    `${modelLabel(modelName)}: a decoupled model's execute returns nothing; it sends each request's responses with request.getResponseSender()`,
  );
}

/**
 * A model that is not decoupled answers by returning its responses, or by
 * returning nothing after (or while) sending each request's one response
 * through its response sender: then these are the responses, once final.
 */
function returnedOrSent(result: unknown, requests: readonly InferenceRequest[], modelName: string): SettleResult | Promise<SettleResult> {
  if (result !== undefined && result !== null) {
    const alsoSent = requests.some((request) => {
      const sender = senderOf(request);
      return sender !== undefined && hasSent(sender);
    });
    if (alsoSent) {
      throw NereidError.internal(`${modelLabel(modelName)}: execute both returned responses and sent some through response senders; do one or the other`);
    }
    return { ok: true, responses: responseDescriptors(result, requests, modelName) };
  }
  const sent = requests.map((request, i) => {
    const sender = senderOf(request);
    const response = sender && finalResponseOf(sender);
    if (response) return response;
    throw NereidError.internal(
      `${modelLabel(modelName)}: execute returned nothing, and request ${request.id ? `'${request.id}'` : i} got no response through request.getResponseSender(); return one InferenceResponse per request, or send each through its sender`,
    );
  });
  return Promise.all(sent).then((responses) => ({ ok: true, responses: responseDescriptors(responses, requests, modelName) }));
}

function completedConfig(value: unknown, given: ModelConfig, modelName: string): ModelConfig {
  if (value === undefined) return given;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw NereidError.internal(
      `${modelLabel(modelName)}: autoCompleteConfig must return the model config (or nothing, after changing it in place); it returned ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`,
    );
  }
  return value as ModelConfig;
}

/** The prelude of this isolate, or (in Node tests) one for a host installed after the prelude loaded. */
function currentPrelude(): Prelude {
  const prelude = installedPrelude();
  if (prelude !== undefined) return prelude;
  const host = takeHostGlobal();
  if (host === undefined) {
    throw new Error(`serveModel: no host bridge: the host must install globalThis.${HOST_GLOBAL} before the bundle runs`);
  }
  return createPrelude(host);
}

/**
 * Serves the model defined by `module` (model.ts's namespace object): installs
 * and returns the `IsolateEntry`. Throws at once when the module defines no model.
 * `prelude` defaults to the one the bundle's prelude module installed.
 */
export function serveModel(module: ModelModule, prelude: Prelude = currentPrelude()): IsolateEntry {
  const { host } = prelude;
  bindHost(host);
  const model = resolveModel(module);
  const take = (handle: number): RawTensorData => host.takeTensor(handle);
  const ok = (): SettleResult => ({ ok: true });
  let modelName = '';
  let decoupled = false;

  // Plain closures: the host calls these through references, without a `this`.
  const entry: IsolateEntry = {
    initialize(callId, args) {
      modelName = args.modelName;
      decoupled = args.modelConfig?.model_transaction_policy?.decoupled === true;
      settleLater(host, callId, () => model.instance().initialize?.(args), ok);
    },
    execute(callId, descriptors) {
      let requests: InferenceRequest[] = [];
      settleLater(
        host,
        callId,
        () => {
          requests = descriptors.map((descriptor) => receivedRequest(descriptor, modelName, take));
          return model.instance().execute(requests);
        },
        (result) => (decoupled ? decoupledDone(result, modelName) : returnedOrSent(result, requests, modelName)),
      );
    },
    finalize(callId) {
      settleLater(host, callId, () => model.created()?.finalize?.(), ok);
    },
    resume(callId, result) {
      resumeInference(callId, result, take);
    },
    cancelled(cancelToken) {
      RequestSignal.fireToken(cancelToken);
    },
    fireTimer(timerId) {
      prelude.timers.fire(timerId);
    },
  };
  const autoComplete = model.autoCompleteConfig;
  if (autoComplete !== undefined) {
    entry.autoCompleteConfig = (callId, config) => {
      if (typeof config?.name === 'string' && config.name !== '') modelName = config.name;
      settleLater(
        host,
        callId,
        () => autoComplete(config),
        (value) => ({ ok: true, config: completedConfig(value, config, modelName) }),
      );
    };
  }
  Object.freeze(entry);
  Object.defineProperty(globalThis, ENTRY_GLOBAL, { value: Object.freeze(entryGlobal(entry)), writable: false, configurable: true, enumerable: false });
  return entry;
}
