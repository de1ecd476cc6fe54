/**
 * One loaded version of a model: its frozen config, its instances, the
 * scheduler in front of them, and the request validator compiled from the
 * config. `infer()` here is the inside of `server.infer()` once the model and
 * version are resolved.
 */
import { configTypeToDataType } from '../../sdk/datatypes.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferRequest, InferResponse, InferStreamItem } from '../../sdk/inference.ts';
import type { ModelConfig, ModelInstanceGroup } from '../../sdk/model-config.ts';
import { elementCount } from '../../sdk/shape.ts';
import type { Tensor } from '../../sdk/tensor.ts';
import type { Backend, BackendInstance, BackendLoadContext, Caller, ExecRequest, ExecResult, InstanceSpec } from '../backends/backend.ts';
import { createScheduler } from '../scheduler/create-scheduler.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import { ModelStats, nanosSince, type FailureReason } from '../stats/model-stats.ts';
import type { Tracer } from '../tracing/tracer.ts';
import { ResponseStream } from './response-stream.ts';
import { RequestValidator, resolveReshape } from './request-validator.ts';

/** The instances Triton would create for the config's instance groups: `count` per listed GPU, or `count` in total. */
export function instanceSpecs(config: ModelConfig): InstanceSpec[] {
  const specs: InstanceSpec[] = [];
  (config.instance_group ?? []).forEach((group: ModelInstanceGroup, groupIndex) => {
    const groupName = group.name || `${config.name}_${groupIndex}`;
    const count = group.count ?? 1;
    const kind = group.kind === 'KIND_GPU' ? 'KIND_GPU' : group.kind === 'KIND_MODEL' ? 'KIND_MODEL' : 'KIND_CPU';
    const devices = kind === 'KIND_GPU' ? (group.gpus?.length ? group.gpus : [0]) : [0];
    let index = 0;
    for (const deviceId of devices) {
      for (let i = 0; i < count; i++) specs.push({ name: `${groupName}_${index++}`, kind, deviceId });
    }
  });
  return specs;
}

export class ModelVersion {
  readonly name: string;
  readonly version: number;
  readonly versionString: string;
  readonly config: ModelConfig;
  /** Counts and durations for the statistics extension and the metrics. */
  readonly stats: ModelStats;
  readonly #validator: RequestValidator;
  readonly #tracer: Tracer | undefined;
  readonly #scheduler: Scheduler;
  readonly #backend: Backend;
  readonly #context: BackendLoadContext;
  /** Live instances with the spec each was created from, so a dead one can be recreated alike. */
  readonly #instances: Map<BackendInstance, InstanceSpec>;
  /** Output name -> protocol dims, for outputs whose config declares a reshape. */
  readonly #outputReshapes: ReadonlyMap<string, readonly number[]>;
  #disposed = false;

  private constructor(backend: Backend, context: BackendLoadContext, instances: Map<BackendInstance, InstanceSpec>) {
    this.name = context.modelName;
    this.version = context.version;
    this.versionString = String(context.version);
    this.config = context.config;
    this.#backend = backend;
    this.#context = context;
    this.#instances = instances;
    this.#validator = new RequestValidator(context.config);
    this.#tracer = context.host.tracer;
    this.stats = new ModelStats(this.name, this.version);
    this.#scheduler = createScheduler(`model '${this.name}' version ${this.version}`, context.config, [...instances.keys()], this.stats, context.host);
    this.#outputReshapes = new Map((context.config.output ?? []).filter((o) => o.reshape).map((o) => [o.name, o.dims]));
    for (const instance of instances.keys()) this.#watch(instance);
  }

  /** Creates every instance of every instance group; if one fails, the ones created are disposed and the error names it. */
  static async create(backend: Backend, context: BackendLoadContext): Promise<ModelVersion> {
    // A decoupled ensemble has no instances: its scheduler streams (validate-ensemble-steps.ts sets the policy from its steps).
    if (context.config.model_transaction_policy?.decoupled && !backend.supportsDecoupled && !context.config.ensemble_scheduling) {
      throw NereidError.invalidArg(`model '${context.modelName}': the ${backend.name} backend does not support decoupled models (model_transaction_policy { decoupled: true })`);
    }
    const specs = instanceSpecs(context.config);
    const settled = await Promise.allSettled(specs.map((spec) => backend.createInstance(context, spec)));
    const instances = new Map<BackendInstance, InstanceSpec>();
    settled.forEach((s, i) => {
      if (s.status === 'fulfilled') instances.set(s.value, specs[i]!);
    });
    const failure = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failure) {
      await Promise.allSettled([...instances.keys()].map((instance) => instance.dispose()));
      throw NereidError.from(failure.reason, `model '${context.modelName}' version ${context.version}`);
    }
    return new ModelVersion(backend, context, instances);
  }

  /** True when `caller` is one of this version's live instances, or its ensemble scheduler (which its running requests' steps name as a caller). */
  owns(caller: Caller): boolean {
    return this.#instances.has(caller as BackendInstance) || caller === this.#scheduler;
  }

  get inflightCount(): number {
    return this.#scheduler.inflightCount;
  }

  /** Requests accepted and not yet handed to an instance. */
  get pendingCount(): number {
    return this.#scheduler.pendingCount;
  }

  /** True for `model_transaction_policy { decoupled: true }`: answers only through `inferStream`. */
  get decoupled(): boolean {
    return this.config.model_transaction_policy?.decoupled === true;
  }

  async infer(request: InferRequest, callers?: ReadonlySet<Caller>, traceParent?: number): Promise<InferResponse> {
    if (this.decoupled) {
      // Callers: a model's own call (BLS), which streams with request.stream().
      const how = callers?.size ? `in a model.ts, new InferenceRequest({ model: '${this.name}', ... }).stream() instead of exec()` : `POST /v2/models/${this.name}/generate_stream, gRPC ModelStreamInfer, or server.inferStream()`;
      throw NereidError.unsupported(`model '${this.name}' version ${this.version} is decoupled (it may send any number of responses per request): call it through a stream: ${how}`);
    }
    const started = performance.now();
    const traceId = this.#traceId(traceParent);
    const exec = this.#validate(request, callers, started, traceId);
    const queued = traceId ? performance.now() : 0;
    const result = await this.#scheduler.enqueue(exec);
    if (traceId) this.#trace(traceId, traceParent, started, queued, result);
    if (!result.ok) {
      this.#recordFailure(result, started);
      throw NereidError.fromData(result.error);
    }
    this.stats.recordSuccess(nanosSince(started), result.queueNs ?? 0, result.compute);
    return this.#response(request, exec, result);
  }

  /**
   * Runs `request` and streams its responses: a decoupled model's as it
   * sends them, any other model's one response. Throws at once for a request
   * that fails validation. Stopping the iteration early cancels the request.
   */
  inferStream(request: InferRequest, callers?: ReadonlySet<Caller>, traceParent?: number): AsyncIterable<InferStreamItem> {
    const started = performance.now();
    const traceId = this.#traceId(traceParent);
    const stream = new ResponseStream(request.signal);
    let exec = this.#validate({ ...request, signal: stream.signal }, callers, started, traceId);
    const queued = traceId ? performance.now() : 0;
    const fail = (result: Extract<ExecResult, { ok: false }>): void => {
      this.#recordFailure(result, started);
      stream.push({ error: NereidError.fromData(result.error), final: true });
    };
    if (this.decoupled) {
      const validated = exec;
      exec = {
        ...exec,
        respond: (result, final) => {
          if (result && !result.ok && final) return fail(result);
          if (final) this.stats.recordSuccess(nanosSince(started), 0, undefined);
          if (!result) return stream.push({ final });
          stream.push(result.ok ? { response: this.#response(request, validated, result), final } : { error: NereidError.fromData(result.error), final });
        },
      };
    }
    void this.#scheduler.enqueue(exec).then((result) => {
      // A decoupled model's trace ends with its execute; its responses may go on after.
      if (traceId) this.#trace(traceId, traceParent, started, queued, result);
      if (!result.ok) {
        if (!stream.ended) fail(result);
        return;
      }
      if (this.decoupled) return; // its responses come (or came) through `respond`
      this.stats.recordSuccess(nanosSince(started), result.queueNs ?? 0, result.compute);
      stream.push({ response: this.#response(request, exec, result), final: true });
    });
    return stream;
  }

  /** The id of this request's trace, or 0: a traced ensemble's steps are always traced, other requests when sampled. */
  #traceId(traceParent: number | undefined): number {
    if (!this.#tracer) return 0;
    return traceParent ? this.#tracer.child() : this.#tracer.sample(this.name);
  }

  /**
   * Records trace `id` (a child of `parent` when set) of a request that
   * started at `started` and was queued at `queued` (performance.now() ms):
   * the compute timestamps follow from the result's queue and compute times,
   * as the statistics count them.
   */
  #trace(id: number, parent: number | undefined, started: number, queued: number, result: ExecResult): void {
    const marks: [string, number][] = [['REQUEST_START', started], ['QUEUE_START', queued]];
    const compute = result.compute;
    if (compute && result.queueNs !== undefined) {
      const computeStart = queued + result.queueNs / 1e6;
      const inputEnd = computeStart + compute.inputNs / 1e6;
      const outputStart = inputEnd + compute.inferNs / 1e6;
      marks.push(['COMPUTE_START', computeStart], ['COMPUTE_INPUT_END', inputEnd], ['COMPUTE_OUTPUT_START', outputStart], ['COMPUTE_END', outputStart + compute.outputNs / 1e6]);
    }
    marks.push(['REQUEST_END', performance.now()]);
    this.#tracer!.record(id, this.name, this.version, marks, parent);
  }

  #validate(request: InferRequest, callers: ReadonlySet<Caller> | undefined, started: number, traceId = 0): ExecRequest {
    try {
      const exec = this.#validator.validate(request, callers);
      return traceId ? { ...exec, traceId } : exec;
    } catch (error) {
      this.stats.recordFailure(nanosSince(started), 'OTHER');
      throw error;
    }
  }

  #recordFailure(result: Extract<ExecResult, { ok: false }>, started: number): void {
    // As Triton, an ensemble's failures count under reason OTHER (its steps count their own).
    this.stats.recordFailure(nanosSince(started), this.config.ensemble_scheduling ? 'OTHER' : failureReason(result));
  }

  #response(request: InferRequest, exec: ExecRequest, result: Extract<ExecResult, { ok: true }>): InferResponse {
    const outputs = this.#outputReshapes.size ? result.outputs.map((t) => this.#toProtocolShape(t, exec.batchSize)) : result.outputs;
    const response: InferResponse = { model: this.name, version: this.versionString, outputs };
    if (request.id !== undefined) response.id = request.id;
    if (result.parameters !== undefined) response.parameters = result.parameters;
    return response;
  }

  /** Drains in-flight requests, then disposes every instance. */
  async unload(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    await this.#scheduler.drain();
    await Promise.allSettled([...this.#instances.keys()].map((instance) => instance.dispose()));
  }

  /** Replaces the instance if it dies: its own requests fail with its error, the model keeps serving. */
  #watch(instance: BackendInstance): void {
    instance.onFailure?.((error) => {
      void this.#replace(instance, error.message);
    });
  }

  async #replace(failed: BackendInstance, reason: string): Promise<void> {
    const spec = this.#instances.get(failed);
    if (!spec || this.#disposed) return;
    this.#instances.delete(failed);
    this.#scheduler.suspendInstance?.(failed);
    this.#context.log.error(`instance '${spec.name}' failed (${reason}); starting a replacement`);
    void failed.dispose().catch(() => {});
    try {
      const fresh = await this.#backend.createInstance(this.#context, spec);
      if (this.#disposed) {
        await fresh.dispose();
        return;
      }
      this.#instances.set(fresh, spec);
      this.#scheduler.replaceInstance(failed, fresh);
      this.#watch(fresh);
      this.#context.log.info(`instance '${spec.name}' replaced`);
    } catch (error) {
      // The dead instance stays in the scheduler and answers UNAVAILABLE; the other instances keep serving.
      this.#scheduler.resumeInstance?.(failed);
      this.#context.log.error(`could not replace instance '${spec.name}': ${NereidError.from(error).message}`);
    }
  }

  #toProtocolShape(tensor: Tensor, batchSize: number): Tensor {
    const dims = this.#outputReshapes.get(tensor.name);
    if (!dims) return tensor;
    const batched = batchSize > 0;
    const perItem = batched ? elementCount(tensor.shape) / batchSize : elementCount(tensor.shape);
    const inner = resolveReshape(dims, perItem);
    return tensor.reshape(batched ? [batchSize, ...inner] : inner);
  }
}

function failureReason(result: Extract<ExecResult, { ok: false }>): FailureReason {
  if (result.rejected) return 'REJECTED';
  if (result.error.code === 'CANCELLED') return 'CANCELED';
  return 'BACKEND';
}

/** The wire datatype of a config tensor, for metadata. */
export function wireDatatype(configType: string, what: string): NonNullable<ReturnType<typeof configTypeToDataType>> {
  const datatype = configTypeToDataType(configType);
  if (!datatype) throw NereidError.internal(`${what} has invalid data_type '${configType}'`);
  return datatype;
}
