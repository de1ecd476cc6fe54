/**
 * What the in-process server offers its callers: the HTTP and gRPC frontends,
 * ensembles, and BLS calls from model.ts. Every inference goes through
 * `infer()`; there is no other path to a model.
 */
import type { InferRequest, InferResponse, InferStreamItem } from '../../sdk/inference.ts';

/** Model lifecycle states, with Triton's names as the repository index reports them. */
export enum ModelState {
  Unknown = 'UNKNOWN',
  Loading = 'LOADING',
  Ready = 'READY',
  Unloading = 'UNLOADING',
  Unavailable = 'UNAVAILABLE',
}

import type { ModelMetadata, ModelStatisticsResponse, ServerMetadata } from '../../sdk/server-answers.ts';
import type { TraceSettings } from '../tracing/trace-settings.ts';
export type { ModelMetadata, ModelStatisticsResponse, ServerMetadata, TensorMetadata } from '../../sdk/server-answers.ts';

export interface RepositoryIndexEntry {
  name: string;
  version?: string;
  state?: ModelState;
  reason?: string;
}

export interface LoadModelOptions {
  /** A full model config as JSON text, used instead of the config.pbtxt on disk. */
  config?: string;
  /** Override files: key `<version>/<path>` relative to the model directory, value the file content. Requires `config`. */
  files?: Record<string, Uint8Array>;
}

export interface UnloadModelOptions {
  unloadDependents?: boolean;
}

export interface InferenceServer {
  metadata(): ServerMetadata;
  isLive(): boolean;
  /** Ready when live and, with strict readiness, every model that should be loaded is READY. */
  isReady(): boolean;
  /** True when that model (version, or the latest ready one) is READY. Unknown models are simply not ready. */
  isModelReady(name: string, version?: string): boolean;
  /** Throws NOT_FOUND for an unknown model or version, UNAVAILABLE when it is not ready. */
  modelMetadata(name: string, version?: string): ModelMetadata;
  /** The completed config of a ready model, as Triton's JSON rendering (every field, defaults included). */
  modelConfig(name: string, version?: string): Record<string, unknown>;
  infer(request: InferRequest): Promise<InferResponse>;
  /**
   * Runs one inference and streams its responses: any number from a
   * decoupled model (the last `final`), one from any other. Throws at once
   * for an unknown model or an invalid request; later failures arrive as
   * items with `error`. Stopping the iteration early cancels the request.
   */
  inferStream(request: InferRequest): AsyncIterable<InferStreamItem>;
  /**
   * Statistics of every loaded version of every model (no name), of every
   * served version of `name`, or of that one version. Throws INVALID_ARG, as
   * Triton does, for a model or version that is not loaded.
   */
  modelStatistics(name?: string, version?: string): ModelStatisticsResponse;
  repositoryIndex(options?: { ready?: boolean }): Promise<RepositoryIndexEntry[]>;
  loadModel(name: string, options?: LoadModelOptions): Promise<void>;
  unloadModel(name: string, options?: UnloadModelOptions): Promise<void>;
  /** Unloads every model, draining in-flight requests, and stops background work (polling). */
  close(): Promise<void>;
  /** The trace settings (Triton's trace extension); absent on a server that does not trace. */
  readonly traceSettings?: TraceSettings;
}
