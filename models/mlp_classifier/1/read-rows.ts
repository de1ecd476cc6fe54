/**
 * Reads one request's examples: the `features` tensor (FP32, [rows, n]) or
 * the `text` tensor (BYTES, [rows, 1], numbers as text), exactly one of the
 * two. Every failure is INVALID_ARG naming the input, the row when there are
 * several, and what was expected, so a client can fix its request from the
 * message alone.
 *
 * @example
 * ```ts
 * readRows(request, 16384);
 * // { input: 'text', rows: [[0.1, 0.5, 0.9]], batched: true }
 * ```
 */
import { NereidError, type InferenceRequest, type Tensor } from 'nereid/model';
import { EXPECTED, parseNumberList } from './number-list.ts';

/** A request's examples as raw values (any length), before preprocessing. */
export interface RawRows {
  readonly input: 'features' | 'text';
  readonly rows: readonly ArrayLike<number>[];
  /** True when the input had a batch dimension (max_batch_size > 0): the outputs get one too. */
  readonly batched: boolean;
}

function where(input: string, row: number, rows: number): string {
  return rows > 1 ? `input '${input}' row ${row}` : `input '${input}'`;
}

function requireDatatype(tensor: Tensor, datatype: string, what: string): void {
  if (tensor.datatype !== datatype) throw NereidError.invalidArg(`input '${tensor.name}' must be ${datatype} (${what}), got ${tensor.datatype}`);
}

function featureRows(tensor: Tensor, maxLength: number): RawRows {
  requireDatatype(tensor, 'FP32', 'the values of each example');
  const { shape } = tensor;
  if (shape.length !== 1 && shape.length !== 2) {
    throw NereidError.invalidArg(`input 'features' must have shape [n] or [rows, n], got [${shape.join(',')}]`);
  }
  const length = shape[shape.length - 1]!;
  const count = shape.length === 2 ? shape[0]! : 1;
  if (length === 0) throw NereidError.invalidArg(`input 'features' is empty (shape [${shape.join(',')}]); expected 1 to ${maxLength} values per row`);
  if (length > maxLength) throw NereidError.invalidArg(`input 'features' has ${length} values per row; at most ${maxLength} are accepted`);
  const data = tensor.data as Float32Array;
  const rows: Float32Array[] = [];
  for (let row = 0; row < count; row++) {
    const values = data.subarray(row * length, (row + 1) * length);
    for (let i = 0; i < length; i++) {
      if (!Number.isFinite(values[i]!)) {
        throw NereidError.invalidArg(`${where('features', row, count)}: value ${i + 1} is ${values[i]}; expected finite numbers`);
      }
    }
    rows.push(values);
  }
  return { input: 'features', rows, batched: shape.length === 2 };
}

function textRows(tensor: Tensor, maxLength: number): RawRows {
  requireDatatype(tensor, 'BYTES', EXPECTED);
  // One string per example, whatever the shape: [rows, 1] here, [1] without a batch dimension.
  const texts = tensor.strings();
  if (texts.length === 0) throw NereidError.invalidArg(`input 'text' has no elements; expected one string of ${EXPECTED} per row`);
  const rows = texts.map((text, row) => parseNumberList(text, where('text', row, texts.length), maxLength));
  return { input: 'text', rows, batched: tensor.shape.length === 2 };
}

/** The examples of `request`; throws INVALID_ARG for anything a client got wrong. */
export function readRows(request: InferenceRequest, maxLength: number): RawRows {
  const features = request.input('features');
  const text = request.input('text');
  if (features !== undefined && text !== undefined) {
    throw NereidError.invalidArg(`give either input 'features' (FP32) or input 'text' (BYTES), not both`);
  }
  if (features !== undefined) return featureRows(features, maxLength);
  if (text !== undefined) return textRows(text, maxLength);
  throw NereidError.invalidArg(`expected input 'features' (FP32 values) or input 'text' (BYTES: ${EXPECTED}); the request has neither`);
}
