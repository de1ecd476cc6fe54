/**
 * Merging several requests into one ONNX Runtime run along the batch
 * dimension (dim 0), and splitting the outputs back per request.
 *
 * Used by the worker, so the concatenation copies happen off the main
 * thread. Pure: works on `HostTensor`s (typed arrays, or JS strings for
 * string tensors) and knows nothing of ORT.
 *
 * Requests merge only when the model batches (max_batch_size > 0) and they
 * agree: the same input names, each input's datatype and non-batch dims
 * equal across requests, and each input's dim 0 equal to its request's batch
 * size. Otherwise the worker runs them one by one. Outputs split by the
 * requests' batch sizes; views, not copies, for numeric data.
 *
 * @example
 * ```ts
 * const merged = mergeInputs([a, b]);                    // INPUT0 [1,16] + [2,16] -> [3,16]
 * splitTensor(output, [1, 2]);                           // OUTPUT0 [3,16] -> [1,16], [2,16]
 * ```
 */
import type { DataType, NumericArray } from '../../../sdk/datatypes.ts';

/** A tensor in the worker, between the wire form and ORT's. */
export interface HostTensor {
  readonly name: string;
  readonly datatype: DataType;
  readonly shape: readonly number[];
  readonly data: NumericArray | readonly string[];
}

/** The part of a request that merging looks at. */
export interface MergeCandidate {
  readonly inputs: readonly HostTensor[];
  readonly batchSize: number;
}

function sameDims(a: readonly number[], b: readonly number[], from: number): boolean {
  if (a.length !== b.length) return false;
  for (let i = from; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** True when `requests` can run as one batch of a model whose config says `maxBatchSize`. */
export function canMerge(requests: readonly MergeCandidate[], maxBatchSize: number): boolean {
  if (maxBatchSize <= 0 || requests.length < 2) return false;
  const first = requests[0]!;
  if (first.inputs.length === 0) return false;
  for (const request of requests) {
    if (!(request.batchSize >= 1) || request.inputs.length !== first.inputs.length) return false;
    for (const input of request.inputs) {
      if (input.shape.length === 0 || input.shape[0] !== request.batchSize) return false;
      const model = first.inputs.find((candidate) => candidate.name === input.name);
      if (!model || model.datatype !== input.datatype || !sameDims(model.shape, input.shape, 1)) return false;
    }
  }
  return true;
}

/** Each input concatenated along dim 0 across `requests` (which must pass `canMerge`), in the first request's input order. */
export function mergeInputs(requests: readonly MergeCandidate[]): HostTensor[] {
  const first = requests[0]!;
  return first.inputs.map((model) => {
    const parts = requests.map((request) => request.inputs.find((input) => input.name === model.name)!);
    const batch = parts.reduce((sum, part) => sum + part.shape[0]!, 0);
    const shape = [batch, ...model.shape.slice(1)];
    if (Array.isArray(model.data)) {
      return { name: model.name, datatype: model.datatype, shape, data: parts.flatMap((part) => part.data as string[]) };
    }
    const length = parts.reduce((sum, part) => sum + part.data.length, 0);
    const ArrayType = (model.data as NumericArray).constructor as new (length: number) => NumericArray;
    const data = new ArrayType(length);
    let offset = 0;
    for (const part of parts) {
      (data as Uint8Array).set(part.data as Uint8Array, offset);
      offset += part.data.length;
    }
    return { name: model.name, datatype: model.datatype, shape, data };
  });
}

/**
 * `tensor` cut along dim 0 into pieces of `batchSizes` rows; undefined when
 * its dim 0 is not their sum (the model's output is not batch-major).
 * Numeric pieces are views into `tensor.data`.
 */
export function splitTensor(tensor: HostTensor, batchSizes: readonly number[]): HostTensor[] | undefined {
  const total = batchSizes.reduce((sum, size) => sum + size, 0);
  if (tensor.shape.length === 0 || tensor.shape[0] !== total) return undefined;
  const rowLength = total === 0 ? 0 : tensor.data.length / total;
  const pieces: HostTensor[] = [];
  let row = 0;
  for (const size of batchSizes) {
    const start = row * rowLength;
    const end = (row + size) * rowLength;
    const data = Array.isArray(tensor.data)
      ? tensor.data.slice(start, end)
      : (tensor.data as NumericArray).subarray(start, end);
    pieces.push({ name: tensor.name, datatype: tensor.datatype, shape: [size, ...tensor.shape.slice(1)], data });
    row += size;
  }
  return pieces;
}

/** The union of the requests' output names, first-seen order. */
export function unionOutputs(requests: readonly { readonly outputs: readonly string[] }[]): string[] {
  return [...new Set(requests.flatMap((request) => request.outputs))];
}
