/**
 * ModelInfer (unary) and ModelStreamInfer (bidirectional stream), both
 * through `server.infer()`.
 *
 * On a stream, requests go to the server in the order they arrive (so a
 * sequence's requests keep their order) and each answer is written when it
 * is ready: answers to different requests may interleave. A failed request
 * is answered inside the stream with `error_message` (and its id, model and
 * version), and the stream stays open, as in Triton; a client that opens the
 * stream with the header `triton_grpc_error: true` gets Triton's other
 * behaviour: the first error ends the stream with its gRPC status (and
 * cancels what else is in flight). When the client half-closes, the stream
 * ends once every answer is written.
 *
 * ModelInfer refuses decoupled models as Triton does (use the stream).
 * A unary call that the client cancels, whose deadline passes or whose
 * connection breaks cancels its request (InferRequest.signal): dropped if
 * still queued, visible to a model.ts through request.isCancelled().
 */
import type { ServerDuplexStream, ServerUnaryCall, UntypedServiceImplementation } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { InferRequest, InferStreamItem } from '../../sdk/inference.ts';
import type { Logger } from '../logging/logger.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { decodeGrpcInferRequest, type ModelInferRequestMessage } from './grpc-infer-request.ts';
import { encodeGrpcInferResponse, type ModelInferResponseMessage } from './grpc-infer-response.ts';
import { serviceError, toNereidError, unary } from './grpc-reply.ts';

/** The stream-only request parameter that asks for empty final responses of decoupled models. */
const EMPTY_FINAL_RESPONSE = 'triton_enable_empty_final_response';
/** The stream header that asks for errors as the stream's gRPC status instead of in-stream messages. */
const GRPC_ERROR_HEADER = 'triton_grpc_error';

interface StreamResponseMessage {
  error_message: string;
  infer_response?: ModelInferResponseMessage | { model_name: string; model_version: string; id?: string };
}

/**
 * Triton's answer to ModelInfer on a decoupled model. The server refuses
 * such a request itself (UNSUPPORTED); only then, off the hot path, is the
 * model's policy looked up to give Triton's wording.
 */
function decoupledRefusal(server: InferenceServer, request: InferRequest, error: unknown): unknown {
  if (!(error instanceof NereidError) || error.code !== 'UNSUPPORTED') return error;
  try {
    const policy = server.modelConfig(request.model, request.version).model_transaction_policy as { decoupled?: boolean } | undefined;
    if (policy?.decoupled === true) return NereidError.unsupported("ModelInfer RPC doesn't support models with decoupled transaction policy");
  } catch {
    // The model went away meanwhile: the server's own error says enough.
  }
  return error;
}

/** Tracks a frontend's open streams, so that close() can end them once they are idle. */
export class StreamRegistry {
  readonly #streams = new Set<{ endIfIdle(): void }>();
  #closing = false;

  get closing(): boolean {
    return this.#closing;
  }
  add(stream: { endIfIdle(): void }): void {
    this.#streams.add(stream);
  }
  delete(stream: { endIfIdle(): void }): void {
    this.#streams.delete(stream);
  }
  /** No new work is expected: every stream ends as soon as its in-flight requests are answered. */
  closeAll(): void {
    this.#closing = true;
    for (const stream of this.#streams) stream.endIfIdle();
  }
}

function handleStream(server: InferenceServer, log: Logger, streams: StreamRegistry, call: ServerDuplexStream<ModelInferRequestMessage, StreamResponseMessage>): void {
  let inFlight = 0;
  let clientDone = false;
  let finished = false;
  const entry = {
    endIfIdle() {
      if (finished || inFlight > 0 || (!clientDone && !streams.closing)) return;
      finished = true;
      streams.delete(entry);
      call.end();
    },
  };
  streams.add(entry);
  // The client cancelling or breaking the stream cancels everything it has in flight.
  const cancel = new AbortController();
  const stop = () => {
    finished = true;
    streams.delete(entry);
    cancel.abort();
  };
  call.on('cancelled', stop);
  call.on('error', stop);
  call.on('end', () => {
    clientDone = true;
    entry.endIfIdle();
  });

  const write = (message: StreamResponseMessage) => {
    if (!finished) call.write(message);
  };
  const statusOnError = call.metadata.get(GRPC_ERROR_HEADER)[0] === 'true';

  call.on('data', (message: ModelInferRequestMessage) => {
    // A stream that ended (cancelled, broken, or failed under triton_grpc_error) starts nothing more.
    if (finished) return;
    inFlight++;
    const fail = (error: unknown) => {
      const wrapped = toNereidError(error, log, 'ModelStreamInfer');
      if (statusOnError) {
        // grpc-js ends a stream that emits 'error' with that status; our own 'error' listener then stops the rest.
        if (!finished) call.emit('error', serviceError(wrapped));
        return;
      }
      const header: { model_name: string; model_version: string; id?: string } = { model_name: message.model_name, model_version: message.model_version };
      if (message.id) header.id = message.id;
      write({ error_message: wrapped.message, infer_response: header });
    };
    const done = () => {
      inFlight--;
      entry.endIfIdle();
    };
    let pending: Promise<void>;
    try {
      // The decoder leaves this stream-only key out of the request's parameters: read it from the message.
      const request = decodeGrpcInferRequest(message, { allowedTritonParameters: [EMPTY_FINAL_RESPONSE] });
      const emptyFinal = message.parameters?.[EMPTY_FINAL_RESPONSE]?.bool_param === true;
      request.signal = cancel.signal;
      pending = relay(server.inferStream(request), message, emptyFinal, write, fail);
    } catch (error) {
      fail(error);
      pending = Promise.resolve();
    }
    void pending.then(done);
  });
}

/**
 * Writes each response of one request to the stream as the model sends it,
 * with Triton's `triton_final_response` parameter; a final flag without a
 * response is written only when the request asked for empty final responses.
 */
async function relay(
  stream: AsyncIterable<InferStreamItem>,
  message: ModelInferRequestMessage,
  emptyFinal: boolean,
  write: (message: StreamResponseMessage) => void,
  fail: (error: unknown) => void,
): Promise<void> {
  try {
    for await (const item of stream) {
      if (item.error) fail(item.error);
      else if (item.response) {
        const encoded = encodeGrpcInferResponse(item.response);
        encoded.parameters = { ...encoded.parameters, triton_final_response: { bool_param: item.final } };
        write({ error_message: '', infer_response: encoded });
      } else if (item.final && emptyFinal) {
        const header: ModelInferResponseMessage = { model_name: message.model_name, model_version: message.model_version, outputs: [], raw_output_contents: [] };
        if (message.id) header.id = message.id;
        header.parameters = { triton_final_response: { bool_param: true } };
        write({ error_message: '', infer_response: header });
      }
    }
  } catch (error) {
    fail(error);
  }
}

/**
 * An AbortSignal that fires when a unary call ends before its answer: the
 * client cancelled it, its deadline passed (grpc-js answers DEADLINE_EXCEEDED
 * itself) or its connection broke. grpc-js emits 'cancelled' after a normal
 * answer too, so the signal stays quiet once `settled` is set.
 */
function cancelOnCallEnd(call: ServerUnaryCall<unknown, unknown>): { signal: AbortSignal; settled: boolean } {
  const controller = new AbortController();
  const state = { signal: controller.signal, settled: false };
  if (call.cancelled) controller.abort();
  // An unnamed listener: under tsx, naming a closure costs a defineProperty on every call.
  else call.once('cancelled', () => state.settled || controller.abort());
  return state;
}

export function inferRpcs(server: InferenceServer, log: Logger, streams: StreamRegistry): UntypedServiceImplementation {
  return {
    ModelInfer: unary(log, 'ModelInfer', async (message: ModelInferRequestMessage, call: ServerUnaryCall<ModelInferRequestMessage, ModelInferResponseMessage>) => {
      const request = decodeGrpcInferRequest(message);
      const cancel = cancelOnCallEnd(call);
      request.signal = cancel.signal;
      try {
        return encodeGrpcInferResponse(await server.infer(request));
      } catch (error) {
        throw decoupledRefusal(server, request, error);
      } finally {
        cancel.settled = true;
      }
    }),
    ModelStreamInfer: (call: ServerDuplexStream<ModelInferRequestMessage, StreamResponseMessage>) => handleStream(server, log, streams, call),
  };
}
