/**
 * A fake HostBridge for running the isolate side of the protocol in plain
 * Node: records every call, keeps host tensors by handle, answers BLS calls
 * (asynchronously, as the real host does, unless told to answer at once) and
 * runs a manual clock for timers. Custom metrics go to a real registry
 * (`metrics`), as the server's would.
 */
import type { ErrorData } from '../../sdk/errors.ts';
import { serveModel } from '../../sdk/model/serve-model.ts';
import type {
  BlsRequestDescriptor,
  BlsResultDescriptor,
  HostBridge,
  IsolateEntry,
  LogLevel,
  MetricKind,
  MetricOp,
  ResponseDescriptor,
  SettleResult,
} from '../../sdk/model/isolate-protocol.ts';
import type { ModelModule } from '../../sdk/model/model-interface.ts';
import type { Prelude } from '../../sdk/model/prelude.ts';
import { CustomMetrics } from '../../runtime/metrics/custom-metrics.ts';

type Answer = (request: BlsRequestDescriptor, callId: number) => BlsResultDescriptor | Promise<BlsResultDescriptor>;

export class FakeHost implements HostBridge {
  entry: IsolateEntry | undefined;
  readonly logs: [LogLevel, string][] = [];
  readonly settled = new Map<number, SettleResult>();
  readonly inferCalls: { callId: number; request: BlsRequestDescriptor }[] = [];
  readonly taken: number[] = [];
  readonly payloads = new Map<number, ArrayBufferView | Uint8Array[]>();
  readonly ready = new Set<string>();
  readonly readyQueries: [string, string][] = [];
  /** The registry this host's model registers its custom metrics in, as model 'fake'. */
  readonly metrics = new CustomMetrics();
  readonly #metricsOwner = this.metrics.owner('fake');
  /** How BLS calls are answered; default: an error response. */
  answer: Answer = (request) => ({ model: request.model, version: '1', outputs: [], error: { code: 'NOT_FOUND', message: `no model '${request.model}'` } });
  /** Answer BLS calls inside infer() itself (re-entrant), instead of on a later turn. */
  answerSynchronously = false;
  clock = 0;
  readonly timers = new Map<number, { due: number; seq: number }>();
  readonly timerCalls: string[] = [];
  #seq = 0;
  #nextHandle = 1000;
  #waiters = new Map<number, (result: SettleResult) => void>();

  log(level: LogLevel, message: string): void {
    this.logs.push([level, message]);
  }

  now(): number {
    return this.clock;
  }

  setTimer(timerId: number, delayMs: number): void {
    this.timerCalls.push(`set ${timerId} ${delayMs}`);
    this.timers.set(timerId, { due: this.clock + delayMs, seq: this.#seq++ });
  }

  clearTimer(timerId: number): void {
    this.timerCalls.push(`clear ${timerId}`);
    this.timers.delete(timerId);
  }

  infer(callId: number, request: BlsRequestDescriptor): void {
    this.inferCalls.push({ callId, request });
    const deliver = async (): Promise<void> => {
      let result: BlsResultDescriptor;
      try {
        result = await this.answer(request, callId);
      } catch (error) {
        result = { model: request.model, version: '', outputs: [], error: { code: 'INTERNAL', message: `fake host: ${String(error)}` } };
      }
      this.entry!.resume(callId, result);
    };
    if (this.answerSynchronously) {
      const result = this.answer(request, callId);
      if (result instanceof Promise) throw new Error('answerSynchronously needs a synchronous answer');
      this.entry!.resume(callId, result);
    } else setImmediate(() => void deliver());
  }

  /** Model loads and unloads asked for, in order; `modelChangeError` makes them fail. */
  readonly modelChanges: { action: 'load' | 'unload'; model: string; config?: string; files?: Record<string, Uint8Array>; unloadDependents?: boolean }[] = [];
  modelChangeError: ErrorData | undefined;

  loadModel(callId: number, model: string, config: string, files: Record<string, Uint8Array> | undefined): void {
    this.modelChanges.push({ action: 'load', model, config, files });
    this.#answerChange(callId, model);
  }

  unloadModel(callId: number, model: string, unloadDependents: boolean): void {
    this.modelChanges.push({ action: 'unload', model, unloadDependents });
    this.#answerChange(callId, model);
  }

  #answerChange(callId: number, model: string): void {
    const error = this.modelChangeError;
    setImmediate(() => this.entry!.resume(callId, { model, version: '', outputs: [], ...(error ? { error } : {}) }));
  }

  /** BLS calls the model stopped reading (request.stream() left early). */
  readonly cancelledCalls: number[] = [];

  cancelInference(callId: number): void {
    this.cancelledCalls.push(callId);
  }

  /** Cancel tokens the test has cancelled. */
  readonly cancelled = new Set<number>();

  isCancelled(cancelToken: number): boolean {
    return this.cancelled.has(cancelToken);
  }

  /** Cancel tokens the model asked to be told about. */
  readonly watched: number[] = [];

  watchCancel(cancelToken: number): void {
    this.watched.push(cancelToken);
  }

  /** Responses a decoupled model sent, by response token. */
  readonly streamed: { responseToken: number; response: ResponseDescriptor | undefined; final: boolean }[] = [];

  sendResponse(responseToken: number, response: ResponseDescriptor | undefined, final: boolean): void {
    this.streamed.push({ responseToken, response, final });
  }

  isModelReady(model: string, version: string): boolean {
    this.readyQueries.push([model, version]);
    return this.ready.has(model);
  }

  takeTensor(handle: number): ArrayBufferView | Uint8Array[] {
    this.taken.push(handle);
    const payload = this.payloads.get(handle);
    if (payload === undefined) throw new Error(`no host tensor ${handle}`);
    this.payloads.delete(handle);
    return payload;
  }

  metricFamily(name: string, description: string, kind: MetricKind): number | ErrorData {
    return this.#metricsOwner.family(name, description, kind);
  }

  metric(familyId: number, labelsJson: string, bucketsJson: string): number | ErrorData {
    return this.#metricsOwner.metric(familyId, labelsJson, bucketsJson);
  }

  metricUpdate(metricId: number, op: MetricOp, value: number): number | ErrorData {
    return this.#metricsOwner.update(metricId, op, value);
  }

  settle(callId: number, result: SettleResult): void {
    if (this.settled.has(callId)) throw new Error(`call ${callId} settled twice`);
    this.settled.set(callId, result);
    this.#waiters.get(callId)?.(result);
  }

  /** Keeps `payload` on the "host" and returns its handle. */
  hold(payload: ArrayBufferView | Uint8Array[]): number {
    const handle = this.#nextHandle++;
    this.payloads.set(handle, payload);
    return handle;
  }

  /** The settle result of entry call `callId`, once it arrives. */
  whenSettled(callId: number): Promise<SettleResult> {
    const done = this.settled.get(callId);
    if (done !== undefined) return Promise.resolve(done);
    return new Promise((resolve) => this.#waiters.set(callId, resolve));
  }

  /** Moves the clock on by `ms`, firing due timers in due order (then in the order they were set). */
  advance(ms: number): void {
    const end = this.clock + ms;
    for (;;) {
      let next: [number, { due: number; seq: number }] | undefined;
      for (const timer of this.timers) {
        if (timer[1].due <= end && (next === undefined || timer[1].due < next[1].due || (timer[1].due === next[1].due && timer[1].seq < next[1].seq))) {
          next = timer;
        }
      }
      if (next === undefined) break;
      this.timers.delete(next[0]);
      this.clock = next[1].due;
      this.entry!.fireTimer(next[0]);
    }
    this.clock = end;
  }
}

let nextCallId = 1;

/** Installs a fake host as `globalThis.__nereidHost` and serves `module` with it (or with `prelude`, built for `host`). */
export function serve(module: ModelModule, host = new FakeHost(), prelude?: Prelude): { host: FakeHost; entry: IsolateEntry } {
  if (prelude !== undefined) {
    const entry = serveModel(module, prelude);
    host.entry = entry;
    return { host, entry };
  }
  (globalThis as Record<string, unknown>).__nereidHost = host;
  const entry = serveModel(module);
  host.entry = entry;
  return { host, entry };
}

/** Makes entry call `call(callId)` and waits for its settle result. */
export function callEntry(host: FakeHost, call: (callId: number) => void): Promise<SettleResult> {
  const callId = nextCallId++;
  call(callId);
  return host.whenSettled(callId);
}
