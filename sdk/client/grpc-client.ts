/**
 * The gRPC client: `InferenceClient` over Triton's GRPCInferenceService,
 * with one channel (one HTTP/2 connection, multiplexed) per client. With the
 * gRPC frontend, this is the only module that imports @grpc/grpc-js.
 *
 * Streaming uses ModelStreamInfer, one stream per `inferStream` call: each
 * response is a full ModelInferResponse, and the client asks for
 * `triton_enable_empty_final_response` so it knows when the stream is done
 * even when a decoupled model ends it without a response. The stream
 * protocol carries errors as a message only (`error_message`, no status), so
 * they come back as UNKNOWN.
 *
 * @example
 * ```ts
 * const client = new GrpcClient('127.0.0.1:8001');
 * for await (const response of client.inferStream({ model: 'generate', inputs: [prompt] })) {
 *   process.stdout.write(`${response.outputs[0].data[0]} `);
 * }
 * client.close();
 * ```
 */
import { Client, credentials, Metadata, type ChannelCredentials, type ChannelOptions, type ServiceError } from '@grpc/grpc-js';
import type protobuf from 'protobufjs';
import { isDataType } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import type { InferRequest, InferResponse } from '../inference.ts';
import type { ModelConfig } from '../model-config.ts';
import type {
  CallOptions,
  InferenceClient,
  InferOptions,
  LoadModelOptions,
  ModelCallOptions,
  ModelMetadata,
  ModelStatisticsResponse,
  RepositoryIndexEntry,
  ServerMetadata,
  UnloadModelOptions,
} from './client-types.ts';
import { errorCodeFromGrpcStatus } from './error-codes.ts';
import { decodeModelInferResponse, encodeModelInferRequest, type ModelInferResponseMessage } from './grpc-client-codec.ts';
import { INFERENCE_RPCS, PLAIN_OBJECT } from './grpc-client-proto.ts';

export interface GrpcClientOptions {
  /** Default: insecure (plain HTTP/2). */
  credentials?: ChannelCredentials;
  /** grpc-js channel options (keepalive, message sizes, ...), over the defaults: no message size limits. */
  channelOptions?: ChannelOptions;
}

interface StreamMessage {
  error_message: string;
  infer_response: ModelInferResponseMessage | null;
}

/** The NereidError of a failed call: its status as one of our codes, its details as the message. */
function callError(error: unknown, signal?: AbortSignal): NereidError {
  if (error instanceof NereidError) return error;
  const status = error as Partial<ServiceError>;
  if (typeof status?.code !== 'number') return NereidError.from(error, 'gRPC call failed');
  if (signal?.aborted) return new NereidError('CANCELLED', `call cancelled: ${status.details ?? 'aborted'}`, { cause: error });
  return new NereidError(errorCodeFromGrpcStatus(status.code), status.details || status.message || `gRPC status ${status.code}`, { cause: error });
}

/**
 * `toObject` with defaults writes `null` for every message field that is not
 * set; the HTTP rendering leaves them out, and so does this client.
 */
function withoutNulls<T>(value: T): T {
  if (Array.isArray(value)) {
    for (const item of value) withoutNulls(item);
  } else if (value !== null && typeof value === 'object' && !ArrayBuffer.isView(value)) {
    const record = value as Record<string, unknown>;
    for (const key of Object.keys(record)) {
      if (record[key] === null) delete record[key];
      else withoutNulls(record[key]);
    }
  }
  return value;
}

function cancelledBeforeStart(): NereidError {
  return NereidError.cancelled('call cancelled before it started');
}

export class GrpcClient implements InferenceClient {
  readonly #client: Client;

  /** `address`: `host:port`, e.g. `127.0.0.1:8001`. */
  constructor(address: string, options: GrpcClientOptions = {}) {
    this.#client = new Client(address, options.credentials ?? credentials.createInsecure(), {
      'grpc.max_receive_message_length': -1,
      'grpc.max_send_message_length': -1,
      ...options.channelOptions,
    });
  }

  /** Calls a unary RPC; aborting `signal` cancels the call. */
  #unary(rpc: string, request: object, signal?: AbortSignal): Promise<protobuf.Message> {
    const { path, serialize, deserialize } = INFERENCE_RPCS[rpc]!;
    if (signal?.aborted) return Promise.reject(cancelledBeforeStart());
    return new Promise((resolve, reject) => {
      let onAbort: (() => void) | undefined;
      const call = this.#client.makeUnaryRequest(path, serialize, deserialize, request, new Metadata(), {}, (error, response) => {
        if (onAbort) signal!.removeEventListener('abort', onAbort);
        if (error) reject(callError(error, signal));
        else resolve(response!);
      });
      if (signal) {
        onAbort = () => call.cancel();
        signal.addEventListener('abort', onAbort, { once: true });
      }
    });
  }

  /** A unary RPC's answer as a plain object (enums by name, 64-bit integers as numbers). */
  async #plain<T>(rpc: string, request: object, signal?: AbortSignal): Promise<T> {
    const message = await this.#unary(rpc, request, signal);
    return withoutNulls(INFERENCE_RPCS[rpc]!.responseType.toObject(message, PLAIN_OBJECT)) as T;
  }

  async isServerLive(options: CallOptions = {}): Promise<boolean> {
    return (await this.#plain<{ live: boolean }>('ServerLive', {}, options.signal)).live;
  }

  async isServerReady(options: CallOptions = {}): Promise<boolean> {
    return (await this.#plain<{ ready: boolean }>('ServerReady', {}, options.signal)).ready;
  }

  async isModelReady(model: string, options: ModelCallOptions = {}): Promise<boolean> {
    return (await this.#plain<{ ready: boolean }>('ModelReady', { name: model, version: options.version ?? '' }, options.signal)).ready;
  }

  serverMetadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return this.#plain('ServerMetadata', {}, options.signal);
  }

  async modelMetadata(model: string, options: ModelCallOptions = {}): Promise<ModelMetadata> {
    const metadata = await this.#plain<ModelMetadata>('ModelMetadata', { name: model, version: options.version ?? '' }, options.signal);
    for (const tensor of [...metadata.inputs, ...metadata.outputs]) {
      if (!isDataType(tensor.datatype)) throw NereidError.internal(`model '${model}': tensor '${tensor.name}' has unknown datatype '${String(tensor.datatype)}'`);
    }
    return metadata;
  }

  async modelConfig(model: string, options: ModelCallOptions = {}): Promise<ModelConfig> {
    return (await this.#plain<{ config: ModelConfig }>('ModelConfig', { name: model, version: options.version ?? '' }, options.signal)).config;
  }

  async infer(request: InferRequest, options: InferOptions = {}): Promise<InferResponse> {
    const message = await this.#unary('ModelInfer', encodeModelInferRequest(request), options.signal ?? request.signal);
    return decodeModelInferResponse(message as unknown as ModelInferResponseMessage);
  }

  async *inferStream(request: InferRequest, options: InferOptions = {}): AsyncGenerator<InferResponse> {
    const signal = options.signal ?? request.signal;
    if (signal?.aborted) throw cancelledBeforeStart();
    const { path, serialize, deserialize } = INFERENCE_RPCS.ModelStreamInfer!;
    const call = this.#client.makeBidiStreamRequest(path, serialize, deserialize, new Metadata(), {});
    // Messages are queued as they arrive and handed out as the caller pulls them.
    const queue: StreamMessage[] = [];
    let failure: unknown;
    let ended = false;
    let wake: (() => void) | undefined;
    const notify = () => wake?.();
    call.on('data', (message: StreamMessage) => {
      queue.push(message);
      notify();
    });
    call.on('error', (error: unknown) => {
      failure = error;
      notify();
    });
    call.on('end', () => {
      ended = true;
      notify();
    });
    const onAbort = () => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    let finished = false;
    try {
      call.write(encodeModelInferRequest(request, { triton_enable_empty_final_response: { bool_param: true } }));
      for (;;) {
        const message = queue.shift();
        if (!message) {
          if (failure !== undefined) throw callError(failure, signal);
          if (ended) throw NereidError.unavailable(`the stream for model '${request.model}' ended before its final response`);
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
          continue;
        }
        if (message.error_message) throw new NereidError('UNKNOWN', message.error_message);
        const answer = message.infer_response;
        if (!answer) continue;
        const final = answer.parameters?.triton_final_response?.bool_param === true;
        if (answer.outputs.length > 0 || !final) {
          const response = decodeModelInferResponse(answer);
          if (response.parameters) {
            delete response.parameters.triton_final_response;
            if (Object.keys(response.parameters).length === 0) delete response.parameters;
          }
          yield response;
        }
        if (final) {
          finished = true;
          return;
        }
      }
    } finally {
      signal?.removeEventListener('abort', onAbort);
      // Finished: half-close, and the server ends the stream. Otherwise (a break, an error, an abort): cancel the request.
      if (finished) call.end();
      else call.cancel();
    }
  }

  async repositoryIndex(options: CallOptions & { ready?: boolean } = {}): Promise<RepositoryIndexEntry[]> {
    const { models } = await this.#plain<{ models: RepositoryIndexEntry[] }>('RepositoryIndex', { ready: options.ready ?? false }, options.signal);
    return models.map(({ name, version, state, reason }) => ({
      name,
      ...(version ? { version } : {}),
      ...(state ? { state } : {}),
      ...(reason ? { reason } : {}),
    }));
  }

  async loadModel(model: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, object> = {};
    if (options.config !== undefined) {
      parameters.config = { string_param: typeof options.config === 'string' ? options.config : JSON.stringify(options.config) };
    }
    for (const [path, bytes] of Object.entries(options.files ?? {})) parameters[`file:${path}`] = { bytes_param: bytes };
    await this.#unary('RepositoryModelLoad', { model_name: model, parameters }, options.signal);
  }

  async unloadModel(model: string, options: UnloadModelOptions = {}): Promise<void> {
    const parameters = options.unloadDependents === undefined ? {} : { unload_dependents: { bool_param: options.unloadDependents } };
    await this.#unary('RepositoryModelUnload', { model_name: model, parameters }, options.signal);
  }

  modelStatistics(model?: string, options: ModelCallOptions = {}): Promise<ModelStatisticsResponse> {
    return this.#plain('ModelStatistics', { name: model ?? '', version: options.version ?? '' }, options.signal);
  }

  close(): void {
    this.#client.close();
  }
}
