/**
 * One inference request, in both directions (as Triton's `pb_utils.InferenceRequest`):
 *
 * - `execute(requests)` receives the requests sent to this model (built by the
 *   runtime; `model` is this model's name, `exec()` does not apply);
 * - a model builds one to call another model (BLS) and sends it with
 *   `exec()`, which resolves with the `InferenceResponse`, never rejects:
 *   check `response.hasError()`. Several may be in flight (`Promise.all`),
 *   and calls may be chained in a loop.
 *
 * Input tensors may be host tensors (their payload still on the server):
 * passing one on to `exec()` or into a response unchanged, renamed or
 * reshaped does not move its bytes; reading `.data` does, once.
 *
 * @example
 * ```ts
 * import { InferenceRequest, InferenceResponse, type Model } from 'nereid/model';
 *
 * export default class Pipeline implements Model {
 *   async execute(requests: InferenceRequest[]): Promise<InferenceResponse[]> {
 *     return Promise.all(requests.map(async (request) => {
 *       const text = request.requireInput('TEXT');
 *       const tokens = await new InferenceRequest({ model: 'tokenizer', inputs: [text], requestedOutputs: ['IDS'] }).exec();
 *       if (tokens.hasError()) return new InferenceResponse({ error: tokens.error });
 *       const logits = await new InferenceRequest({ model: 'encoder', inputs: [tokens.requireOutput('IDS').rename('input_ids')] }).exec();
 *       return new InferenceResponse({ outputs: logits.outputs, error: logits.error });
 *     }));
 *   }
 * }
 * ```
 */
import { NereidError } from '../errors.ts';
import type { Tensor } from '../tensor.ts';
import { startInference, startStream } from './bls.ts';
import { boundHost } from './host-slot.ts';
import { RequestSignal } from './request-signal.ts';
import { ResponseSender } from './response-sender.ts';
import { InferenceResponse, checkTensors } from './inference-response.ts';
import type { ParameterValue, RequestDescriptor } from './isolate-protocol.ts';
import { checkParameters, type Parameters } from './parameters.ts';
import type { RawTensorData } from './host-tensor.ts';
import { tensorFromDescriptor } from './tensor-descriptor.ts';

/** Sequence flags of `InferenceRequest.flags` (Triton's TRITONSERVER_REQUEST_FLAG_SEQUENCE_*). */
export const RequestFlags = Object.freeze({
  /** The first request of a sequence. */
  SEQUENCE_START: 1,
  /** The last request of a sequence. */
  SEQUENCE_END: 2,
} as const);

/** What `new InferenceRequest(...)` takes, to call another model. */
export interface InferenceRequestInit {
  /** The model to call. */
  model: string;
  /** Its version (a number or decimal string); absent: the version policy decides. */
  version?: string | number;
  /** Input tensors, each name at most once. */
  inputs: readonly Tensor[];
  /** Outputs to return; absent or empty: all of them. */
  requestedOutputs?: readonly string[];
  /** Request parameters: booleans, finite numbers, strings. */
  parameters?: Record<string, ParameterValue>;
  /** Give up with an error response after this many milliseconds (`stream()`: the whole stream, which then ends with that error), cancelling the call; 0 or absent: no limit. */
  timeoutMs?: number;
  /** The request's id, which the called model sees and its response echoes (Triton's `request_id`). */
  requestId?: string;
  /**
   * For a stateful (sequence-batched) model: the sequence this request
   * belongs to (Triton's `correlation_id`): a non-negative integer or a
   * string; 0 or '' for none. Sent as the `sequence_id` parameter. A
   * received uint64 id above 2^53 reads as its decimal text; passed on here
   * it names a string sequence, not the uint64 one.
   */
  correlationId?: number | string;
  /** With `correlationId`: `RequestFlags.SEQUENCE_START` and/or `SEQUENCE_END`, sent as `sequence_start` / `sequence_end`. */
  flags?: number;
  /**
   * The trace this call is part of: `request.trace()` of the request being
   * executed. When the server traces that request, this call is traced as
   * its child (`parent_id`), as Triton's BLS `trace=request.trace()`.
   */
  trace?: InferenceTrace;
}

/**
 * A received request's trace (Triton's trace extension), to pass on to the
 * calls made for it: `new InferenceRequest({ ..., trace: request.trace() })`.
 * `id` is 0 when the server does not trace the request.
 */
export interface InferenceTrace {
  readonly id: number;
}

const UNTRACED: InferenceTrace = Object.freeze({ id: 0 });

/** What the runtime adds for a request it hands to `execute`. */
interface ReceivedFields {
  id: string;
  correlationId: number | string;
  flags: number;
  cancelToken: number;
  responseToken: number;
  traceId: number;
}

// Not exported: only this module can build a received request.
const RECEIVED: unique symbol = Symbol('received');
type Init = InferenceRequestInit & { [RECEIVED]?: ReceivedFields };

function checkVersion(version: unknown, what: string): string {
  if (version === undefined || version === '') return '';
  const text = typeof version === 'number' ? String(version) : version;
  if (typeof text !== 'string' || !/^\d+$/.test(text)) {
    throw NereidError.invalidArg(`${what}: version must be a non-negative integer or its decimal string, got ${String(version)}`);
  }
  return text;
}

function checkRequestId(id: unknown, what: string): string {
  if (id === undefined) return '';
  if (typeof id !== 'string') throw NereidError.invalidArg(`${what}: requestId must be a string`);
  return id;
}

function checkCorrelationId(id: unknown, what: string): number | string {
  if (id === undefined) return 0;
  if (typeof id === 'string' || (typeof id === 'number' && Number.isSafeInteger(id) && id >= 0)) return id;
  throw NereidError.invalidArg(`${what}: correlationId must be a non-negative integer or a string, got ${String(id)}`);
}

function checkFlags(flags: unknown, correlationId: number | string, what: string): number {
  if (flags === undefined || flags === 0) return 0;
  const all = RequestFlags.SEQUENCE_START | RequestFlags.SEQUENCE_END;
  if (typeof flags !== 'number' || !Number.isInteger(flags) || (flags & ~all) !== 0 || flags < 0) {
    throw NereidError.invalidArg(`${what}: flags must combine RequestFlags.SEQUENCE_START (1) and SEQUENCE_END (2), got ${String(flags)}`);
  }
  if (correlationId === 0 || correlationId === '') throw NereidError.invalidArg(`${what}: flags mark a sequence's start or end, so they need a correlationId`);
  return flags;
}

function checkOutputNames(names: unknown, what: string): readonly string[] {
  if (names === undefined) return Object.freeze([]);
  if (!Array.isArray(names) || !names.every((name) => typeof name === 'string' && name !== '')) {
    throw NereidError.invalidArg(`${what}: requestedOutputs must be an array of output names`);
  }
  return Object.freeze([...(names as string[])]);
}

/** Reads a request's sender (serve-model.ts collects the responses of a model that is not decoupled); set by the class. */
let readSender: (request: InferenceRequest) => ResponseSender | undefined;

/** The sender `request.getResponseSender()` made, if it was called. */
export function senderOf(request: InferenceRequest): ResponseSender | undefined {
  return readSender(request);
}

/** A request to a model: received by `execute`, or built to call another model. */
export class InferenceRequest {
  /** The model called (for a received request: this model). */
  readonly model: string;
  /** The version asked for; '' lets the version policy decide. */
  readonly version: string;
  /** The request's id: as the client sent it, or a built request's `requestId` ('' when none). */
  readonly id: string;
  readonly inputs: readonly Tensor[];
  /** Names of the outputs to produce (a received request lists every output when the client asked for none). */
  readonly requestedOutputNames: readonly string[];
  readonly parameters: Parameters;
  /** Sequence correlation id; 0 or '' outside a sequence. */
  readonly correlationId: number | string;
  /** Sequence flags, a combination of `RequestFlags`; 0 outside a sequence. */
  readonly flags: number;
  /** For `exec()` and `stream()`: milliseconds before the call gives up; 0: no limit. */
  readonly timeoutMs: number;
  readonly #received: boolean;
  readonly #cancelToken: number;
  readonly #responseToken: number;
  /** Received: this request's trace; built: the trace the call is part of (id 0: none). */
  readonly #trace: InferenceTrace;
  #sender: ResponseSender | undefined;
  #signal: RequestSignal | undefined;

  constructor(init: InferenceRequestInit) {
    if (typeof init !== 'object' || init === null) throw NereidError.invalidArg('InferenceRequest: expected { model, inputs, ... }');
    const received = (init as Init)[RECEIVED];
    this.#received = received !== undefined;
    this.#cancelToken = received?.cancelToken ?? 0;
    this.#responseToken = received?.responseToken ?? 0;
    const traceId = received?.traceId ?? traceIdOf(init.trace);
    this.#trace = traceId === 0 ? UNTRACED : Object.freeze({ id: traceId });
    if (received === undefined && (typeof init.model !== 'string' || init.model === '')) {
      throw NereidError.invalidArg('InferenceRequest: model must be the name of the model to call');
    }
    const what = received === undefined ? `request for model '${init.model}'` : describeReceived(init.model, received.id);
    this.model = init.model;
    this.version = checkVersion(init.version, what);
    this.id = received?.id ?? checkRequestId(init.requestId, what);
    this.inputs = checkTensors(init.inputs, what, 'input');
    this.requestedOutputNames = checkOutputNames(init.requestedOutputs, what);
    this.parameters = checkParameters(init.parameters, what);
    this.correlationId = received?.correlationId ?? checkCorrelationId(init.correlationId, what);
    this.flags = received?.flags ?? checkFlags(init.flags, this.correlationId, what);
    const timeoutMs = init.timeoutMs ?? 0;
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) {
      throw NereidError.invalidArg(`${what}: timeoutMs must be a non-negative number of milliseconds`);
    }
    this.timeoutMs = timeoutMs;
  }

  /** The input named `name`, if the request has it. */
  input(name: string): Tensor | undefined {
    return this.inputs.find((tensor) => tensor.name === name);
  }

  /** The input named `name`; throws INVALID_ARG naming the model, the request and the inputs it does have. */
  requireInput(name: string): Tensor {
    const tensor = this.input(name);
    if (tensor === undefined) {
      const what = this.#received ? describeReceived(this.model, this.id) : `request for model '${this.model}'`;
      const names = this.inputs.map((input) => input.name).join(', ') || 'none';
      throw NereidError.invalidArg(`${what} has no input '${name}' (its inputs: ${names})`);
    }
    return tensor;
  }

  /**
   * Whether the client has cancelled this request (it disconnected, cancelled
   * its call, or its caller's request was cancelled). Long-running models
   * should check it between steps and stop early: the response of a
   * cancelled request is dropped. Always false for a request built to call
   * another model.
   *
   * @example
   * ```ts
   * for (let step = 0; step < maxTokens && !request.isCancelled(); step++) { ... }
   * ```
   */
  isCancelled(): boolean {
    return this.#cancelToken !== 0 && boundHost('isCancelled()').isCancelled(this.#cancelToken);
  }

  /**
   * This request's trace, to pass to the calls made for it (`trace:` of
   * `new InferenceRequest`), so that a traced request's BLS calls are traced
   * as its children. For a request built to call another model: the trace
   * it was given.
   *
   * @example
   * ```ts
   * await new InferenceRequest({ model: 'simple', inputs: request.inputs, trace: request.trace() }).exec();
   * ```
   */
  trace(): InferenceTrace {
    return this.#trace;
  }

  /**
   * The request's cancellation as an AbortSignal-like object: `aborted`,
   * `reason`, `throwIfAborted()`, and 'abort' listeners (or `onabort`) that
   * run when the client goes away.
   *
   * @example
   * ```ts
   * request.signal.addEventListener('abort', () => log.info('stopping early'));
   * ```
   */
  get signal(): RequestSignal {
    const what = this.#received ? describeReceived(this.model, this.id) : `request for model '${this.model}'`;
    this.#signal ??= new RequestSignal(this.#cancelToken, what);
    return this.#signal;
  }

  /**
   * The sender for this request's responses. In a decoupled model
   * (`model_transaction_policy { decoupled: true }`): any number of responses,
   * during execute or after, the last one marked final. In any other model:
   * one response and `final`, with `execute` returning nothing (Triton's
   * Python backend allows this since 24.06). The same sender on every call.
   *
   * @example
   * ```ts
   * const sender = request.getResponseSender();
   * sender.send(new InferenceResponse({ outputs: [token] }));
   * sender.send(undefined, { final: true });
   * ```
   */
  getResponseSender(): ResponseSender {
    if (!this.#received) {
      throw NereidError.unsupported(`request for model '${this.model}': only a request the model received has a response sender (a request built to call another model gets its response from exec())`);
    }
    this.#sender ??= new ResponseSender(this.#responseToken, describeReceived(this.model, this.id), this.requestedOutputNames, () => this.isCancelled());
    return this.#sender;
  }

  static {
    readSender = (request) => request.#sender;
  }

  /**
   * Sends this request to `model` and yields every response it sends: any
   * number from a decoupled model (e.g. one per generated token), one from
   * any other. A failure comes as a response with `error`. Leaving the loop
   * early (`break`) cancels the request.
   *
   * @example
   * ```ts
   * for await (const token of new InferenceRequest({ model: 'generate', inputs: [prompt] }).stream()) {
   *   if (token.hasError()) throw token.error;
   *   sender.send(new InferenceResponse({ outputs: token.outputs }));
   * }
   * ```
   */
  stream(): AsyncIterable<InferenceResponse> {
    if (this.#received) {
      const error = NereidError.unsupported(
        `${describeReceived(this.model, this.id)}: a request received by execute cannot be sent with stream(); build new InferenceRequest({ model, inputs })`,
      );
      return startStreamOf(new InferenceResponse({ error }));
    }
    return startStream(this);
  }

  /**
   * Sends this request to `model` through the server (the same path as a
   * network request, so it joins that model's batcher) and resolves with its
   * response. Never rejects: a failure resolves as a response with `error` set.
   */
  exec(): Promise<InferenceResponse> {
    if (this.#received) {
      const error = NereidError.unsupported(
        `${describeReceived(this.model, this.id)}: a request received by execute cannot be sent with exec(); build new InferenceRequest({ model, inputs })`,
      );
      return Promise.resolve(new InferenceResponse({ error }));
    }
    return startInference(this);
  }
}

/** A stream of just `response`. */
async function* startStreamOf(response: InferenceResponse): AsyncGenerator<InferenceResponse> {
  yield response;
}

function traceIdOf(trace: unknown): number {
  if (trace === undefined) return 0;
  const id = (trace as Partial<InferenceTrace> | null)?.id;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 0) throw NereidError.invalidArg('InferenceRequest: trace must be the value of request.trace()');
  return id;
}

function describeReceived(model: string, id: string): string {
  return `${model ? `model '${model}'` : 'the model'}: request${id ? ` '${id}'` : ''}`;
}

/** The request `execute` receives for `descriptor` (runtime only; not part of the author API). */
export function receivedRequest(
  descriptor: RequestDescriptor,
  modelName: string,
  take: (handle: number) => RawTensorData,
): InferenceRequest {
  const init: Init = {
    model: modelName,
    inputs: descriptor.inputs.map((input) => tensorFromDescriptor(input, take)),
    requestedOutputs: descriptor.requestedOutputs,
    parameters: descriptor.parameters,
    [RECEIVED]: {
      id: descriptor.id ?? '',
      correlationId: descriptor.correlationId ?? 0,
      flags: descriptor.flags ?? 0,
      cancelToken: descriptor.cancelToken ?? 0,
      responseToken: descriptor.responseToken ?? 0,
      traceId: descriptor.traceId ?? 0,
    },
  };
  return new InferenceRequest(init);
}
