/**
 * The main thread's handle on one ONNX worker thread: starts it, waits for
 * its session to load, correlates run requests with replies, and notices
 * when the thread dies.
 *
 * Ownership: a SessionWorker owns its Worker until `close()`. Buffers passed
 * to `run()` in the transfer set belong to the worker from then on. If the
 * thread exits without being asked to (an uncaught exception, an
 * out-of-memory abort), every pending run rejects with INTERNAL, later runs
 * reject with UNAVAILABLE at once, and the exit listeners hear about it.
 * A native crash inside ORT takes the whole process down; no thread can
 * contain that.
 */
import type { Worker } from 'node:worker_threads';
import { NereidError } from '../../../sdk/errors.ts';
import { startWorker } from '../../workers/start-worker.ts';
import type { ModelFileSignature } from '../backend.ts';
import type { FromWorker, RanMessage, WorkerInit } from './onnx-protocol.ts';
import { copyFrameBuffers, readRanFrame, type Frame } from './run-frames.ts';

/** The worker entry point; tests may substitute a wrapper around it. */
export const ONNX_WORKER_URL = new URL('./onnx-worker.ts', import.meta.url);

/** How long `close()` waits for the worker to release its session before terminating it. */
const CLOSE_TIMEOUT_MS = 5_000;

export interface SessionWorkerOptions extends WorkerInit {
  readonly workerUrl?: URL;
}

interface Pending {
  resolve(reply: RanMessage): void;
  reject(error: NereidError): void;
}

export class SessionWorker {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  readonly #exitListeners = new Set<(error: NereidError) => void>();
  #nextId = 1;
  #signature: ModelFileSignature | undefined;
  #lastError: string | undefined;
  #failure: NereidError | undefined;
  #closing = false;
  #exited = false;
  #onLoad: { resolve(): void; reject(error: NereidError): void } | undefined;
  #onClosed: (() => void) | undefined;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: FromWorker) => this.#receive(message));
    worker.on('error', (error: Error) => {
      this.#lastError = error.message;
    });
    worker.on('messageerror', (error: Error) => {
      this.#lastError = `a message from the worker could not be read: ${error.message}`;
    });
    worker.on('exit', (code: number) => this.#exit(code));
  }

  /** Starts a worker and resolves once its session has loaded; rejects with the load error (and the thread gone). */
  static async create(options: SessionWorkerOptions): Promise<SessionWorker> {
    const { workerUrl, ...init } = options;
    const worker = startWorker(workerUrl ?? ONNX_WORKER_URL, { workerData: init satisfies WorkerInit, name: `onnx ${init.logId}` });
    const handle = new SessionWorker(worker);
    await new Promise<void>((resolve, reject) => {
      handle.#onLoad = { resolve, reject };
    });
    return handle;
  }

  /** The inputs and outputs of the loaded model. */
  get signature(): ModelFileSignature {
    return this.#signature!;
  }

  /** Why the worker is gone, when it exited unexpectedly. */
  get failure(): NereidError | undefined {
    return this.#failure;
  }

  /** True once the thread has exited, for whatever reason. */
  get exited(): boolean {
    return this.#exited;
  }

  /** Whether this worker keeps the process alive (a parked probe should not). */
  setRef(ref: boolean): void {
    if (ref) this.#worker.ref();
    else this.#worker.unref();
  }

  /** Calls `listener` if the thread dies unexpectedly. Returns an unsubscribe function. */
  onExit(listener: (error: NereidError) => void): () => void {
    this.#exitListeners.add(listener);
    return () => this.#exitListeners.delete(listener);
  }

  /**
   * Runs the requests of a run frame (wire-tensors.ts) on the worker; its id
   * is set here. Buffers in `transfer` move to the worker. Rejects only when
   * the worker cannot answer (closing, or gone).
   */
  run(frame: Frame, transfer: readonly ArrayBuffer[]): Promise<RanMessage> {
    if (this.#failure) return Promise.reject(NereidError.unavailable(`unavailable since an earlier failure: ${this.#failure.message}`));
    if (this.#closing || this.#exited) return Promise.reject(NereidError.unavailable('the ONNX Runtime worker is shut down'));
    const id = this.#nextId++;
    frame[0] = id;
    const reply = new Promise<RanMessage>((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    try {
      this.#worker.postMessage(frame, transfer);
    } catch {
      // Some buffer refused to move (Node marks e.g. its Buffer pool untransferable): send fresh copies instead.
      try {
        const copies = copyFrameBuffers(frame);
        this.#worker.postMessage(copies.frame, copies.transfer);
      } catch (error) {
        this.#pending.get(id)!.reject(NereidError.from(error, 'could not send the request to the ONNX Runtime worker'));
        this.#pending.delete(id);
      }
    }
    return reply;
  }

  /** Asks the worker to release its session, then terminates the thread. Pending runs should be drained first. */
  async close(): Promise<void> {
    if (this.#closing) return;
    this.#closing = true;
    if (this.#exited) return;
    const released = new Promise<void>((resolve) => {
      this.#onClosed = resolve;
    });
    this.#worker.postMessage({ type: 'close' });
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, CLOSE_TIMEOUT_MS);
    });
    await Promise.race([released, timeout]);
    clearTimeout(timer);
    await this.#worker.terminate();
  }

  #receive(message: FromWorker): void {
    if (Array.isArray(message)) {
      const ran = readRanFrame(message);
      const pending = this.#pending.get(ran.id);
      this.#pending.delete(ran.id);
      pending?.resolve(ran);
      return;
    }
    switch (message.type) {
      case 'loaded':
        this.#signature = message.signature;
        this.#onLoad?.resolve();
        this.#onLoad = undefined;
        break;
      case 'load-failed':
        this.#onLoad?.reject(NereidError.fromData(message.error));
        this.#onLoad = undefined;
        this.#closing = true;
        void this.#worker.terminate();
        break;
      case 'closed':
        this.#onClosed?.();
        break;
    }
  }

  #exit(code: number): void {
    this.#exited = true;
    const detail = this.#lastError ? `: ${this.#lastError}` : '';
    const error = this.#closing
      ? NereidError.unavailable(`the ONNX Runtime worker was shut down while running${detail}`)
      : NereidError.internal(`the ONNX Runtime worker thread exited unexpectedly (exit code ${code})${detail}`);
    if (!this.#closing) this.#failure = error;
    this.#onLoad?.reject(error);
    this.#onLoad = undefined;
    for (const pending of this.#pending.values()) pending.reject(error);
    this.#pending.clear();
    this.#onClosed?.();
    if (!this.#closing) for (const listener of this.#exitListeners) listener(error);
  }
}
