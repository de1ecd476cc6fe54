/**
 * The ensemble scheduler: runs an ensemble request as a data flow. A step
 * starts as soon as every ensemble tensor it reads exists, so independent
 * steps run concurrently; each step is an ordinary request through
 * `server.infer()` (ModelHost.infer), so it goes through its model's own
 * scheduler and batches with the model's other traffic. Steps may be any
 * model, other ensembles included.
 *
 * A decoupled ensemble (a step on its data flow is decoupled) is called with
 * ExecRequest.respond and streams instead: ensemble-stream.ts.
 *
 * Every step request carries the ensemble request's id, parameters (priority,
 * timeout and sequence ones included), cancellation signal and callers, this
 * ensemble's scheduler added to them.
 *
 * Ownership: the scheduler owns the ensemble request's input tensors and each
 * step's output tensors. A tensor handed to a step request belongs to that
 * step from then on (the ONNX backend may transfer its buffer to a worker), so
 * a tensor read more than once is copied for every reader but the last, and
 * the requested outputs always keep the original.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { InferResponse } from '../../sdk/inference.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { Tensor } from '../../sdk/tensor.ts';
import type { BackendInstance, Caller, ExecRequest, ExecResult, ModelHost } from '../backends/backend.ts';
import type { Scheduler } from '../scheduler/scheduler.ts';
import { EnsembleGraph, type CompiledStep, type Plan } from './ensemble-plan.ts';
import { EnsembleStream } from './ensemble-stream.ts';
import { copyTensor, stepParameters, stepRequest } from './step-request.ts';

export class EnsembleScheduler implements Scheduler {
  readonly #label: string;
  readonly #name: string;
  readonly #host: ModelHost;
  readonly #graph: EnsembleGraph;
  /** ensemble_scheduling.max_inflight_requests: per step and ensemble request, 0 for no limit (decoupled steps only). */
  readonly #maxInflight: number;
  #inflight = 0;
  #draining = false;
  #drained: (() => void) | undefined;

  /** `label` names the model and version in messages, e.g. `model 'ens' version 1`. */
  constructor(label: string, config: ModelConfig, host: ModelHost) {
    this.#label = label;
    this.#name = config.name;
    this.#host = host;
    this.#graph = new EnsembleGraph(config);
    this.#maxInflight = config.ensemble_scheduling?.max_inflight_requests ?? 0;
  }

  get inflightCount(): number {
    return this.#inflight;
  }

  /** Ensemble requests never wait in a queue of their own: their steps wait in their models' queues. */
  get pendingCount(): number {
    return 0;
  }

  replaceInstance(_failed: BackendInstance, _fresh: BackendInstance): void {}

  async enqueue(request: ExecRequest): Promise<ExecResult> {
    if (this.#draining) return { ok: false, error: { code: 'UNAVAILABLE', message: `${this.#label} is unloading` }, rejected: true };
    this.#inflight++;
    try {
      const plan = this.#graph.plan(request.outputs);
      // This request waits for its steps, so they carry it as a caller: a step's model.ts that unloads this ensemble is refused instead of waiting for itself (ModelVersion.owns).
      const callers = new Set<Caller>(request.callers).add(this);
      if (request.respond) {
        // Decoupled: the responses go through `respond`; the result only reports a request that could not start.
        await new EnsembleStream(this.#name, this.#host, { ...request, callers, respond: request.respond }, plan, this.#maxInflight).run();
        return { ok: true, outputs: [] };
      }
      const outputs = await this.#run({ ...request, callers }, plan);
      return { ok: true, outputs };
    } catch (error) {
      return { ok: false, error: NereidError.from(error).toData() };
    } finally {
      if (--this.#inflight === 0) this.#drained?.();
    }
  }

  drain(): Promise<void> {
    this.#draining = true;
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#drained = resolve));
  }

  #run(exec: ExecRequest, plan: Plan): Promise<Tensor[]> {
    const tensors = new Map<string, Tensor>();
    const uses = new Map(plan.uses);
    const missing = new Map<CompiledStep, number>(plan.steps.map((step) => [step, step.inputs.length]));
    const parameters = stepParameters(exec);
    let remaining = plan.steps.length;
    let failed = false;

    return new Promise<Tensor[]>((resolve, reject) => {
      const finish = (): void => {
        try {
          resolve(exec.outputs.map((name) => tensors.get(name) ?? fail(`ensemble '${this.#name}' produced no tensor '${name}'`)));
        } catch (error) {
          reject(error);
        }
      };
      /** A reader takes the tensor: the last reader gets it, earlier ones a copy. */
      const take = (tensor: string, as: string): Tensor => {
        const left = (uses.get(tensor) ?? 1) - 1;
        uses.set(tensor, left);
        const value = tensors.get(tensor)!;
        return left > 0 ? copyTensor(value, as) : value.rename(as);
      };
      const arrive = (name: string, tensor: Tensor): void => {
        tensors.set(name, tensor);
        for (const step of plan.consumers.get(name) ?? []) {
          const left = missing.get(step)! - 1;
          missing.set(step, left);
          if (left === 0) start(step);
        }
      };
      const start = (step: CompiledStep): void => {
        // As Triton, cancellation is checked between steps (a step's own scheduler checks it while the step is queued).
        if (exec.signal?.aborted) return stepFailed(step, NereidError.cancelled('the request was cancelled'));
        const inputs = step.inputs.map(([input, tensor]) => take(tensor, input));
        this.#host.infer(stepRequest(step, inputs, exec, parameters), exec.callers, exec.traceId).then(
          (response) => done(step, response),
          (error: unknown) => stepFailed(step, error),
        );
      };
      const done = (step: CompiledStep, response: InferResponse): void => {
        if (failed) return;
        const returned = new Set(response.outputs.map((output) => output.name));
        const absent = [...step.outputs.keys()].find((name) => !returned.has(name));
        if (absent !== undefined) return stepFailed(step, NereidError.internal(`the response has no output '${absent}'`));
        for (const output of response.outputs) {
          const name = step.outputs.get(output.name);
          if (name !== undefined) arrive(name, output.rename(name));
        }
        if (--remaining === 0 && !failed) finish();
      };
      const stepFailed = (step: CompiledStep, error: unknown): void => {
        if (failed) return;
        failed = true;
        const cause = NereidError.from(error);
        reject(new NereidError(cause.code, `in ensemble '${this.#name}', step ${step.index} (model '${step.model}') failed: ${cause.message}`));
      };

      // Inputs that no planned step produces must come with the request (an optional ensemble input may not).
      for (const tensor of plan.external) {
        if (!exec.inputs.some((input) => input.name === tensor)) {
          return reject(NereidError.invalidArg(`in ensemble '${this.#name}', ensemble input '${tensor}' is required by a step but was not provided`));
        }
      }
      if (remaining === 0) {
        for (const input of exec.inputs) tensors.set(input.name, input);
        return finish();
      }
      // The ensemble's own inputs arrive first; steps whose inputs are all there start at once.
      for (const input of exec.inputs) arrive(input.name, input);
    });
  }
}

function fail(message: string): never {
  throw NereidError.internal(message);
}
