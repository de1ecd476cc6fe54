/**
 * The contract between the server (host) and a model.ts bundle running in an
 * isolated-vm isolate. Plain data only: everything here crosses the isolate
 * boundary by structured copy, except where a field says it is transferred.
 *
 * Driving (see docs/design/script-backend.md): the host enters the isolate
 * with synchronous calls on the main thread (`applySync`); the isolate calls
 * back with synchronous host callbacks and never blocks on the host. Work that
 * takes time (BLS inferences, timers) is started by a callback and finished
 * by the host calling back into the isolate (`resume`, `fireTimer`), which
 * runs the script on to its next `await`.
 *
 * This file imports nothing from Node: it is part of what runs inside the isolate.
 */
import type { DataType } from '../datatypes.ts';
import type { ErrorData } from '../errors.ts';
import type { ModelConfig } from '../model-config.ts';

export type ParameterValue = boolean | number | string;

/**
 * A tensor crossing the boundary. Exactly one of `data` and `handle` is set:
 * - `data`: the elements themselves (a TypedArray, or byte strings for BYTES),
 *   copied or transferred along with the descriptor; used for small tensors;
 * - `handle`: a host-side tensor whose payload stays on the host until the
 *   script reads it (`TensorDescriptor.handle` -> `HostBridge.takeTensor`),
 *   so a script that only forwards a tensor never moves its bytes.
 */
export interface TensorDescriptor {
  name: string;
  datatype: DataType;
  shape: number[];
  data?: ArrayBufferView | Uint8Array[];
  handle?: number;
}

/** One request handed to `execute`. */
export interface RequestDescriptor {
  /** The request's `id` (may be empty). */
  id: string;
  inputs: TensorDescriptor[];
  /** Output names the caller asked for (all outputs when it asked for none). */
  requestedOutputs: string[];
  parameters: Record<string, ParameterValue>;
  /** Sequence correlation id (0 or '' when not part of a sequence). */
  correlationId: number | string;
  /** Sequence flags: 1 = START, 2 = END. */
  flags: number;
  /** Asks `HostBridge.isCancelled` about this request; 0: it cannot be cancelled. */
  cancelToken?: number;
  /** Decoupled models only: where `HostBridge.sendResponse` sends this request's responses; 0 otherwise. */
  responseToken?: number;
  /** The request's trace when the server traces it (the trace extension); absent: not traced. */
  traceId?: number;
}

/** One response from `execute`: outputs, or an error for just that request. */
export interface ResponseDescriptor {
  outputs: TensorDescriptor[];
  parameters?: Record<string, ParameterValue>;
  error?: ErrorData;
}

/** A request a script makes to another model (BLS). */
export interface BlsRequestDescriptor {
  model: string;
  /** Version as a decimal string; empty = the version policy decides. */
  version: string;
  inputs: TensorDescriptor[];
  requestedOutputs: string[];
  parameters: Record<string, ParameterValue>;
  /** Gives up (with an error response) after this long; 0 = no limit. */
  timeoutMs: number;
  /** True for `request.stream()`: every response of the model comes back, each by its own `resume`, the last `final`. */
  stream?: boolean;
  /** The request id (`requestId`), echoed in the response. Absent: none. */
  id?: string;
  /** The trace this call is part of (`trace: request.trace()`): the call is traced as its child. Absent: none. */
  traceParent?: number;
}

/** What a BLS call resolves to: the model's response, or an error (as Triton's BLS does, never a thrown exception). */
export interface BlsResultDescriptor {
  model: string;
  version: string;
  /** For a stream: false while more responses follow. Absent: the call's one and only result. */
  final?: boolean;
  /** For a stream's final result: true when it carries no response, only the end of the stream. */
  empty?: boolean;
  outputs: TensorDescriptor[];
  parameters?: Record<string, ParameterValue>;
  error?: ErrorData;
}

/** `initialize(args)`: what Triton's Python backend passes, as typed fields. */
export interface InitializeArgs {
  modelName: string;
  modelVersion: string;
  /** The completed model config (Triton's JSON rendering). */
  modelConfig: ModelConfig;
  /** `<model>_<group>_<n>`-style instance name, e.g. `add_sub_bls_0_0`. */
  modelInstanceName: string;
  modelInstanceKind: 'CPU' | 'GPU' | 'MODEL';
  modelInstanceDeviceId: number;
  /** Path of the model's directory in the repository. */
  modelRepository: string;
}

export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

/**
 * Host functions, installed as the global `__nereidHost` before the bundle
 * runs; the bundle captures them and deletes the global, so model code cannot
 * reach them directly. All are synchronous.
 */
export interface HostBridge {
  log(level: LogLevel, message: string): void;
  /** Milliseconds, high resolution (performance.now on the host). */
  now(): number;
  setTimer(timerId: number, delayMs: number): void;
  clearTimer(timerId: number): void;
  /** Starts a BLS inference; its result arrives through `IsolateEntry.resume(callId, ...)`. */
  infer(callId: number, request: BlsRequestDescriptor): void;
  /** Stops the BLS stream `callId` (its reader stopped early): the request is cancelled and no more results come. */
  cancelInference(callId: number): void;
  isModelReady(model: string, version: string): boolean;
  /**
   * Loads (or reloads) `model` (`server.loadModel`): `config` a model config
   * as JSON text ('' for the repository's), `files` override files keyed
   * `<version>/<path>`. The outcome arrives through `IsolateEntry.resume(callId, ...)`:
   * a result with `error`, or one with no outputs.
   */
  loadModel(callId: number, model: string, config: string, files: Record<string, Uint8Array> | undefined): void;
  /** Unloads `model` (`server.unloadModel`); the outcome arrives as for `loadModel`. */
  unloadModel(callId: number, model: string, unloadDependents: boolean): void;
  /** Whether the request `RequestDescriptor.cancelToken` names has been cancelled by its client. */
  isCancelled(cancelToken: number): boolean;
  /** The script listens for that request's cancellation: call `IsolateEntry.cancelled(cancelToken)` when it happens. */
  watchCancel(cancelToken: number): void;
  /**
   * A decoupled model's response for the request `RequestDescriptor.responseToken`
   * names (none with `final` alone). Throws when that request's stream is already closed.
   */
  sendResponse(responseToken: number, response: ResponseDescriptor | undefined, final: boolean): void;
  /** Moves a host tensor's payload into the isolate (transferred, not copied); the handle is spent. */
  takeTensor(handle: number): ArrayBufferView | Uint8Array[];
  /** Reports the end of `initialize` / `execute` / `finalize` call `callId`. */
  settle(callId: number, result: SettleResult): void;
  // Custom metrics (sdk/model/metrics.ts). Each returns its id or value, or the script's
  // mistake as data: an error thrown by a host callback reaches the isolate without its code.
  /** Registers custom metric family `name`, or finds the one already registered under that name (by any model); returns its id. */
  metricFamily(name: string, description: string, kind: MetricKind): number | ErrorData;
  /** The metric (one labelled series) of family `familyId` with these labels (a JSON object of strings) and, for a histogram, buckets (a JSON array of numbers; '' for none); returns its id. */
  metric(familyId: number, labelsJson: string, bucketsJson: string): number | ErrorData;
  /** Applies `op` to metric `metricId`; returns the metric's value afterwards (a histogram: its number of observations). */
  metricUpdate(metricId: number, op: MetricOp, value: number): number | ErrorData;
}

/** A custom metric family's kind, as Triton's `pb_utils.MetricFamily` kinds. */
export type MetricKind = 'counter' | 'gauge' | 'histogram';

/** What `HostBridge.metricUpdate` does: `value` reads without changing anything. */
export type MetricOp = 'increment' | 'set' | 'observe' | 'value';

/** The outcome of an entry call that ran asynchronously inside the isolate. */
export type SettleResult =
  | { ok: true; responses?: ResponseDescriptor[]; config?: ModelConfig }
  | { ok: false; error: ErrorData; stack?: string };

/**
 * Functions the bundle exposes as the global `__nereidModel`. Each returns at
 * once; `initialize`, `execute`, `finalize` and `autoCompleteConfig` report
 * their outcome later through `HostBridge.settle(callId, ...)`.
 */
export interface IsolateEntry {
  initialize(callId: number, args: InitializeArgs): void;
  execute(callId: number, requests: RequestDescriptor[]): void;
  finalize(callId: number): void;
  /** Present only when model.ts exports `autoCompleteConfig`. */
  autoCompleteConfig?(callId: number, config: ModelConfig): void;
  /** Delivers the result of BLS call `callId` (or of a `loadModel` / `unloadModel` call). */
  resume(callId: number, result: BlsResultDescriptor): void;
  fireTimer(timerId: number): void;
  /** The request `RequestDescriptor.cancelToken` names was cancelled: fires its `request.signal`. */
  cancelled(cancelToken: number): void;
}

/**
 * The host global as the server installs it: HostBridge's callbacks, except
 * that `infer` and `settle` take flat frames (frame-buffer.ts), plus the two
 * shared buffers the frames are written into. The prelude adapts it into a
 * HostBridge (isolate-wire.ts), so the sdk works with descriptors.
 */
export interface HostWire extends Omit<HostBridge, 'infer' | 'settle' | 'sendResponse'> {
  inferFrame(callId: number, strings: string, overflow?: ArrayBuffer): void;
  settleFrame(callId: number, strings: string, overflow?: ArrayBuffer): void;
  /** `sendResponse`, the response as a frame (writeStreamResponse). */
  responseFrame(responseToken: number, strings: string, overflow?: ArrayBuffer): void;
  /** Frames from the host into the isolate. */
  readonly toIsolate: SharedArrayBuffer;
  /** Frames from the isolate to the host. */
  readonly toHost: SharedArrayBuffer;
}

/** One BLS result on its way into the isolate: `IsolateEntry.resume(callId, result)`. */
export interface BlsResumption {
  readonly callId: number;
  readonly result: BlsResultDescriptor;
}

/**
 * The entry global as installed for a HostWire: `execute` and `resume` take
 * flat frames. One `resumeFrame` carries every BLS result the host has
 * ready (writeBlsResumptions): the results of a batch of BLS calls, which
 * finish together, enter the isolate once.
 */
export interface EntryWire extends Omit<IsolateEntry, 'execute' | 'resume'> {
  executeFrame(callId: number, strings: string, overflow?: ArrayBuffer): void;
  resumeFrame(strings: string, overflow?: ArrayBuffer): void;
}

/** Names of the two globals. */
export const HOST_GLOBAL = '__nereidHost';
export const ENTRY_GLOBAL = '__nereidModel';
