/**
 * The gRPC client: `InferenceClient` over Triton's GRPCInferenceService,
 * with one channel (one HTTP/2 connection, multiplexed) per client. With the
 * gRPC frontend, this is the only module that imports @grpc/grpc-js.
 *
 * Streaming uses ModelStreamInfer (grpc-stream.ts): `inferStream` opens one
 * stream per request and asks for `triton_enable_empty_final_response` so it
 * knows when the stream is done even when a decoupled model ends it without
 * a response; `openStream` gives a stream that carries many requests. The
 * stream protocol carries errors as a message only (`error_message`, no
 * status), so they come back as UNKNOWN.
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
import { TRACE_SETTING_NAMES } from '../server-answers.ts';
import type {
  CallOptions,
  InferenceClient,
  InferOptions,
  LoadModelOptions,
  LogSettingsMap,
  TraceSettingsMap,
  TraceSettingValue,
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
import { GrpcStream } from './grpc-stream.ts';

export interface GrpcClientOptions {
  /** Default: insecure (plain HTTP/2). */
  credentials?: ChannelCredentials;
  /** grpc-js channel options (keepalive, message sizes, ...), over the defaults: no message size limits. */
  channelOptions?: ChannelOptions;
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

  /**
   * The responses of one request, over a `ModelStreamInfer` stream of its
   * own (see `openStream` for a stream that carries many requests).
   */
  async *inferStream(request: InferRequest, options: InferOptions = {}): AsyncGenerator<InferResponse> {
    const signal = options.signal ?? request.signal;
    if (signal?.aborted) throw cancelledBeforeStart();
    const stream = this.openStream({ signal });
    // The empty final response tells where the stream of a decoupled model ends, even when its last message carries no outputs.
    stream.send(request, { emptyFinalResponse: true });
    let finished = false;
    try {
      for await (const item of stream) {
        if (!item.ok) throw item.error;
        if (item.response.outputs.length > 0 || !item.final) yield item.response;
        if (item.final) {
          // Half-close: the server ends the stream, and leaving the loop does not cancel it.
          finished = true;
          stream.end();
          return;
        }
      }
      throw NereidError.unavailable(`the stream for model '${request.model}' ended before its final response`);
    } finally {
      if (!finished) stream.cancel();
    }
  }

  /**
   * Opens a `ModelStreamInfer` stream for many requests: `send` them, read
   * every response in one `for await` loop, `end()` when no more will come
   * (grpc-stream.ts). gRPC only: HTTP has no such stream.
   *
   * @example
   * ```ts
   * const stream = client.openStream();
   * stream.send({ model: 'vad', inputs: [chunk], parameters: { sequence_id: 7, sequence_start: true } });
   * stream.end();
   * for await (const item of stream) if (item.ok) console.log(item.response.outputs[0].data[0]);
   * ```
   */
  openStream(options: CallOptions = {}): GrpcStream {
    const { path, serialize, deserialize } = INFERENCE_RPCS.ModelStreamInfer!;
    const call = this.#client.makeBidiStreamRequest(path, serialize, deserialize, new Metadata(), {});
    return new GrpcStream(call, callError, options.signal);
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

  logSettings(options: CallOptions = {}): Promise<LogSettingsMap> {
    return this.updateLogSettings({}, options);
  }

  async updateLogSettings(settings: LogSettingsMap, options: CallOptions = {}): Promise<LogSettingsMap> {
    const request: Record<string, object> = {};
    for (const [name, value] of Object.entries(settings)) {
      request[name] = typeof value === 'boolean' ? { bool_param: value } : typeof value === 'number' ? { uint32_param: value } : { string_param: value };
    }
    const message = await this.#unary('LogSettings', { settings: request }, options.signal);
    // oneofs: the value is whichever member is set (defaults would fill in all three).
    const answer = INFERENCE_RPCS.LogSettings!.responseType.toObject(message, { oneofs: true }) as { settings?: Record<string, Record<string, boolean | number | string>> };
    const current: LogSettingsMap = {};
    for (const [name, value] of Object.entries(answer.settings ?? {})) current[name] = value[value.parameter_choice as string]!;
    return current;
  }

  traceSettings(model?: string, options: CallOptions = {}): Promise<TraceSettingsMap> {
    return this.#traceSetting({}, model, options.signal);
  }

  updateTraceSettings(settings: Record<string, TraceSettingValue>, model?: string, options: CallOptions = {}): Promise<TraceSettingsMap> {
    // As over HTTP, an update of a model that names no setting clears the model's own: every one, cleared.
    const changes = model !== undefined && Object.keys(settings).length === 0 ? Object.fromEntries(TRACE_SETTING_NAMES.map((name) => [name, null])) : settings;
    return this.#traceSetting(changes, model, options.signal);
  }

  /** TraceSetting: no settings reads; a setting with no values is cleared. Answers in the HTTP shape (only trace_level a list). */
  async #traceSetting(settings: Record<string, TraceSettingValue>, model: string | undefined, signal?: AbortSignal): Promise<TraceSettingsMap> {
    const request: Record<string, { value: string[] }> = {};
    for (const [name, value] of Object.entries(settings)) request[name] = { value: value === null ? [] : Array.isArray(value) ? value : [value] };
    const answer = await this.#plain<{ settings: Record<string, { value: string[] }> }>('TraceSetting', { settings: request, model_name: model ?? '' }, signal);
    const current: TraceSettingsMap = {};
    for (const [name, { value }] of Object.entries(answer.settings)) current[name] = name === 'trace_level' ? value : (value[0] ?? '');
    return current;
  }

  close(): void {
    this.#client.close();
  }
}
