/**
 * Responses of a decoupled model (`model_transaction_policy { decoupled: true }`),
 * as Triton's Python backend `InferenceResponseSender`: a model sends any
 * number of responses for a request, during `execute` or after it has
 * returned, and marks the last one final (or sends `final` alone). Each
 * response goes to the client as it is sent (an SSE event, a gRPC stream message).
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

export class ResponseSender {
  readonly #token: number;
  readonly #what: string;
  readonly #requested: readonly string[];
  #closed = false;

  /** Made by `InferenceRequest.getResponseSender()`. */
  constructor(token: number, what: string, requestedOutputs: readonly string[]) {
    this.#token = token;
    this.#what = what;
    this.#requested = requestedOutputs;
  }

  /** True once the final response has been sent. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Sends `response` (outputs, or an error for this request: the stream goes
   * on unless `final`). `send(undefined, { final: true })` ends the stream
   * without another response. Throws once the final response has been sent.
   */
  send(response?: InferenceResponse, options: SendOptions = {}): void {
    const final = options.final === true;
    if (this.#closed) throw NereidError.invalidArg(`${this.#what}: the response sender is closed: the final response was already sent`);
    if (response === undefined && !final) throw NereidError.invalidArg(`${this.#what}: send() needs a response, or { final: true } to end the stream`);
    if (response !== undefined && !(response instanceof InferenceResponse)) {
      throw NereidError.invalidArg(`${this.#what}: send() takes an InferenceResponse (build it with new InferenceResponse({ outputs }))`);
    }
    const descriptor = response === undefined ? undefined : describeResponse(response, this.#requested);
    boundHost('ResponseSender.send()').sendResponse(this.#token, descriptor, final);
    if (final) this.#closed = true;
  }
}
