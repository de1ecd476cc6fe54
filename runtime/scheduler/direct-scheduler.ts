/**
 * Triton's default scheduler: each request runs on its own, as sent, on the
 * next free instance. One FIFO queue feeds all instances of a model version,
 * so N instances execute N requests at once and nothing is merged.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { BackendInstance, ExecRequest, ExecResult } from '../backends/backend.ts';
import type { Scheduler } from './scheduler.ts';

interface Pending {
  readonly request: ExecRequest;
  readonly resolve: (result: ExecResult) => void;
}

export class DirectScheduler implements Scheduler {
  readonly #label: string;
  readonly #idle: BackendInstance[];
  readonly #queue: Pending[] = [];
  #inflight = 0;
  #draining = false;
  #drained: (() => void) | undefined;

  /** `label` names the model and version in error messages, e.g. `model 'simple' version 1`. */
  constructor(label: string, instances: readonly BackendInstance[]) {
    if (instances.length === 0) throw NereidError.internal(`${label}: a scheduler needs at least one instance`);
    this.#label = label;
    this.#idle = [...instances];
  }

  get inflightCount(): number {
    return this.#inflight;
  }

  enqueue(request: ExecRequest): Promise<ExecResult> {
    if (this.#draining) {
      return Promise.resolve({ ok: false, error: NereidError.unavailable(`${this.#label} is unloading`).toData() });
    }
    this.#inflight++;
    return new Promise<ExecResult>((resolve) => {
      const instance = this.#idle.pop();
      if (instance) this.#run(instance, { request, resolve });
      else this.#queue.push({ request, resolve });
    });
  }

  drain(): Promise<void> {
    this.#draining = true;
    if (this.#inflight === 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      this.#drained = resolve;
    });
  }

  #run(instance: BackendInstance, pending: Pending): void {
    instance.execute([pending.request]).then(
      (results) => this.#finish(instance, pending, results[0] ?? this.#missingResult(instance)),
      (error: unknown) => this.#finish(instance, pending, { ok: false, error: NereidError.from(error, `${this.#label} instance '${instance.name}'`).toData() }),
    );
  }

  #missingResult(instance: BackendInstance): ExecResult {
    return { ok: false, error: NereidError.internal(`${this.#label} instance '${instance.name}' returned no result`).toData() };
  }

  #finish(instance: BackendInstance, pending: Pending, result: ExecResult): void {
    this.#inflight--;
    pending.resolve(result);
    const next = this.#queue.shift();
    if (next) this.#run(instance, next);
    else this.#idle.push(instance);
    if (this.#inflight === 0 && this.#drained) {
      this.#drained();
      this.#drained = undefined;
    }
  }
}
