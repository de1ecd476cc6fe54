/**
 * The wire form of `run` and `ran` messages: one flat array (a "frame")
 * instead of nested objects. Used by both threads.
 *
 * Why flat: structured clone pays per object and per property, and every
 * property key is written as a string, read back and internalised on the other
 * side. A run of the `simple` model as nested objects (message -> requests ->
 * inputs -> tensor objects with shape arrays) cost about twice the main-thread
 * CPU per round trip of the same content as one array of strings, numbers and
 * typed arrays (measured with 16 runs in flight on the 2-core VM: ~10 µs vs
 * ~5 µs, with one transferred buffer instead of one per input).
 *
 * Layout, one item per array element:
 *
 *   run frame   id, maxBatchSize, requestCount, then per request:
 *                 batchSize, inputCount, tensor * inputCount, outputCount, output name * outputCount
 *   ran frame   id, sessionRuns, resultCount, then per result:
 *                 1, outputCount, tensor * outputCount      (ok)
 *                 0, error code, error message              (failed)
 *   tensor      name, datatype, rank, dim * rank, data
 *
 * `data` is the typed array itself: it keeps its class and its offset across
 * the clone, and several tensors may view one transferred buffer.
 *
 * @example
 * ```ts
 * const frame = writeRanFrame(7, [{ ok: true, outputs: [tensor] }], 1);
 * readRanFrame(frame); // { id: 7, sessionRuns: 1, results: [{ ok: true, outputs: [tensor] }] }
 * ```
 */
import type { DataType, NumericArray } from '../../../sdk/datatypes.ts';
import type { ErrorCode } from '../../../sdk/errors.ts';
import { millisToNanos } from '../../stats/model-stats.ts';
import type { RanMessage, RunMessage, WireRequest, WireResult, WireTensor } from './onnx-protocol.ts';

/** One frame: ids, counts, dims, names, datatypes, messages and tensor data, in the order above. */
export type Frame = (string | number | NumericArray)[];

/** Appends one tensor to `frame`. */
export function pushTensor(frame: Frame, name: string, datatype: DataType, shape: readonly number[], data: NumericArray): void {
  frame.push(name, datatype, shape.length);
  for (let i = 0; i < shape.length; i++) frame.push(shape[i]!);
  frame.push(data);
}

/** Reads a frame front to back. */
class FrameReader {
  readonly #frame: Frame;
  #at = 0;

  constructor(frame: Frame) {
    this.#frame = frame;
  }

  number(): number {
    return this.#frame[this.#at++] as number;
  }

  string(): string {
    return this.#frame[this.#at++] as string;
  }

  tensor(): WireTensor {
    const name = this.string();
    const datatype = this.string() as DataType;
    const rank = this.number();
    const shape: number[] = new Array(rank);
    for (let i = 0; i < rank; i++) shape[i] = this.number();
    const data = this.#frame[this.#at++] as NumericArray;
    return { name, datatype, shape, data };
  }
}

/** The run message a frame carries (worker side). */
export function readRunFrame(frame: Frame): RunMessage {
  const reader = new FrameReader(frame);
  const id = reader.number();
  const maxBatchSize = reader.number();
  const count = reader.number();
  const requests: WireRequest[] = new Array(count);
  for (let r = 0; r < count; r++) {
    const batchSize = reader.number();
    const inputs: WireTensor[] = new Array(reader.number());
    for (let i = 0; i < inputs.length; i++) inputs[i] = reader.tensor();
    const outputs: string[] = new Array(reader.number());
    for (let i = 0; i < outputs.length; i++) outputs[i] = reader.string();
    requests[r] = { inputs, outputs, batchSize };
  }
  return { id, maxBatchSize, requests };
}

/** The frame of a ran message (worker side); the caller transfers the outputs' buffers. `timingMs`: compute time of the message. */
export function writeRanFrame(id: number, results: readonly WireResult[], sessionRuns: number, timingMs: { input: number; infer: number; output: number }): Frame {
  const frame: Frame = [id, sessionRuns, timingMs.input, timingMs.infer, timingMs.output, results.length];
  for (const result of results) {
    if (!result.ok) {
      frame.push(0, result.error.code, result.error.message);
      continue;
    }
    frame.push(1, result.outputs.length);
    for (const output of result.outputs) pushTensor(frame, output.name, output.datatype, output.shape, output.data);
  }
  return frame;
}

/** The ran message a frame carries (main-thread side). */
export function readRanFrame(frame: Frame): RanMessage {
  const reader = new FrameReader(frame);
  const id = reader.number();
  const sessionRuns = reader.number();
  const compute = { inputNs: millisToNanos(reader.number()), inferNs: millisToNanos(reader.number()), outputNs: millisToNanos(reader.number()) };
  const results: WireResult[] = new Array(reader.number());
  for (let r = 0; r < results.length; r++) {
    if (reader.number() === 0) {
      const code = reader.string() as ErrorCode;
      results[r] = { ok: false, error: { code, message: reader.string() } };
      continue;
    }
    const outputs: WireTensor[] = new Array(reader.number());
    for (let i = 0; i < outputs.length; i++) outputs[i] = reader.tensor();
    results[r] = { ok: true, outputs };
  }
  return { id, results, sessionRuns, compute };
}

/**
 * `frame` with every typed array replaced by a fresh copy, and those copies'
 * buffers: the fallback when postMessage refuses to transfer one of the
 * original buffers (Node marks some untransferable, e.g. its Buffer pool).
 */
export function copyFrameBuffers(frame: Frame): { frame: Frame; transfer: ArrayBuffer[] } {
  const transfer: ArrayBuffer[] = [];
  const copy = frame.map((item) => {
    if (typeof item !== 'object') return item;
    // TypedArray#slice copies into a fresh, non-shared ArrayBuffer of the same class.
    const fresh = item.slice() as NumericArray;
    if (fresh.byteLength > 0) transfer.push(fresh.buffer as ArrayBuffer);
    return fresh;
  });
  return { frame: copy, transfer };
}
