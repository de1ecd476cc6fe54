/**
 * A request's response sender, as Triton's Python backend
 * `InferenceResponseSender`:
 *
 * - in a decoupled model (`model_transaction_policy { decoupled: true }`) a
 *   model sends any number of responses for a request, during `execute` or
 *   after it has returned, and marks the last one final (or sends `final`
 *   alone). Each response goes to the client as it is sent (an SSE event, a
 *   gRPC stream message).
 * - in any other model (as Triton allows since 24.06) it sends exactly one
 *   response and then `final` (or both at once), and `execute` returns
 *   nothing; the response goes out once `execute` has returned and every
 *   request of the batch has its final response.
 *
 * @example
 * ```ts
 * export async function execute(requests: InferenceRequest[]) {
 *   for (const request of requests) {
 *     const sender = request.getResponseSender();
 *     for (const token of ['hello', 'world']) {
 *       sender.send(new InferenceResponse({ outputs: [Tensor.fromStrings('TOKEN', [1], [token])] }));
 *     }
 *     sender.send(undefined, { final: true });
 *   }
 * }
 * ```
 */
import { NereidError } from '../errors.ts';
import { describeResponse } from './execute-result.ts';
import { boundHost } from './host-slot.ts';
import { InferenceResponse } from './inference-response.ts';

export interface SendOptions {
  /** The last response of the request: nothing can be sent after it. */
  final?: boolean;
}

/** What a sender of a model that is not decoupled holds: its one response, and who waits for it to be final. */
interface SingleResponse {
  response: InferenceResponse | undefined;
  readonly final: Promise<InferenceResponse>;
  readonly resolve: (response: InferenceResponse) => void;
}

const singles = new WeakMap<ResponseSender, SingleResponse>();

export class ResponseSender {
  readonly #token: number;
  readonly #what: string;
  readonly #requested: readonly string[];
  readonly #cancelled: () => boolean;
  #closed = false;

  /**
   * Made by `InferenceRequest.getResponseSender()`: `token` is the host's
   * stream of a decoupled request, 0 for a model that is not decoupled;
   * `cancelled` is the request's `isCancelled`.
   */
  constructor(token: number, what: string, requestedOutputs: readonly string[], cancelled: () => boolean) {
    this.#token = token;
    this.#what = what;
    this.#requested = requestedOutputs;
    this.#cancelled = cancelled;
    if (token === 0) {
      let resolve!: (response: InferenceResponse) => void;
      const final = new Promise<InferenceResponse>((done) => (resolve = done));
      singles.set(this, { response: undefined, final, resolve });
    }
  }

  /** True once the final response has been sent. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether the request was cancelled (Triton's `sender.is_cancelled()`): the same as `request.isCancelled()`. */
  isCancelled(): boolean {
    return this.#cancelled();
  }

  /**
   * Sends `response` (outputs, or an error for this request: a decoupled
   * stream goes on unless `final`). `send(undefined, { final: true })` ends
   * the stream without another response. Throws once the final response has
   * been sent, and, in a model that is not decoupled, for a second response
   * or a `final` before the one response.
   */
  send(response?: InferenceResponse, options: SendOptions = {}): void {
    const final = options.final === true;
    if (this.#closed) throw NereidError.invalidArg(`${this.#what}: the response sender is closed: the final response was already sent`);
    if (response === undefined && !final) throw NereidError.invalidArg(`${this.#what}: send() needs a response, or { final: true } to end the stream`);
    if (response !== undefined && !(response instanceof InferenceResponse)) {
      throw NereidError.invalidArg(`${this.#what}: send() takes an InferenceResponse (build it with new InferenceResponse({ outputs }))`);
    }
    const single = singles.get(this);
    if (single) return this.#sendSingle(single, response, final);
    const descriptor = response === undefined ? undefined : describeResponse(response, this.#requested);
    boundHost('ResponseSender.send()').sendResponse(this.#token, descriptor, final);
    if (final) this.#closed = true;
  }

  #sendSingle(single: SingleResponse, response: InferenceResponse | undefined, final: boolean): void {
    if (response !== undefined && single.response !== undefined) {
      throw NereidError.invalidArg(`${this.#what}: this model is not decoupled, so it sends one response per request; send { final: true } after it`);
    }
    if (response === undefined && single.response === undefined) {
      throw NereidError.invalidArg(`${this.#what}: this model is not decoupled: send the request's one response before { final: true }`);
    }
    single.response ??= response;
    if (!final) return;
    this.#closed = true;
    single.resolve(single.response!);
  }
}

/**
 * For a model that is not decoupled: the response `sender` sent, once it is
 * final; undefined for a decoupled model's sender.
 */
export function finalResponseOf(sender: ResponseSender): Promise<InferenceResponse> | undefined {
  return singles.get(sender)?.final;
}

/** For a model that is not decoupled: true once `sender` has sent its response (final or not). */
export function hasSent(sender: ResponseSender): boolean {
  return singles.get(sender)?.response !== undefined;
}
