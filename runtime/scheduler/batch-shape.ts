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
