/**
 * One instance of an ONNX model: the `BackendInstance` the scheduler sees,
 * in front of one worker thread that owns one InferenceSession.
 *
 * Ownership: the instance owns its SessionWorker until `dispose()`. Requests
 * handed to `execute()` belong to the instance until its promise settles;
 * their whole-buffer inputs are transferred to the worker (see
 * wire-tensors.ts), and the outputs arrive transferred, so the tensors in a
 * result are the caller's alone.
 *
 * Errors never reject `execute()`: a failed run, a bad input, a dead worker
 * or a disposed instance all become `{ ok: false }` results whose message
 * names the model and the instance.
 */
import { NereidError, type ErrorData } from '../../../sdk/errors.ts';
import type { Tensor } from '../../../sdk/tensor.ts';
import type { Logger } from '../../logging/logger.ts';
import type { BackendInstance, ExecRequest, ExecResult } from '../backend.ts';
import type { WireRequest } from './onnx-protocol.ts';
import type { SessionWorker } from './session-worker.ts';
import { fromWireTensor, toWireRequest } from './wire-tensors.ts';

/** How long `dispose()` lets in-flight runs finish before terminating the thread under them. */
const DRAIN_TIMEOUT_MS = 60_000;

export interface OnnxInstanceOptions {
  readonly modelName: string;
  /** Triton's instance name, `<group>_<index>`. */
  readonly name: string;
  /** The config's max_batch_size; > 0 lets several requests run as one batch. */
  readonly maxBatchSize: number;
  readonly log: Logger;
}

export class OnnxInstance implements BackendInstance {
  readonly name: string;
  readonly #worker: SessionWorker;
  readonly #options: OnnxInstanceOptions;
  readonly #prefix: string;
  readonly #failureListeners = new Set<(error: ErrorData) => void>();
  readonly #inflight = new Set<Promise<unknown>>();
  #disposed = false;
  #executionCount = 0;

  constructor(worker: SessionWorker, options: OnnxInstanceOptions) {
    this.name = options.name;
    this.#worker = worker;
    this.#options = options;
    this.#prefix = `model '${options.modelName}' instance '${options.name}'`;
    worker.onExit((error) => {
      const data = this.#error(error).toData();
      options.log.error(data.message);
      for (const listener of this.#failureListeners) listener(data);
    });
  }

  /** Set when the worker thread died; the instance then answers every request with UNAVAILABLE and should be replaced. */
  get failure(): ErrorData | undefined {
    const failure = this.#worker.failure;
    return failure && this.#error(failure).toData();
  }

  /** Calls `listener` once if the worker thread dies. Returns an unsubscribe function. */
  onFailure(listener: (error: ErrorData) => void): () => void {
    this.#failureListeners.add(listener);
    return () => this.#failureListeners.delete(listener);
  }

  /** How many times the session ran (Triton's execution_count): merged requests count once. */
  get executionCount(): number {
    return this.#executionCount;
  }

  /** True once the worker thread is gone (disposed or died). */
  get threadExited(): boolean {
    return this.#worker.exited;
  }

  execute(requests: readonly ExecRequest[]): Promise<ExecResult[]> {
    const run = this.#execute(requests);
    this.#inflight.add(run);
    void run.finally(() => this.#inflight.delete(run));
    return run;
  }

  async #execute(requests: readonly ExecRequest[]): Promise<ExecResult[]> {
    if (requests.length === 0) return [];
    if (this.#disposed) return requests.map(() => this.#fail(NereidError.unavailable('the instance is disposed')));
    const failure = this.#worker.failure;
    if (failure) return requests.map(() => this.#fail(NereidError.unavailable(`unavailable since an earlier failure: ${failure.message}`)));

    // Requests whose inputs cannot be sent fail alone; the rest go to the worker.
    const results: (ExecResult | undefined)[] = new Array(requests.length);
    const sent: { index: number; wire: WireRequest }[] = [];
    const transfer = new Set<ArrayBuffer>();
    requests.forEach((request, index) => {
      try {
        sent.push({ index, wire: toWireRequest(request, transfer) });
      } catch (error) {
        results[index] = this.#fail(error);
      }
    });
    if (sent.length === 0) return results as ExecResult[];

    try {
      const reply = await this.#worker.run(
        sent.map((entry) => entry.wire),
        this.#options.maxBatchSize,
        transfer,
      );
      this.#executionCount += reply.sessionRuns;
      reply.results.forEach((result, i) => {
        const index = sent[i]!.index;
        results[index] = result.ok ? this.#succeed(result.outputs.map(fromWireTensor)) : this.#fail(NereidError.fromData(result.error));
      });
    } catch (error) {
      for (const entry of sent) results[entry.index] = this.#fail(error);
    }
    return results as ExecResult[];
  }

  /**
   * Stops taking requests (they fail UNAVAILABLE), lets in-flight runs finish
   * (up to a minute; after that they fail UNAVAILABLE as the thread is
   * terminated), then releases the session and terminates the thread.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
    });
    await Promise.race([Promise.allSettled([...this.#inflight]), timeout]);
    clearTimeout(timer);
    await this.#worker.close();
  }

  #succeed(outputs: Tensor[]): ExecResult {
    return { ok: true, outputs };
  }

  #fail(error: unknown): ExecResult {
    return { ok: false, error: this.#error(error).toData() };
  }

  /** The error with the model and instance named in front of its message. */
  #error(error: unknown): NereidError {
    const base = NereidError.from(error);
    return new NereidError(base.code, `${this.#prefix}: ${base.message}`);
  }
}
