/**
 * One request of a decoupled ensemble (one with a decoupled step on its data
 * flow; validate-ensemble-steps.ts sets its policy), streamed through
 * ExecRequest.respond with Triton's semantics: a decoupled step fires the
 * steps after it once per response.
 *
 * - Every step goes through `host.inferStream()` (so its model's scheduler).
 * - A step that answers with one final response (any non-decoupled step, or
 *   a decoupled one that sent exactly one) leaves its outputs in the branch
 *   it ran in. Otherwise each of its responses opens a new branch, where the
 *   steps after it run once more with that response's tensors.
 * - A branch in which every requested output exists becomes one response of
 *   the ensemble, sent as soon as it is complete: branches are independent,
 *   so responses of different branches may overtake one another.
 * - A failure (a step that fails, or an error response in a decoupled step's
 *   stream) becomes one error item for its branch; no further step starts in
 *   that branch, the other branches go on.
 * - The final flag (alone) follows once no step is running any more.
 * - Cancellation (exec.signal, which the step requests carry too) ends the
 *   stream at once with CANCELLED; running steps are let go.
 * - `max_inflight_requests` (ensemble_scheduling; 0: no limit) caps the
 *   requests of each step in flight for this ensemble request. A step at its
 *   cap queues further starts, and the decoupled step whose responses would
 *   start more waits before it reads its next response (Triton's
 *   back-pressure: its responses wait in its stream, not as running work
 *   downstream).
 *
 * Validation guarantees that a step's inputs all descend from the same
 * decoupled step (or none), so every step finds all its inputs in one branch
 * and a new branch starts empty.
 *
 * Ownership: each branch owns its tensors. A tensor handed to a step belongs
 * to that step; one read more than once is copied for every reader but the
 * last (ensemble-scheduler.ts).
 */
import { NereidError } from '../../sdk/errors.ts';
import type { InferResponse, Parameters } from '../../sdk/inference.ts';
import type { Tensor } from '../../sdk/tensor.ts';
import type { ExecRequest, ExecResult, ModelHost } from '../backends/backend.ts';
import type { CompiledStep, Plan } from './ensemble-plan.ts';
import { copyTensor, stepParameters, stepRequest } from './step-request.ts';

type Respond = NonNullable<ExecRequest['respond']>;

/** The tensors of one response lineage. */
class Branch {
  readonly tensors = new Map<string, Tensor>();
  readonly uses: Map<string, number>;
  readonly missing: Map<CompiledStep, number>;
  outputsLeft: number;
  failed = false;

  constructor(plan: Plan, outputs: number) {
    this.uses = new Map(plan.uses);
    this.missing = new Map(plan.steps.map((step) => [step, step.inputs.length]));
    this.outputsLeft = outputs;
  }
}

export class EnsembleStream {
  readonly #name: string;
  readonly #host: ModelHost;
  readonly #exec: ExecRequest;
  readonly #plan: Plan;
  readonly #respond: Respond;
  readonly #requested: ReadonlySet<string>;
  readonly #parameters: Parameters | undefined;
  readonly #onAbort = (): void => this.#end({ ok: false, error: NereidError.cancelled(`in ensemble '${this.#name}', the request was cancelled`).toData() });
  /** Steps started or waiting to start (a waiting start counts: the stream must not end before it runs). */
  #active = 0;
  /** Per step: requests in flight, and starts waiting for one of them to finish (max_inflight_requests). */
  readonly #running = new Map<CompiledStep, number>();
  readonly #queued = new Map<CompiledStep, (() => void)[]>();
  /** Readers of decoupled steps waiting for the steps they feed to have room (#capacity); woken whenever a step request finishes. */
  #waitingReaders: (() => void)[] = [];
  readonly #maxInflight: number;
  #ended = false;
  #resolve: (() => void) | undefined;

  constructor(name: string, host: ModelHost, exec: ExecRequest & { respond: Respond }, plan: Plan, maxInflight = 0) {
    this.#name = name;
    this.#maxInflight = maxInflight;
    this.#host = host;
    this.#exec = exec;
    this.#plan = plan;
    this.#respond = exec.respond;
    this.#requested = new Set(exec.outputs);
    this.#parameters = stepParameters(exec);
  }

  /** Resolves once the final flag has been sent; rejects (sending nothing) for a request that cannot start. */
  run(): Promise<void> {
    if (!this.#host.inferStream) return Promise.reject(NereidError.unsupported(`ensemble '${this.#name}' has a decoupled step, and this host cannot stream`));
    for (const tensor of this.#plan.external) {
      if (!this.#exec.inputs.some((input) => input.name === tensor)) {
        return Promise.reject(NereidError.invalidArg(`in ensemble '${this.#name}', ensemble input '${tensor}' is required by a step but was not provided`));
      }
    }
    return new Promise<void>((resolve) => {
      this.#resolve = resolve;
      const signal = this.#exec.signal;
      if (signal?.aborted) return this.#onAbort();
      signal?.addEventListener('abort', this.#onAbort, { once: true });
      const root = new Branch(this.#plan, this.#requested.size);
      // The ensemble's own inputs arrive first; steps whose inputs are all there start at once.
      for (const input of this.#exec.inputs) this.#arrive(root, input.name, input);
      this.#settle();
    });
  }

  #arrive(branch: Branch, name: string, tensor: Tensor): void {
    if (this.#ended || branch.failed) return;
    branch.tensors.set(name, tensor);
    for (const step of this.#plan.consumers.get(name) ?? []) {
      const left = branch.missing.get(step)! - 1;
      branch.missing.set(step, left);
      if (left === 0) this.#start(branch, step);
    }
    if (this.#requested.has(name) && --branch.outputsLeft === 0) {
      const outputs = this.#exec.outputs.map((output) => this.#take(branch, output, output));
      this.#respond({ ok: true, outputs }, false);
    }
  }

  /** A reader takes the tensor: the last reader gets it, earlier ones a copy. */
  #take(branch: Branch, tensor: string, as: string): Tensor {
    const left = (branch.uses.get(tensor) ?? 1) - 1;
    branch.uses.set(tensor, left);
    const value = branch.tensors.get(tensor)!;
    return left > 0 ? copyTensor(value, as) : value.rename(as);
  }

  #start(branch: Branch, step: CompiledStep): void {
    this.#active++;
    const running = this.#running.get(step) ?? 0;
    if (this.#maxInflight > 0 && running >= this.#maxInflight) {
      const queue = this.#queued.get(step) ?? [];
      queue.push(() => this.#launch(branch, step));
      this.#queued.set(step, queue);
      return;
    }
    this.#launch(branch, step);
  }

  #launch(branch: Branch, step: CompiledStep): void {
    this.#running.set(step, (this.#running.get(step) ?? 0) + 1);
    // A start that waited may find the stream ended or its branch failed meanwhile.
    const run = this.#ended || branch.failed ? Promise.resolve() : this.#runStep(branch, step);
    void run.finally(() => {
      this.#running.set(step, this.#running.get(step)! - 1);
      this.#queued.get(step)?.shift()?.();
      this.#wakeReaders();
      this.#active--;
      this.#settle();
    });
  }

  /**
   * Returns once no step that `step`'s responses start has a start waiting
   * for its max_inflight_requests. Only those: a reader that waited on its
   * own step, or on one upstream, would hold the very slot it waits for.
   */
  async #capacity(step: CompiledStep): Promise<void> {
    const blocked = (): boolean =>
      !this.#ended && [...step.outputs.values()].some((tensor) => this.#plan.consumers.get(tensor)?.some((next) => (this.#queued.get(next)?.length ?? 0) > 0));
    while (blocked()) await new Promise<void>((resolve) => this.#waitingReaders.push(resolve));
  }

  #wakeReaders(): void {
    if (this.#waitingReaders.length === 0) return;
    const readers = this.#waitingReaders;
    this.#waitingReaders = [];
    for (const wake of readers) wake();
  }

  async #runStep(branch: Branch, step: CompiledStep): Promise<void> {
    try {
      const inputs = step.inputs.map(([input, tensor]) => this.#take(branch, tensor, input));
      const stream = this.#host.inferStream!(stepRequest(step, inputs, this.#exec, this.#parameters), this.#exec.callers, this.#exec.traceId);
      let first = true;
      for await (const item of stream) {
        // Leaving the loop cancels the step's request (a failed branch wants no more of it).
        if (this.#ended || branch.failed) break;
        const inPlace = first && item.final;
        first = false;
        if (item.error) {
          if (inPlace) this.#fail(branch, step, item.error);
          else this.#report(step, item.error); // the branch this response would have opened fails
        } else if (item.response) {
          this.#deliver(inPlace ? branch : new Branch(this.#plan, this.#requested.size), step, item.response);
        }
        // Back-pressure: read no further response while the steps it would start are at their cap.
        if (!item.final && this.#maxInflight > 0) await this.#capacity(step);
      }
    } catch (error) {
      this.#fail(branch, step, error);
    }
  }

  #deliver(branch: Branch, step: CompiledStep, response: InferResponse): void {
    const returned = new Set(response.outputs.map((output) => output.name));
    const absent = [...step.outputs.keys()].find((name) => !returned.has(name));
    if (absent !== undefined) return this.#fail(branch, step, NereidError.internal(`the response has no output '${absent}'`));
    for (const output of response.outputs) {
      const name = step.outputs.get(output.name);
      if (name !== undefined) this.#arrive(branch, name, output.rename(name));
    }
  }

  #fail(branch: Branch, step: CompiledStep, error: unknown): void {
    if (branch.failed) return;
    branch.failed = true;
    this.#report(step, error);
  }

  #report(step: CompiledStep, error: unknown): void {
    if (this.#ended) return;
    const cause = NereidError.from(error);
    const message = `in ensemble '${this.#name}', step ${step.index} (model '${step.model}') failed: ${cause.message}`;
    this.#respond({ ok: false, error: new NereidError(cause.code, message).toData() }, false);
  }

  #settle(): void {
    if (this.#active === 0) this.#end(undefined);
  }

  #end(result: ExecResult | undefined): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#wakeReaders();
    this.#exec.signal?.removeEventListener('abort', this.#onAbort);
    this.#respond(result, true);
    this.#resolve?.();
  }
}
