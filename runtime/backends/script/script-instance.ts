/**
 * One instance of a TypeScript model: a BackendInstance in front of an
 * IsolateSandbox. It speaks the host side of sdk/model/isolate-protocol.ts:
 * turns requests into descriptors, serves the script's host calls (logging,
 * timers, BLS through the server's `infer()`, tensor payloads), and turns the
 * script's responses back into tensors.
 *
 * Ownership: the instance owns its isolate, its timers and the tensors it
 * holds for the script (TensorHandles) until dispose(). It takes one execute
 * at a time (`concurrency = 1`), as Triton's Python backend does.
 *
 * Failure: an out-of-memory, a slice timeout or an execute past its time limit
 * leaves the isolate unusable. Every request in flight then gets an error
 * naming the model, the instance and the reason; `onFailure` listeners are
 * told, and the model replaces the instance. A model.ts that merely throws
 * fails that batch's requests and keeps its instance.
 */
import { NereidError, type ErrorData } from '../../../sdk/errors.ts';
import type {
  BlsRequestDescriptor,
  BlsResultDescriptor,
  BlsResumption,
  HostBridge,
  InitializeArgs,
  LogLevel,
  RequestDescriptor,
  ResponseDescriptor,
  SettleResult,
} from '../../../sdk/model/isolate-protocol.ts';
import type { ParameterValue } from '../../../sdk/model/isolate-protocol.ts';
import type { InferRequest, InferResponse } from '../../../sdk/inference.ts';
import type { Tensor } from '../../../sdk/tensor.ts';
import { renderConfigJson } from '../../config/render-config-json.ts';
import type { Logger } from '../../logging/logger.ts';
import { CustomMetrics, type CustomMetricsOwner } from '../../metrics/custom-metrics.ts';
import { millisToNanos } from '../../stats/model-stats.ts';
import { namedSequence, withoutSequenceParameters } from '../../scheduler/sequence-request.ts';
import type { BackendInstance, BackendLoadContext, Caller, ComputeTiming, ExecRequest, ExecResult, InstanceSpec, ModelHost } from '../backend.ts';
import { authorStack } from './bundle/stack-mapper.ts';
import { ExecuteCancellation } from './execute-cancellation.ts';
import { IsolateSandbox, type EntryFailure } from './isolate-sandbox.ts';
import { OutputCheck } from './output-check.ts';
import type { ScriptOptions } from './script-options.ts';
import { TensorHandles } from './tensor-handles.ts';

/** What the instance needs of a bundle: its code, its name in stack traces, and a way to map those traces back to source files. */
export interface LoadedBundle {
  readonly code: string;
  readonly filename: string;
  /** False when the model cannot export `autoCompleteConfig` (ModelBundle.mayExportAutoComplete). */
  readonly mayExportAutoComplete: boolean;
  mapStack(stack: string): string;
}

interface PendingCall {
  readonly name: string;
  readonly resolve: (result: SettleResult) => void;
  /** performance.now() past which the call has run too long. */
  readonly deadline: number;
}

/** V8's RangeError when an ArrayBuffer would pass the isolate's memory limit. */
const ARRAY_BUFFER_EXHAUSTED = 'Array buffer allocation failed';

/** A decoupled request whose response stream is open. */
interface OpenStream {
  readonly request: ExecRequest;
  /** Its hold on the host tensors registered while it is open (TensorHandles.hold). */
  readonly holder: number;
  /** Ends the stream when the model sends nothing for execute_timeout_ms; restarted by each response. */
  readonly idle: NodeJS.Timeout;
}

export class ScriptInstance implements BackendInstance {
  readonly name: string;
  readonly concurrency = 1;
  readonly #context: BackendLoadContext;
  readonly #options: ScriptOptions;
  readonly #bundle: LoadedBundle;
  readonly #log: Logger;
  readonly #prefix: string;
  readonly #handles: TensorHandles;
  readonly #outputCheck: OutputCheck;
  readonly #calls = new Map<number, PendingCall>();
  readonly #timers = new Map<number, NodeJS.Timeout>();
  readonly #failureListeners = new Set<(error: ErrorData) => void>();
  /** This instance's holds on custom metrics (model.ts MetricFamily), released with the isolate. */
  readonly #metrics: CustomMetricsOwner;
  #sandbox: IsolateSandbox | undefined;
  /** One timer for every call's time limit (not one per call): armed for the oldest call's deadline. */
  #deadlineTimer: NodeJS.Timeout | undefined;
  #nextCallId = 1;
  #executing = 0;
  /** While an execute runs: this instance and everything waiting for the requests it executes (ExecRequest.callers). */
  #callers: Set<Caller> | undefined;
  /** While an execute runs: what its requests' cancellation looks like to the script. */
  #cancellation: ExecuteCancellation | undefined;
  #nextCancelToken = 1;
  /** Decoupled model: requests whose response stream is open, by response token (until their final response). */
  readonly #streams = new Map<number, OpenStream>();
  /** Their cancellation, by cancel token: a stream outlives its execute, and so must `request.isCancelled()`. */
  readonly #streamSignals = new Map<number, AbortSignal>();
  /** BLS streams the script is reading, by its call id: aborted when it stops reading. */
  readonly #blsStreams = new Map<number, AbortController>();
  /** BLS results not yet delivered: they go in together, at the end of the current microtask turn (#resume). */
  #resumptions: BlsResumption[] = [];
  #nextResponseToken = 1;
  readonly #decoupled: boolean;
  #failure: ErrorData | undefined;
  #disposed = false;

  private constructor(context: BackendLoadContext, spec: InstanceSpec, bundle: LoadedBundle, options: ScriptOptions) {
    this.name = spec.name;
    this.#context = context;
    this.#options = options;
    this.#bundle = bundle;
    this.#log = context.log.child(`[${spec.name}]`);
    this.#prefix = `model '${context.modelName}' instance '${spec.name}'`;
    this.#handles = new TensorHandles(options.inlineTensorBytes);
    this.#outputCheck = new OutputCheck(context.config);
    this.#decoupled = context.config.model_transaction_policy?.decoupled === true;
    // A host without a metrics endpoint (a test harness): the model's metrics still work, nobody scrapes them.
    this.#metrics = (context.host.customMetrics ?? new CustomMetrics()).owner(context.modelName);
  }

  /** Starts the isolate, runs the bundle and the model's `initialize`. */
  static async create(context: BackendLoadContext, spec: InstanceSpec, bundle: LoadedBundle, options: ScriptOptions): Promise<ScriptInstance> {
    const instance = new ScriptInstance(context, spec, bundle, options);
    try {
      instance.#sandbox = await IsolateSandbox.create(instance.#bridge(), { ...options, code: bundle.code, filename: bundle.filename });
      const args: InitializeArgs = {
        modelName: context.modelName,
        modelVersion: String(context.version),
        modelConfig: renderConfigJson(context.config) as unknown as InitializeArgs['modelConfig'],
        modelInstanceName: spec.name,
        modelInstanceKind: spec.kind === 'KIND_GPU' ? 'GPU' : spec.kind === 'KIND_MODEL' ? 'MODEL' : 'CPU',
        modelInstanceDeviceId: spec.deviceId,
        modelRepository: context.modelDir,
      };
      const result = await instance.#call('initialize', (sandbox, callId) => sandbox.enter('initialize', [callId, args]));
      if (!result.ok) throw instance.#scriptError(result, 'initialize failed');
      return instance;
    } catch (error) {
      instance.#teardown();
      throw NereidError.from(error, `${instance.#prefix}: could not start`);
    }
  }

  onFailure(listener: (error: ErrorData) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  async execute(requests: readonly ExecRequest[]): Promise<ExecResult[]> {
    if (this.#failure || this.#disposed) {
      const reason = this.#failure?.message ?? 'the instance is disposed';
      return requests.map(() => this.#fail(NereidError.unavailable(`${this.#prefix} is unavailable: ${reason}`)));
    }
    this.#executing++;
    const holder = this.#handles.hold();
    this.#callers = new Set<Caller>([this]);
    const cancellation = new ExecuteCancellation(requests, this.#nextCancelToken, (token) => this.#notifyCancelled(token));
    this.#nextCancelToken += cancellation.tokenCount;
    this.#cancellation = cancellation;
    for (const request of requests) request.callers?.forEach((caller) => this.#callers!.add(caller));
    try {
      // Timed as Triton's statistics split it: describing the requests, the model's execute (awaits included), reading the responses.
      const started = performance.now();
      const descriptors = requests.map((request, i) => this.#describeRequest(request, cancellation.tokenOf(i), this.#openStream(request, cancellation.tokenOf(i))));
      const described = performance.now();
      const result = await this.#call('execute', (sandbox, callId) => sandbox.execute(callId, descriptors));
      const executed = performance.now();
      // Shared by the batch's results; the output time is known once the responses are read.
      const compute = { inputNs: millisToNanos(described - started), inferNs: millisToNanos(executed - described), outputNs: 0 };
      if (!result.ok) {
        // The heap limit also bounds ArrayBuffers: the script may still hold what filled it, so start afresh.
        if (result.error.message === ARRAY_BUFFER_EXHAUSTED) this.#kill(`ran out of memory (memory_limit_mb ${this.#options.memoryLimitMb}): ${ARRAY_BUFFER_EXHAUSTED}`);
        const error = this.#failure ? NereidError.fromData(this.#failure) : this.#scriptError(result, 'execute failed');
        this.#closeStreams(requests, this.#fail(error));
        return requests.map(() => ({ ...this.#fail(error), compute }));
      }
      if (this.#decoupled) {
        // The responses went (and may still go) through the response senders; nothing to read back here.
        return requests.map(() => ({ ok: true, outputs: [], compute }));
      }
      const responses = result.responses ?? [];
      const results = requests.map((request, i) => this.#toResult(request, responses[i], compute));
      compute.outputNs = millisToNanos(performance.now() - executed);
      return results;
    } catch (error) {
      this.#closeStreams(requests, this.#fail(error));
      return requests.map(() => this.#fail(error));
    } finally {
      if (--this.#executing === 0) {
        this.#callers = undefined;
        this.#cancellation = undefined;
      }
      this.#handles.unhold(holder);
      cancellation.dispose();
    }
  }

  /** The response token of `request` in a decoupled model (its stream opens now), else 0. */
  #openStream(request: ExecRequest, cancelToken: number): number {
    if (!this.#decoupled) return 0;
    const token = this.#nextResponseToken++;
    const idle = setTimeout(() => this.#endIdleStream(token), this.#options.executeTimeoutMs);
    this.#streams.set(token, { request, holder: this.#handles.hold(), idle });
    if (request.signal && cancelToken !== 0) this.#streamSignals.set(cancelToken, request.signal);
    return token;
  }

  /** The script listens for a request's cancellation: a decoupled stream's for as long as it is open, else for its execute. */
  #watchCancel(cancelToken: number): void {
    const streamSignal = this.#streamSignals.get(cancelToken);
    if (!streamSignal) return this.#cancellation?.watch(cancelToken);
    if (streamSignal.aborted) return this.#notifyCancelled(cancelToken);
    streamSignal.addEventListener('abort', () => this.#streamSignals.has(cancelToken) && this.#notifyCancelled(cancelToken), { once: true });
  }

  /** Tells the script that the request of `cancelToken` was cancelled (its `request.signal` fires). */
  #notifyCancelled(cancelToken: number): void {
    // Never from inside a host callback the script is running: after the current entry returns.
    queueMicrotask(() => this.#enter((sandbox) => sandbox.enter('cancelled', [cancelToken])));
  }

  /** Forgets the stream of `token` (its final response has gone, or it failed). */
  #closeStream(token: number, stream: OpenStream): void {
    this.#streams.delete(token);
    clearTimeout(stream.idle);
    this.#handles.unhold(stream.holder);
    for (const [cancelToken, signal] of this.#streamSignals) if (signal === stream.request.signal) this.#streamSignals.delete(cancelToken);
  }

  /** Ends the open streams of `requests` (all of them when undefined) with `failure` as their final response. */
  #closeStreams(requests: readonly ExecRequest[] | undefined, failure: ExecResult): void {
    for (const [token, stream] of this.#streams) {
      if (requests && !requests.includes(stream.request)) continue;
      this.#closeStream(token, stream);
      stream.request.respond?.(failure, true);
    }
  }

  /**
   * A stream that sent nothing for execute_timeout_ms: the model lost track of
   * it (no final response will come), so its client gets an error instead of
   * waiting forever. The instance itself is fine and keeps serving.
   */
  #endIdleStream(token: number): void {
    const stream = this.#streams.get(token);
    if (!stream) return;
    this.#closeStream(token, stream);
    const id = stream.request.id ? ` '${stream.request.id}'` : '';
    const error = NereidError.internal(
      `the model sent no response to request${id} for execute_timeout_ms (${this.#options.executeTimeoutMs} ms) and never ended its stream: send its last response with { final: true } (or final alone)`,
    );
    this.#log.error(`${this.#prefix}: ${error.message}`);
    stream.request.respond?.(this.#fail(error), true);
  }

  /** `HostBridge.sendResponse`: one response of a decoupled model's stream. */
  #sendResponse(token: number, response: ResponseDescriptor | undefined, final: boolean): void {
    const stream = this.#streams.get(token);
    if (!stream) throw new Error(`${this.#prefix}: that request's response stream is closed (its final response was sent, or it failed)`);
    const result = response === undefined ? undefined : this.#toResult(stream.request, response);
    if (final) this.#closeStream(token, stream);
    else stream.idle.refresh();
    stream.request.respond?.(result, final);
  }

  async dispose(): Promise<void> {
    if (this.#disposed) return;
    if (!this.#failure && this.#sandbox) {
      const result = await this.#call('finalize', (sandbox, callId) => sandbox.enter('finalize', [callId])).catch((error: unknown) => ({ ok: false as const, error: NereidError.from(error).toData() }));
      if (!result.ok) this.#log.error(`${this.#prefix}: finalize failed: ${result.error.message}`);
    }
    this.#disposed = true;
    // finalize may have ended them (Triton's models wait for their response threads there); nobody will now.
    this.#closeStreams(undefined, this.#fail(NereidError.unavailable('the model was unloaded before it sent the final response')));
    this.#teardown();
  }

  /** Calls an entry (`enter` makes the call) and waits for the script to settle it, within the execute time limit. */
  #call(name: 'initialize' | 'execute' | 'finalize', enter: (sandbox: IsolateSandbox, callId: number) => EntryFailure | undefined): Promise<SettleResult> {
    const callId = this.#nextCallId++;
    return new Promise<SettleResult>((resolve) => {
      this.#calls.set(callId, { name, resolve, deadline: performance.now() + this.#options.executeTimeoutMs });
      this.#deadlineTimer ??= setTimeout(() => this.#checkDeadlines(), this.#options.executeTimeoutMs);
      this.#enter((sandbox) => enter(sandbox, callId));
    });
  }

  /** Kills the instance if its oldest call is past its deadline, else waits for that deadline. */
  #checkDeadlines(): void {
    this.#deadlineTimer = undefined;
    // Calls are kept in start order, and all have the same limit: the first is the oldest.
    const oldest = this.#calls.values().next().value as PendingCall | undefined;
    if (!oldest) return;
    const left = oldest.deadline - performance.now();
    if (left <= 0) this.#kill(`${oldest.name} did not finish within execute_timeout_ms (${this.#options.executeTimeoutMs} ms)`);
    else this.#deadlineTimer = setTimeout(() => this.#checkDeadlines(), Math.ceil(left));
  }

  /** Enters the isolate through `call`; a fatal failure kills the instance, a script error is logged. */
  #enter(call: (sandbox: IsolateSandbox) => EntryFailure | undefined): void {
    const sandbox = this.#sandbox;
    if (!sandbox || this.#failure) return;
    const failure = call(sandbox);
    if (!failure) return;
    if (failure.fatal) this.#kill(failure.message);
    else this.#log.error(`${this.#prefix}: uncaught error in model code: ${this.#bundle.mapStack(failure.stack ?? failure.message)}`);
  }

  /** The isolate is lost: fail everything in flight, stop timers, tell the model to replace this instance. */
  #kill(reason: string): void {
    if (this.#failure) return;
    this.#failure = NereidError.internal(`${this.#prefix} failed: ${reason}`).toData();
    this.#log.error(this.#failure.message);
    for (const [callId, call] of this.#calls) {
      call.resolve({ ok: false, error: this.#failure });
      this.#calls.delete(callId);
    }
    this.#closeStreams(undefined, { ok: false, error: this.#failure });
    this.#teardown();
    for (const listener of this.#failureListeners) listener(this.#failure);
  }

  #teardown(): void {
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
    clearTimeout(this.#deadlineTimer);
    this.#deadlineTimer = undefined;
    for (const stream of this.#blsStreams.values()) stream.abort();
    this.#sandbox?.dispose();
    this.#handles.release();
    this.#metrics.release();
  }

  #describeRequest(request: ExecRequest, cancelToken: number, responseToken: number): RequestDescriptor {
    // Without a sequence batcher the sequence parameters are still the request's correlation id and flags, as in Triton.
    const named = request.correlationId === undefined ? namedSequence(request.parameters) : undefined;
    const parameters: Record<string, ParameterValue> = {};
    for (const [key, value] of Object.entries((named ? withoutSequenceParameters(request.parameters) : request.parameters) ?? {})) {
      parameters[key] = typeof value === 'bigint' ? isolateNumber(value) : value;
    }
    const id = named?.id ?? request.correlationId;
    return {
      id: request.id ?? '',
      inputs: request.inputs.map((tensor) => this.#handles.describe(tensor)),
      requestedOutputs: [...request.outputs],
      parameters,
      correlationId: typeof id === 'bigint' ? isolateNumber(id) : (id ?? 0),
      flags: named?.flags ?? request.flags ?? 0,
      cancelToken,
      responseToken,
      ...(request.traceId ? { traceId: request.traceId } : {}),
    };
  }

  #toResult(request: ExecRequest, response: ResponseDescriptor | undefined, compute?: ComputeTiming): ExecResult {
    if (!response) return { ...this.#fail(NereidError.internal(`${this.#prefix}: execute returned no response for a request`)), compute };
    if (response.error) return { ok: false, error: { code: response.error.code, message: response.error.message }, compute };
    const what = `${this.#prefix}: response`;
    const byName = new Map<string, Tensor>();
    for (const descriptor of response.outputs) {
      const tensor = this.#handles.resolve(descriptor, what);
      const problem = this.#outputCheck.problem(tensor, request.batchSize);
      if (problem) return { ...this.#fail(NereidError.internal(`${this.#prefix}: the response's ${problem}`)), compute };
      byName.set(descriptor.name, tensor);
    }
    const outputs: Tensor[] = [];
    for (const name of request.outputs) {
      const tensor = byName.get(name);
      if (!tensor) {
        const has = byName.size === 0 ? 'none' : [...byName.keys()].map((output) => `'${output}'`).join(', ');
        return { ...this.#fail(NereidError.internal(`${this.#prefix}: execute's response has no output '${name}', which the request asked for (it has ${has})`)), compute };
      }
      outputs.push(tensor);
    }
    return response.parameters === undefined ? { ok: true, outputs, compute } : { ok: true, outputs, parameters: response.parameters, compute };
  }

  #scriptError(result: Extract<SettleResult, { ok: false }>, what: string): NereidError {
    const { code, message } = result.error;
    if (message.startsWith(this.#prefix)) return NereidError.fromData(result.error);
    // The sdk's own checks (a wrong number of responses, a bad parameter, ...) name the model already; their stack is the sdk's.
    const label = `model '${this.#context.modelName}': `;
    if (message.startsWith(label)) return new NereidError(code, `${this.#prefix}: ${what}: ${message.slice(label.length)}`);
    const { header, frames } = authorStack(result.stack ? this.#bundle.mapStack(result.stack) : '', message);
    return new NereidError(code, `${this.#prefix}: ${what}: ${header}${frames ? `\n${frames}` : ''}`);
  }

  #fail(error: unknown): ExecResult {
    const base = NereidError.from(error);
    const message = base.message.startsWith('model ') ? base.message : `${this.#prefix}: ${base.message}`;
    return { ok: false, error: { code: base.code, message } };
  }

  /** The server request a script's BLS request describes. */
  #blsRequest(request: BlsRequestDescriptor, what: string, signal: AbortSignal | undefined): InferRequest {
    return {
      model: request.model,
      version: request.version || undefined,
      id: request.id,
      inputs: request.inputs.map((descriptor) => this.#handles.resolve(descriptor, what)),
      outputs: request.requestedOutputs.map((name) => ({ name })),
      parameters: request.parameters,
      signal,
    };
  }

  #blsResult(response: InferResponse): BlsResultDescriptor {
    return {
      model: response.model,
      version: response.version,
      outputs: response.outputs.map((tensor) => this.#handles.describe(tensor)),
      parameters: response.parameters as Record<string, ParameterValue> | undefined,
    };
  }

  /** Starts a BLS stream for the script: each response comes back through its own `resume`, the last marked final. */
  #inferStream(callId: number, request: BlsRequestDescriptor): void {
    const what = `BLS request to model '${request.model}'`;
    const cancel = new AbortController();
    const blsSignal = this.#cancellation?.blsSignal;
    this.#blsStreams.set(callId, cancel);
    const resume = (result: BlsResultDescriptor): void => this.#resume(callId, result);
    // As exec()'s: the whole stream must end within timeoutMs, else it is cancelled and ends with the error.
    const timer =
      request.timeoutMs > 0
        ? setTimeout(() => {
            resume({ ...blsFailure(request, NereidError.unavailable(`${what} timed out after ${request.timeoutMs} ms`)), final: true });
            cancel.abort();
          }, request.timeoutMs)
        : undefined;
    const run = async (): Promise<void> => {
      const host = this.#context.host;
      if (!host.inferStream) throw NereidError.unsupported(`${what}: this server cannot stream BLS calls`);
      const signal = blsSignal ? AbortSignal.any([blsSignal, cancel.signal]) : cancel.signal;
      const stream = host.inferStream(this.#blsRequest(request, what, signal), this.#callers, request.traceParent);
      for await (const item of stream) {
        if (cancel.signal.aborted) return;
        const result = item.error
          ? blsFailure(request, item.error)
          : item.response
            ? this.#blsResult(item.response)
            : { model: request.model, version: request.version, outputs: [], empty: true };
        resume({ ...result, final: item.final });
      }
    };
    run()
      .catch((error: unknown) => {
        if (!cancel.signal.aborted) resume({ ...blsFailure(request, error), final: true });
      })
      .finally(() => {
        clearTimeout(timer);
        this.#blsStreams.delete(callId);
      });
  }

  /** Starts a BLS inference for the script; its result comes back through `resume`. */
  #infer(callId: number, request: BlsRequestDescriptor): void {
    if (request.stream) return this.#inferStream(callId, request);
    const what = `BLS request to model '${request.model}'`;
    let inference: Promise<InferResponse>;
    try {
      // A BLS timeout also cancels the call: dropped if still queued, visible to a model.ts running it.
      const deadline = request.timeoutMs > 0 ? new AbortController() : undefined;
      const blsSignal = this.#cancellation?.blsSignal;
      const signal = deadline && blsSignal ? AbortSignal.any([deadline.signal, blsSignal]) : (deadline?.signal ?? blsSignal);
      const started = this.#context.host.infer(this.#blsRequest(request, what, signal), this.#callers, request.traceParent);
      inference = deadline ? withTimeout(started, request.timeoutMs, what, deadline) : started;
    } catch (error) {
      return this.#resume(callId, blsFailure(request, error));
    }
    // One reaction to the outcome (not then/catch/then): each hop is a microtask on every BLS call.
    inference.then(
      (response) => this.#resume(callId, this.#blsResultOrFailure(request, response)),
      (error: unknown) => this.#resume(callId, blsFailure(request, error)),
    );
  }

  /** #blsResult, or the failure its tensors could not be described with. */
  #blsResultOrFailure(request: BlsRequestDescriptor, response: InferResponse): BlsResultDescriptor {
    try {
      return this.#blsResult(response);
    } catch (error) {
      return blsFailure(request, error);
    }
  }

  /** Loads or unloads a model for the script (`change`); the outcome comes back through `resume`, as a BLS result without outputs. */
  #changeModel(callId: number, model: string, change: (host: ModelHost) => Promise<void> | undefined): void {
    let outcome: Promise<void>;
    try {
      outcome = change(this.#context.host) ?? Promise.reject(NereidError.unsupported('this server cannot load or unload models for a model'));
    } catch (error) {
      outcome = Promise.reject(error);
    }
    outcome.then(
      () => this.#resume(callId, { model, version: '', outputs: [] }),
      (error: unknown) => this.#resume(callId, blsFailure({ model, version: '' }, error)),
    );
  }

  /**
   * Delivers a BLS result to the script. The results of one batch of BLS
   * calls (a batched run of the called model) settle in the same turn of the
   * microtask queue, so they are collected and enter the isolate together:
   * one entry instead of one per call.
   */
  #resume(callId: number, result: BlsResultDescriptor): void {
    this.#resumptions.push({ callId, result });
    if (this.#resumptions.length > 1) return;
    queueMicrotask(() => {
      const resumptions = this.#resumptions;
      this.#resumptions = [];
      this.#enter((sandbox) => sandbox.resume(resumptions));
    });
  }

  #bridge(): HostBridge {
    const log = this.#log;
    const metrics = this.#metrics;
    return {
      log: (level: LogLevel, message: string) => {
        if (level === 'error') log.error(message);
        else if (level === 'warn') log.warn(message);
        else if (level === 'verbose') log.verbose(message);
        else log.info(message);
      },
      now: () => performance.now(),
      setTimer: (timerId: number, delayMs: number) => {
        const timer = setTimeout(() => {
          this.#timers.delete(timerId);
          this.#enter((sandbox) => sandbox.enter('fireTimer', [timerId]));
        }, Math.max(0, delayMs));
        this.#timers.set(timerId, timer);
      },
      clearTimer: (timerId: number) => {
        clearTimeout(this.#timers.get(timerId));
        this.#timers.delete(timerId);
      },
      infer: (callId: number, request: BlsRequestDescriptor) => this.#infer(callId, request),
      cancelInference: (callId: number) => this.#blsStreams.get(callId)?.abort(),
      isModelReady: (model: string, version: string) => this.#context.host.isModelReady(model, version || undefined),
      loadModel: (callId: number, model: string, config: string, files: Record<string, Uint8Array> | undefined) =>
        this.#changeModel(callId, model, (host) => host.loadModel?.(model, { config: config || undefined, files }, this.#callers)),
      unloadModel: (callId: number, model: string, unloadDependents: boolean) =>
        this.#changeModel(callId, model, (host) => host.unloadModel?.(model, { unloadDependents }, this.#callers)),
      isCancelled: (cancelToken: number) => this.#cancellation?.isCancelled(cancelToken) || (this.#streamSignals.get(cancelToken)?.aborted ?? false),
      watchCancel: (cancelToken: number) => this.#watchCancel(cancelToken),
      sendResponse: (token: number, response: ResponseDescriptor | undefined, final: boolean) => this.#sendResponse(token, response, final),
      takeTensor: (handle: number) => this.#handles.take(handle) as never,
      metricFamily: (name, description, kind) => metrics.family(name, description, kind),
      metric: (familyId, labelsJson, bucketsJson) => metrics.metric(familyId, labelsJson, bucketsJson),
      metricUpdate: (metricId, op, value) => metrics.update(metricId, op, value),
      settle: (callId: number, result: SettleResult) => {
        const call = this.#calls.get(callId);
        if (!call) return;
        this.#calls.delete(callId);
        call.resolve(result);
      },
    };
  }
}

/** The result a failed BLS call of `request` resumes the script with. */
function blsFailure(request: Pick<BlsRequestDescriptor, 'model' | 'version'>, error: unknown): BlsResultDescriptor {
  return { model: request.model, version: request.version, outputs: [], error: NereidError.from(error).toData() };
}

/** The isolate protocol carries numbers and strings: an integer beyond 2^53 goes as its decimal text, exact. */
function isolateNumber(value: bigint): number | string {
  return value >= BigInt(Number.MIN_SAFE_INTEGER) && value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value.toString();
}

/**
 * `promise`, or a timeout error after `ms`; then `cancel` aborts, so the
 * called model stops. One timer does both, in that order: the caller sees
 * the timeout, never the CANCELLED that the abort causes.
 */
function withTimeout<T>(promise: Promise<T>, ms: number, what: string, cancel: AbortController): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(NereidError.unavailable(`${what} timed out after ${ms} ms`));
      cancel.abort();
    }, ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}
