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
import type { SessionWorker } from './session-worker.ts';
import { copyBytesOf, encodeRunFrame, fromWireTensor } from './wire-tensors.ts';

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
  /** execute() calls not yet settled, and who waits for them to reach 0 (dispose). A count, not a set of promises: no per-request bookkeeping promise. */
  #inflight = 0;
  #idle: (() => void) | undefined;
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

  async execute(requests: readonly ExecRequest[]): Promise<ExecResult[]> {
    if (requests.length === 0) return [];
    if (this.#disposed) return requests.map(() => this.#fail(NereidError.unavailable('the instance is disposed')));
    const failure = this.#worker.failure;
    if (failure) return requests.map(() => this.#fail(NereidError.unavailable(`unavailable since an earlier failure: ${failure.message}`)));

    // Requests whose inputs cannot be sent fail alone; the rest go to the worker.
    const results: ExecResult[] = new Array(requests.length);
    const sent: number[] = []; // indexes into `requests`
    let copyBytes = 0;
    for (let i = 0; i < requests.length; i++) {
      try {
        copyBytes += copyBytesOf(requests[i]!);
        sent.push(i);
      } catch (error) {
        results[i] = this.#fail(error);
      }
    }
    if (sent.length === 0) return results;

    this.#inflight++;
    try {
      const batch = sent.length === requests.length ? requests : sent.map((i) => requests[i]!);
      const { frame, transfer } = encodeRunFrame(batch, this.#options.maxBatchSize, copyBytes);
      const reply = await this.#worker.run(frame, transfer);
      this.#executionCount += reply.sessionRuns;
      for (let i = 0; i < reply.results.length; i++) {
        const result = reply.results[i]!;
        results[sent[i]!] = result.ok
          ? { ok: true, outputs: result.outputs.map(fromWireTensor), compute: reply.compute }
          : { ...this.#fail(NereidError.fromData(result.error)), compute: reply.compute };
      }
    } catch (error) {
      for (const index of sent) results[index] = this.#fail(error);
    } finally {
      if (--this.#inflight === 0) this.#idle?.();
    }
    return results;
  }

  /**
   * Stops taking requests (they fail UNAVAILABLE), lets in-flight runs finish
   * (up to a minute; after that they fail UNAVAILABLE as the thread is
   * terminated), then releases the session and terminates the thread.
   */
  async dispose(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#inflight > 0) {
      let timer: NodeJS.Timeout | undefined;
      await new Promise<void>((resolve) => {
        this.#idle = resolve;
        timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      });
      clearTimeout(timer);
    }
    await this.#worker.close();
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
