/**
 * The small interface every backend implements. Schedulers and the server see
 * only this; each backend keeps its heavy dependency (onnxruntime-node,
 * isolated-vm) behind it.
 *
 * Ownership: a BackendInstance owns its thread/session/isolate until dispose().
 * The scheduler owns a request until it hands it to execute(); from then on
 * the instance owns it until the returned promise settles with one result per
 * request, in order.
 */
import type { DataType } from '../../sdk/datatypes.ts';
import type { ErrorData } from '../../sdk/errors.ts';
import type { InferRequest, InferResponse, InferStreamItem, Parameters } from '../../sdk/inference.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { Tensor } from '../../sdk/tensor.ts';
import type { Logger } from '../logging/logger.ts';
import type { CustomMetrics } from '../metrics/custom-metrics.ts';
import type { LoadModelOptions, UnloadModelOptions } from '../server/server-api.ts';
import type { Tracer } from '../tracing/tracer.ts';

/** Where an instance runs. KIND_AUTO is resolved to CPU or GPU before instances are created. */
export interface InstanceSpec {
  /** `<group name>_<index>`, as Triton names instances. */
  readonly name: string;
  readonly kind: 'KIND_CPU' | 'KIND_GPU' | 'KIND_MODEL';
  /** GPU id for KIND_GPU, 0 otherwise. */
  readonly deviceId: number;
}

/**
 * What the server offers the models it hosts: the in-process entry point, so a
 * model.ts can call other models (BLS) through the same path as the network.
 */
export interface ModelHost {
  /**
   * `server.infer()` for a model's own requests; `callers` is what waits
   * for this one (ExecRequest.callers); `traceParent` the trace of
   * the request this one is part of (ExecRequest.traceId): it is traced as
   * that trace's child.
   */
  infer(request: InferRequest, callers?: ReadonlySet<Caller>, traceParent?: number): Promise<InferResponse>;
  /**
   * `server.inferStream()` for a model's own requests: any model's responses
   * as they come (a decoupled model's 0..N, another's one), the last item
   * `final`. Throws at once for a request that fails validation; stopping the
   * iteration early cancels the request. `callers` as for `infer`. Absent in
   * hosts that cannot stream (test harnesses).
   */
  inferStream?(request: InferRequest, callers?: ReadonlySet<Caller>, traceParent?: number): AsyncIterable<InferStreamItem>;
  isModelReady(name: string, version?: string): boolean;
  /**
   * `server.loadModel()` / `unloadModel()` for a model's own code (a
   * model.ts's loadModel / unloadModel). `callers` as for `infer`, undefined
   * outside an execute: a change that would wait on them is refused
   * (ModelManager.selfWaitReason). Absent in hosts without model control
   * (test harnesses).
   */
  loadModel?(name: string, options: LoadModelOptions, callers?: ReadonlySet<Caller>): Promise<void>;
  unloadModel?(name: string, options: UnloadModelOptions, callers?: ReadonlySet<Caller>): Promise<void>;
  /** Where a model.ts registers its custom metrics (server-wide, as Triton's); absent in hosts without a metrics endpoint (test harnesses). */
  readonly customMetrics?: CustomMetrics;
  /** Picks and records the requests to trace (Triton's trace extension); absent in hosts that do not trace (test harnesses). */
  readonly tracer?: Tracer;
}

/** Everything a backend needs to load one version of a model. */
export interface BackendLoadContext {
  /** The completed, normalised, validated and frozen config. */
  readonly config: ModelConfig;
  readonly modelName: string;
  readonly version: number;
  /** `<repository>/<model>` */
  readonly modelDir: string;
  /** `<repository>/<model>/<version>` */
  readonly versionDir: string;
  /** `<versionDir>/<default_model_filename or the backend's default>` */
  readonly modelPath: string;
  readonly log: Logger;
  readonly host: ModelHost;
}

/** A tensor as the model file declares it, for auto-complete. -1 marks a dynamic dimension. */
export interface ModelFileTensor {
  readonly name: string;
  readonly datatype: DataType;
  /** Undefined when the model file gives no shape at all. */
  readonly shape: readonly number[] | undefined;
}

/** The inputs and outputs a model file declares. */
export interface ModelFileSignature {
  readonly inputs: readonly ModelFileTensor[];
  readonly outputs: readonly ModelFileTensor[];
}

/** One request as an instance receives it: validated against the config, shapes as the model sees them. */
export interface ExecRequest {
  /** The request's `id`, for models that see requests (model.ts). */
  readonly id?: string;
  /** Request parameters the model may read (model.ts). */
  readonly parameters?: Readonly<Parameters>;
  /** Inputs by config name, already reshaped per `reshape` where the config says so. */
  readonly inputs: readonly Tensor[];
  /** Names of the outputs to produce. */
  readonly outputs: readonly string[];
  /** Leading batch size (1..max_batch_size) when max_batch_size > 0, else 0. */
  readonly batchSize: number;
  /** The request's `priority` parameter (0: the model's default level); dynamic batcher only. */
  readonly priority?: number;
  /** The request's `timeout` parameter in microseconds (0: none); dynamic batcher, where the queue policy allows it. */
  readonly timeoutUs?: number;
  /**
   * For a BLS request or an ensemble step: what waits for it (its caller,
   * that caller's callers, and so on). A scheduler refuses a request that
   * only these could run, since it would never start (request-cycle.ts).
   */
  readonly callers?: ReadonlySet<Caller>;
  /** The caller's cancellation (InferRequest.signal): schedulers drop the request while it is queued; a model.ts can ask. */
  readonly signal?: AbortSignal;
  /**
   * Decoupled models only: where the instance delivers the request's
   * responses as the model sends them (none with `final` alone), possibly
   * after execute has returned; the last call has `final` true. The result
   * execute returns for such a request only reports a failure of the execute.
   */
  readonly respond?: (result: ExecResult | undefined, final: boolean) => void;
  /**
   * Set by the sequence batcher: the sequence's correlation id (a uint64 as
   * bigint, or a string); absent outside a sequence. A model.ts sees it as
   * `InferenceRequest.correlationId`.
   */
  readonly correlationId?: bigint | string;
  /** Set by the sequence batcher: 1 = SEQUENCE_START, 2 = SEQUENCE_END (Triton's request flags); absent or 0 outside a sequence. */
  readonly flags?: number;
  /** The request's trace id when it is traced (the trace extension): an ensemble passes it on, and its steps are traced as children. */
  readonly traceId?: number;
}

/** One result per request: the outputs, or an error for just that request. */
export type ExecResult = (
  | { readonly ok: true; readonly outputs: Tensor[]; /** Response parameters the model set (model.ts). */ readonly parameters?: Readonly<Parameters> }
  | { readonly ok: false; readonly error: ErrorData }
) & {
  /** Time the execution this request was part of spent in the backend (the same object for every request of a batch). */
  readonly compute?: ComputeTiming;
  /** Set by the scheduler: nanoseconds from enqueue until the request was handed to an instance. */
  readonly queueNs?: number;
  /** Set by the scheduler when it refused or dropped the request itself (queue full, queue timeout, unloading). */
  readonly rejected?: boolean;
};

/**
 * Time one execution (one batch) spent in a backend, in nanoseconds, split
 * as Triton's statistics split it: preparing inputs, running the model, and
 * extracting outputs.
 */
export interface ComputeTiming {
  readonly inputNs: number;
  readonly inferNs: number;
  readonly outputNs: number;
}

/**
 * Something that waits for the requests it starts: a model instance (its
 * execute's BLS calls) or a running ensemble's scheduler (its steps). Only
 * compared by identity (ModelVersion.owns, request-cycle.ts).
 */
export type Caller = object;

export interface BackendInstance {
  readonly name: string;
  /** Runs a batch of requests; resolves with exactly one result per request, in order. Never rejects for a single bad request. */
  execute(requests: readonly ExecRequest[]): Promise<ExecResult[]>;
  /**
   * How many executes the instance accepts at once (default: the scheduler's
   * pipeline depth). A model.ts instance takes one at a time, as Triton's
   * Python backend does, so its per-instance state sees executes in order.
   */
  readonly concurrency?: number;
  /** Releases the thread/session; pending executes are rejected. */
  dispose(): Promise<void>;
  /**
   * Calls `listener` once if the instance dies (its thread exits, its isolate
   * is lost); it then answers every request with an error and the model
   * replaces it. Returns an unsubscribe function.
   */
  onFailure?(listener: (error: ErrorData) => void): () => void;
}

export interface Backend {
  /** The `backend` name in config (e.g. `onnxruntime`). */
  readonly name: string;
  /** Platform names that select this backend (e.g. `onnxruntime_onnx`). */
  readonly platforms: readonly string[];
  /** The model file name used when the config sets no `default_model_filename`. */
  readonly defaultModelFilename: string;
  /**
   * Lets the model itself complete its config before validation (a model.ts
   * `autoCompleteConfig`). Runs after file-signature auto-complete.
   */
  completeConfig?(config: ModelConfig, modelPath: string, context: { modelDir: string; log: Logger }): Promise<ModelConfig>;
  /** Reads the inputs and outputs the model file declares, for auto-complete and validation. */
  readSignature?(modelPath: string, config: ModelConfig, log: Logger): Promise<ModelFileSignature>;
  /** Whether a GPU instance can be created (KIND_AUTO resolution). */
  gpuAvailable?(): boolean;
  createInstance(context: BackendLoadContext, spec: InstanceSpec): Promise<BackendInstance>;
  /** True when its instances can serve decoupled models (ExecRequest.respond). */
  readonly supportsDecoupled?: boolean;
  /** Releases resources shared by all instances (probe sessions, caches). */
  dispose?(): Promise<void>;
}
