/**
 * Shapes: element counts and readable formatting, shared by tensors,
 * validation and codecs.
 *
 * @example
 * ```ts
 * elementCount([2, 16]); // 32
 * formatShape([-1, 16]); // '[-1,16]'
 * ```
 */

/** Product of the dimensions; 1 for a scalar shape `[]`. */
export function elementCount(shape: readonly number[]): number {
  let count = 1;
  for (const dim of shape) count *= dim;
  return count;
}

/** `[-1,16]`, the way Triton prints shapes in its messages. */
export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** True when every dimension is a non-negative safe integer. */
export function isConcreteShape(shape: readonly unknown[]): shape is number[] {
  return shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0);
}
