/**
 * Which requests a batcher may put in one batch: Triton merges requests only
 * when every input has the same datatype and the same shape apart from the
 * batch dimension (dim 0), and the same inputs are present. The ONNX backend
 * concatenates such requests along dim 0 into one run (batch-merge.ts); a
 * model.ts receives them as one `execute(requests)` call.
 *
 * @example
 * ```ts
 * batchShapeKey(request); // 'INPUT0:INT32:16|INPUT1:INT32:16'
 * sameBatchShape(a, b);    // the same test without building the keys
 * ```
 */
import type { ExecRequest } from '../backends/backend.ts';

/**
 * A key equal for two requests exactly when they may share a batch: input
 * names, datatypes and non-batch dims (input order does not matter).
 */
export function batchShapeKey(request: ExecRequest): string {
  const parts = request.inputs.map((input) => `${input.name}:${input.datatype}:${input.shape.slice(1).join(',')}`);
  return parts.length > 1 ? parts.sort().join('|') : (parts[0] ?? '');
}

/**
 * Whether `a` and `b` may share a batch, as their batchShapeKey()s say but
 * without building the strings (and stricter on rank: a [1] and a [1, 1]
 * input do not match, though their keys do). A dynamic batcher compares
 * every queued request with the head of its batch, and requests usually
 * list their inputs in the same order.
 */
export function sameBatchShape(a: ExecRequest, b: ExecRequest): boolean {
  const count = a.inputs.length;
  if (b.inputs.length !== count) return false;
  for (let i = 0; i < count; i++) {
    const input = a.inputs[i]!;
    const other = b.inputs[i]!.name === input.name ? b.inputs[i]! : b.inputs.find((candidate) => candidate.name === input.name);
    if (!other || other.datatype !== input.datatype || other.shape.length !== input.shape.length) return false;
    for (let d = 1; d < input.shape.length; d++) if (other.shape[d] !== input.shape[d]) return false;
  }
  return true;
}
