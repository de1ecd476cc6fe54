/**
 * The one API that every nereid client implements, over HTTP (KServe v2) or
 * gRPC (Triton's GRPCInferenceService), and the shapes of its answers.
 * Answers look the same whichever protocol carried them: Triton's JSON field
 * names, 64-bit counters as numbers, tensors as the sdk's `Tensor`.
 *
 * @example
 * ```ts
 * import { HttpClient, GrpcClient, type InferenceClient } from 'nereid/client';
 * const client: InferenceClient = useGrpc ? new GrpcClient('127.0.0.1:8001') : new HttpClient('http://127.0.0.1:8000');
 * const { outputs } = await client.infer({ model: 'simple', inputs: [a, b] });
 * client.close();
 * ```
 */
import type { InferRequest, InferResponse } from '../inference.ts';
import type { ModelConfig } from '../model-config.ts';

/** Options every call takes. */
export interface CallOptions {
  /** Aborting it cancels the call, which then rejects with a CANCELLED NereidError. `AbortSignal.timeout(ms)` gives a deadline. */
  signal?: AbortSignal;
}

/** Options of a call about one model. */
export interface ModelCallOptions extends CallOptions {
  /** A version; absent means the one the server's version policy picks. */
  version?: string;
}

/** Options of `infer` and `inferStream`. */
export interface InferOptions extends CallOptions {
  /**
   * HTTP only: send inputs and ask for outputs as binary tensor data (the
   * default, `true`), or as JSON (`false`). gRPC always sends raw bytes.
   */
  binary?: boolean;
}

import type { LogSettingsMap, ModelMetadata, ModelStatisticsResponse, RepositoryIndexEntry, ServerMetadata, TraceSettingsMap, TraceSettingValue } from '../server-answers.ts';
export type { LogSettingsMap, ModelMetadata, ModelStatistics, ModelStatisticsResponse, RepositoryIndexEntry, ServerMetadata, StatisticDuration, TensorMetadata, TraceSettingsMap, TraceSettingValue } from '../server-answers.ts';

export interface LoadModelOptions extends CallOptions {
  /** A full model config (as JSON text or an object) used instead of the one on disk. */
  config?: string | ModelConfig | Record<string, unknown>;
  /** Model files, keyed `<version>/<path>`, that override the ones on disk; needs `config`. */
  files?: Record<string, Uint8Array>;
}

export interface UnloadModelOptions extends CallOptions {
  /** Unload the models that depend on this one (ensembles) too. */
  unloadDependents?: boolean;
}

/**
 * A nereid (or Triton) server, whichever protocol reaches it. Every method
 * rejects with a `NereidError` carrying the server's error code and message.
 */
export interface InferenceClient {
  isServerLive(options?: CallOptions): Promise<boolean>;
  isServerReady(options?: CallOptions): Promise<boolean>;
  /** False for an unknown model, as for one that is not ready. */
  isModelReady(model: string, options?: ModelCallOptions): Promise<boolean>;
  serverMetadata(options?: CallOptions): Promise<ServerMetadata>;
  modelMetadata(model: string, options?: ModelCallOptions): Promise<ModelMetadata>;
  /** The completed config, as the server renders it (every field, defaults included). */
  modelConfig(model: string, options?: ModelCallOptions): Promise<ModelConfig>;
  /**
   * One inference. `request.signal` works as `options.signal`. The client
   * only reads the input tensors' data (it is not detached).
   */
  infer(request: InferRequest, options?: InferOptions): Promise<InferResponse>;
  /**
   * The responses of one inference as they come: any number from a
   * decoupled model, one from any other. Breaking out of the loop or
   * aborting the signal cancels the request on the server. An error
   * response ends the iteration with a NereidError.
   */
  inferStream(request: InferRequest, options?: InferOptions): AsyncIterable<InferResponse>;
  repositoryIndex(options?: CallOptions & { ready?: boolean }): Promise<RepositoryIndexEntry[]>;
  loadModel(model: string, options?: LoadModelOptions): Promise<void>;
  unloadModel(model: string, options?: UnloadModelOptions): Promise<void>;
  /** Statistics of every model (no name), of every loaded version of `model`, or of one version. */
  modelStatistics(model?: string, options?: ModelCallOptions): Promise<ModelStatisticsResponse>;
  /** The server log's settings (Triton's logging extension), under Triton's names. */
  logSettings(options?: CallOptions): Promise<LogSettingsMap>;
  /** Changes the named log settings (the others stay); answers every setting as it now is. */
  updateLogSettings(settings: LogSettingsMap, options?: CallOptions): Promise<LogSettingsMap>;
  /** The trace settings (Triton's trace extension) of `model`, or the global ones. */
  traceSettings(model?: string, options?: CallOptions): Promise<TraceSettingsMap>;
  /** Changes the named trace settings of `model` (or the global ones); `null` clears one. Answers the settings as they now are. */
  updateTraceSettings(settings: Record<string, TraceSettingValue>, model?: string, options?: CallOptions): Promise<TraceSettingsMap>;
  /** Closes the client's connections; calls after it fail. */
  close(): void;
}
