/**
 * The KServe v2 HTTP client: `InferenceClient` over HTTP/1.1 with one
 * keep-alive connection pool per client.
 *
 * Inference sends and receives binary tensor data by default (Triton's
 * binary tensor extension, as `tritonclient.http` does), or JSON with
 * `binary: false`. Streaming uses the generate extension
 * (`generate_stream`, server-sent events), with its semantics: see
 * http-generate-stream.ts.
 *
 * @example
 * ```ts
 * const client = new HttpClient('http://127.0.0.1:8000');
 * const response = await client.infer({
 *   model: 'simple',
 *   inputs: [new Tensor('INPUT0', 'INT32', [1, 16], a), new Tensor('INPUT1', 'INT32', [1, 16], b)],
 * });
 * response.outputs[0].data; // Int32Array
 * client.close();
 * ```
 */
import { HEADER_LENGTH_HEADER } from '../codec/http-message.ts';
import { encodeInferRequest } from '../codec/http-infer-request.ts';
import { decodeInferResponse } from '../codec/http-infer-response.ts';
import type { InferRequest, InferResponse } from '../inference.ts';
import type { ModelConfig } from '../model-config.ts';
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
import { streamGenerate } from './http-generate-stream.ts';
import { HttpTransport, type HttpTransportOptions } from './http-transport.ts';

export interface HttpClientOptions extends HttpTransportOptions {
  /** Binary tensor data for `infer` unless a call says otherwise (default true). */
  binary?: boolean;
}

/** `/v2/models/{m}[/versions/{v}]`. */
function modelPath(model: string, version?: string): string {
  const base = `/v2/models/${encodeURIComponent(model)}`;
  return version ? `${base}/versions/${encodeURIComponent(version)}` : base;
}

/** The request as sent in binary mode: every output the caller listed asks for binary data unless it says. */
function withBinaryOutputs(request: InferRequest): InferRequest {
  if (!request.outputs?.length) return request;
  const outputs = request.outputs.map((output) =>
    output.parameters?.binary_data === undefined ? { name: output.name, parameters: { ...output.parameters, binary_data: true } } : output,
  );
  return { ...request, outputs };
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

function traceSettingPath(model: string | undefined): string {
  return model === undefined ? '/v2/trace/setting' : `/v2/models/${encodeURIComponent(model)}/trace/setting`;
}

export class HttpClient implements InferenceClient {
  readonly #transport: HttpTransport;
  readonly #binary: boolean;

  /** `baseUrl`: e.g. `http://127.0.0.1:8000` (https works too). */
  constructor(baseUrl: string, options: HttpClientOptions = {}) {
    this.#transport = new HttpTransport(baseUrl, options);
    this.#binary = options.binary ?? true;
  }

  async isServerLive(options: CallOptions = {}): Promise<boolean> {
    return (await this.#transport.send('GET', '/v2/health/live', { signal: options.signal, allowErrors: true })).status === 200;
  }

  async isServerReady(options: CallOptions = {}): Promise<boolean> {
    return (await this.#transport.send('GET', '/v2/health/ready', { signal: options.signal, allowErrors: true })).status === 200;
  }

  async isModelReady(model: string, options: ModelCallOptions = {}): Promise<boolean> {
    const answer = await this.#transport.send('GET', `${modelPath(model, options.version)}/ready`, { signal: options.signal, allowErrors: true });
    return answer.status === 200;
  }

  serverMetadata(options: CallOptions = {}): Promise<ServerMetadata> {
    return this.#transport.json('GET', '/v2', { signal: options.signal });
  }

  modelMetadata(model: string, options: ModelCallOptions = {}): Promise<ModelMetadata> {
    return this.#transport.json('GET', modelPath(model, options.version), { signal: options.signal });
  }

  modelConfig(model: string, options: ModelCallOptions = {}): Promise<ModelConfig> {
    return this.#transport.json('GET', `${modelPath(model, options.version)}/config`, { signal: options.signal });
  }

  async infer(request: InferRequest, options: InferOptions = {}): Promise<InferResponse> {
    const binary = options.binary ?? this.#binary;
    const message = encodeInferRequest(binary ? withBinaryOutputs(request) : request, { binary });
    const headers: Record<string, string | number> = { 'content-type': message.contentType };
    if (message.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = message.headerLength;
    const answer = await this.#transport.send('POST', `${modelPath(request.model, request.version)}/infer`, {
      headers,
      body: message.chunks,
      signal: options.signal ?? request.signal,
    });
    const headerLength = answer.headers[HEADER_LENGTH_HEADER.toLowerCase()];
    return decodeInferResponse(answer.body, Array.isArray(headerLength) ? headerLength[0] : headerLength);
  }

  /** Over HTTP this is `generate_stream` (server-sent events), with the generate extension's semantics. */
  async *inferStream(request: InferRequest, options: InferOptions = {}): AsyncGenerator<InferResponse> {
    const signal = options.signal ?? request.signal;
    const metadata = await this.modelMetadata(request.model, { version: request.version, signal });
    yield* streamGenerate(this.#transport, `${modelPath(request.model, request.version)}/generate_stream`, request, metadata, signal);
  }

  async repositoryIndex(options: CallOptions & { ready?: boolean } = {}): Promise<RepositoryIndexEntry[]> {
    const body = options.ready === undefined ? '' : JSON.stringify({ ready: options.ready });
    const entries = await this.#transport.json<RepositoryIndexEntry[]>('POST', '/v2/repository/index', {
      headers: { 'content-type': 'application/json' },
      body,
      signal: options.signal,
    });
    return entries.map(({ name, version, state, reason }) => ({
      name,
      ...(version ? { version } : {}),
      ...(state ? { state } : {}),
      ...(reason ? { reason } : {}),
    }));
  }

  async loadModel(model: string, options: LoadModelOptions = {}): Promise<void> {
    const parameters: Record<string, string> = {};
    if (options.config !== undefined) parameters.config = typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
    for (const [path, bytes] of Object.entries(options.files ?? {})) parameters[`file:${path}`] = base64(bytes);
    const body = Object.keys(parameters).length ? JSON.stringify({ parameters }) : '';
    await this.#transport.send('POST', `/v2/repository/models/${encodeURIComponent(model)}/load`, {
      headers: { 'content-type': 'application/json' },
      body,
      signal: options.signal,
    });
  }

  async unloadModel(model: string, options: UnloadModelOptions = {}): Promise<void> {
    const body = options.unloadDependents === undefined ? '' : JSON.stringify({ parameters: { unload_dependents: options.unloadDependents } });
    await this.#transport.send('POST', `/v2/repository/models/${encodeURIComponent(model)}/unload`, {
      headers: { 'content-type': 'application/json' },
      body,
      signal: options.signal,
    });
  }

  modelStatistics(model?: string, options: ModelCallOptions = {}): Promise<ModelStatisticsResponse> {
    const path = model === undefined ? '/v2/models/stats' : `${modelPath(model, options.version)}/stats`;
    return this.#transport.json('GET', path, { signal: options.signal });
  }

  logSettings(options: CallOptions = {}): Promise<LogSettingsMap> {
    return this.#transport.json('GET', '/v2/logging', { signal: options.signal });
  }

  updateLogSettings(settings: LogSettingsMap, options: CallOptions = {}): Promise<LogSettingsMap> {
    return this.#transport.json('POST', '/v2/logging', {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
      signal: options.signal,
    });
  }

  traceSettings(model?: string, options: CallOptions = {}): Promise<TraceSettingsMap> {
    return this.#transport.json('GET', traceSettingPath(model), { signal: options.signal });
  }

  updateTraceSettings(settings: Record<string, TraceSettingValue>, model?: string, options: CallOptions = {}): Promise<TraceSettingsMap> {
    return this.#transport.json('POST', traceSettingPath(model), {
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(settings),
      signal: options.signal,
    });
  }

  close(): void {
    this.#transport.close();
  }
}
