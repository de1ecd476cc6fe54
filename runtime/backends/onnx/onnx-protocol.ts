/**
 * The messages between an instance (main thread) and its ONNX Runtime worker.
 *
 * Life of a worker: it starts with `WorkerInit` as workerData and loads the
 * session at once, then posts `loaded` (with the model's signature) or
 * `load-failed`. After that it answers each `run` with one `ran` carrying the
 * same id, and `close` with `closed`, after which the main thread terminates it.
 *
 * `run` and `ran`, the per-request messages, cross as flat arrays (frames,
 * see run-frames.ts), which structured clone copies far more cheaply than the
 * nested objects below; the rare messages are plain objects with a `type`.
 *
 * Ownership across the boundary: every ArrayBuffer listed in a message's
 * transfer list changes hands (the sender's copy is detached). The main
 * thread transfers only buffers that belong to the request as a whole (see
 * wire-tensors.ts); the worker transfers every output buffer, since ORT gave
 * it fresh ones. No SharedArrayBuffer ever crosses: ORT rejects them.
 */
import type { ComputeTiming } from '../backend.ts';
import type { DataType, NumericArray } from '../../../sdk/datatypes.ts';
import type { ErrorData } from '../../../sdk/errors.ts';
import type { ModelFileSignature } from '../backend.ts';
import type { Frame } from './run-frames.ts';
import type { OrtSessionOptions } from './session-options.ts';

/**
 * A tensor as it crosses the thread boundary. Numeric data is the sdk's typed
 * array; BYTES data is one buffer of length-prefixed elements (the KServe
 * binary layout), which moves as a single transferable instead of one
 * structured clone per element.
 */
export interface WireTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: NumericArray;
}

/** One request to run: inputs, the outputs wanted, and its batch size (0 when the model does not batch). */
export interface WireRequest {
  readonly inputs: readonly WireTensor[];
  readonly outputs: readonly string[];
  readonly batchSize: number;
}

/** One result per request; a failed one carries ORT's (or the converter's) own message, unprefixed. */
export type WireResult = { readonly ok: true; readonly outputs: WireTensor[] } | { readonly ok: false; readonly error: ErrorData };

/** workerData of a new ONNX worker. */
export interface WorkerInit {
  /** The model file itself (a `model.onnx` directory already resolved to the file inside). */
  readonly modelFile: string;
  readonly options: OrtSessionOptions;
  /** ORT's log id for this session, so ORT's own log lines name the model. */
  readonly logId: string;
}

/** A run, as read from its frame. */
export interface RunMessage {
  readonly id: number;
  readonly requests: readonly WireRequest[];
  /** The config's max_batch_size: > 0 lets the worker merge requests along dim 0. */
  readonly maxBatchSize: number;
}

export interface CloseMessage {
  readonly type: 'close';
}

/** Main thread -> worker: a run frame (an array), or `close`. */
export type ToWorker = Frame | CloseMessage;

export interface LoadedMessage {
  readonly type: 'loaded';
  readonly signature: ModelFileSignature;
}

export interface LoadFailedMessage {
  readonly type: 'load-failed';
  readonly error: ErrorData;
}

/** The answer to one run, as read from its frame. */
export interface RanMessage {
  readonly id: number;
  readonly results: WireResult[];
  /** How many times `session.run` was called for these requests (1 when they were merged into one batch). */
  readonly sessionRuns: number;
  /** Time the worker spent on the message: converting and merging inputs, in `session.run`, splitting and converting outputs. */
  readonly compute: ComputeTiming;
}

export interface ClosedMessage {
  readonly type: 'closed';
}

/** Worker -> main thread: a ran frame (an array), or one of the others. */
export type FromWorker = Frame | LoadedMessage | LoadFailedMessage | ClosedMessage;
