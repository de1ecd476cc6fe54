/** Main-thread side of the raw baseline: send feeds to the raw session worker and await its outputs. */
import type { Worker } from 'node:worker_threads';
import { startWorker } from '../runtime/workers/start-worker.ts';

export interface RawFeed {
  name: string;
  type: string;
  dims: number[];
  data: ArrayBufferView;
}

export class RawSession {
  readonly #worker: Worker;
  readonly #pending = new Map<number, (outputs: unknown) => void>();
  #nextId = 0;

  private constructor(worker: Worker) {
    this.#worker = worker;
    worker.on('message', (message: { id: number; outputs: unknown }) => {
      this.#pending.get(message.id)?.(message.outputs);
      this.#pending.delete(message.id);
    });
  }

  static async create(modelPath: string): Promise<RawSession> {
    const worker = startWorker(new URL('./raw-session-worker.ts', import.meta.url), { workerData: { modelPath } });
    await new Promise<void>((resolve, reject) => {
      worker.once('message', () => resolve());
      worker.once('error', reject);
    });
    return new RawSession(worker);
  }

  /** One run. Feeds are copied per call so the caller's buffers survive the transfer, as a client would hold fresh ones. */
  run(feeds: readonly RawFeed[]): Promise<unknown> {
    const id = this.#nextId++;
    const copies = feeds.map((feed) => ({ ...feed, data: (feed.data as Int32Array).slice() }));
    return new Promise((resolve) => {
      this.#pending.set(id, resolve);
      this.#worker.postMessage({ id, feeds: copies }, copies.map((c) => c.data.buffer as ArrayBuffer));
    });
  }

  async dispose(): Promise<void> {
    await this.#worker.terminate();
  }
}
