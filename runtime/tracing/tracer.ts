/**
 * Request tracing at Triton's TIMESTAMPS level: picks the requests to trace
 * (one in `trace_rate` per model, while `trace_count` lasts), and writes
 * their timestamps to `trace_file` as a JSON array in Triton's schema:
 *
 * ```json
 * [{ "id": 1, "model_name": "simple", "model_version": 1,
 *    "timestamps": [{ "name": "REQUEST_START", "ns": 8312254130012 }, ...] }]
 * ```
 *
 * The steps of a traced ensemble are traced too, whatever their own rate,
 * each with `parent_id` naming the ensemble's trace (as in Triton).
 *
 * Timestamps are monotonic nanoseconds (`process.hrtime`), like Triton's
 * steady clock: REQUEST_START, QUEUE_START, COMPUTE_START,
 * COMPUTE_INPUT_END, COMPUTE_OUTPUT_START, COMPUTE_END, REQUEST_END (a
 * request that never ran has no COMPUTE_*). The compute ones come from the
 * same measurements as the model's statistics.
 *
 * Off (the default) it costs one settings lookup per request. With
 * `log_frequency` N, every N traces go to `trace_file.<k>` (k = 0, 1, ...);
 * with 0, they are kept and written to `trace_file` by `close()`.
 *
 * @example
 * ```ts
 * const id = tracer.sample('simple'); // 0: not traced
 * if (id) tracer.record(id, 'simple', 1, [['REQUEST_START', t0], ['REQUEST_END', t1]]);
 * await tracer.close();
 * ```
 */
import { writeFile } from 'node:fs/promises';
import type { Logger } from '../logging/logger.ts';
import { TraceSettings } from './trace-settings.ts';

/** A timestamp's name and its `performance.now()` reading (ms). */
export type TraceMark = readonly [name: string, ms: number];

// performance.now() -> monotonic ns, exact beyond 2^53.
const HRTIME_BASE = process.hrtime.bigint();
const PERFORMANCE_BASE = performance.now();
const toNs = (ms: number): bigint => HRTIME_BASE + BigInt(Math.round((ms - PERFORMANCE_BASE) * 1e6));

export class Tracer {
  readonly settings: TraceSettings;
  readonly #log: Logger;
  /** Requests seen since each model's last trace (trace_rate). */
  readonly #seen = new Map<string, number>();
  /** Serialised traces not yet written, by trace file. */
  readonly #pending = new Map<string, string[]>();
  /** The next `.k` suffix of each trace file written every log_frequency traces. */
  readonly #nextIndex = new Map<string, number>();
  readonly #writes = new Set<Promise<void>>();
  #nextId = 1;

  constructor(settings: TraceSettings, log: Logger) {
    this.settings = settings;
    this.#log = log;
  }

  /** The id of a new trace when this request of `model` is one to trace, else 0. */
  sample(model: string): number {
    const config = this.settings.effective(model);
    if (config.level === 'OFF' || config.count === 0) return 0;
    const seen = (this.#seen.get(model) ?? 0) + 1;
    if (seen < config.rate) {
      this.#seen.set(model, seen);
      return 0;
    }
    this.#seen.set(model, 0);
    this.settings.countTrace(model);
    return this.#nextId++;
  }

  /** The id of a new trace that is part of a traced request (an ensemble's step): not sampled, not counted. */
  child(): number {
    return this.#nextId++;
  }

  /** Adds trace `id` of `model` (its `marks` in order; `parent`: the trace it is part of) to its trace file's output. */
  record(id: number, model: string, version: number, marks: readonly TraceMark[], parent?: number): void {
    const { file, logFrequency } = this.settings.effective(model);
    if (file === '') return;
    const timestamps = marks.map(([name, ms]) => `{"name":"${name}","ns":${toNs(ms)}}`).join(',');
    const pending = this.#pending.get(file) ?? [];
    const parentId = parent ? `,"parent_id":${parent}` : '';
    pending.push(`{"id":${id}${parentId},"model_name":${JSON.stringify(model)},"model_version":${version},"timestamps":[${timestamps}]}`);
    this.#pending.set(file, pending);
    if (logFrequency > 0 && pending.length >= logFrequency) this.#write(file, true);
  }

  /** Writes every trace not yet written, and waits for the writes. */
  async close(): Promise<void> {
    for (const file of this.#pending.keys()) this.#write(file, this.#nextIndex.has(file));
    await Promise.all(this.#writes);
  }

  /** Writes `file`'s pending traces, to `file.<k>` when `indexed`. */
  #write(file: string, indexed: boolean): void {
    const traces = this.#pending.get(file);
    this.#pending.delete(file);
    if (!traces?.length) return;
    let path = file;
    if (indexed) {
      const index = this.#nextIndex.get(file) ?? 0;
      this.#nextIndex.set(file, index + 1);
      path = `${file}.${index}`;
    }
    const done = writeFile(path, `[\n${traces.join(',\n')}\n]\n`)
      .catch((error: unknown) => this.#log.error(`could not write ${traces.length} traces to ${path}: ${error instanceof Error ? error.message : String(error)}`))
      .finally(() => this.#writes.delete(done));
    this.#writes.add(done);
  }
}
