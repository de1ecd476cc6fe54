/** Which requests may share a batch: the key and the direct comparison agree on every case. */
import { describe, expect, it } from 'vitest';
import type { ExecRequest } from '../../runtime/backends/backend.ts';
import { batchShapeKey, sameBatchShape } from '../../runtime/scheduler/batch-shape.ts';
import { Tensor } from '../../sdk/tensor.ts';

const int32 = (name: string, shape: number[]) => new Tensor(name, 'INT32', shape, new Int32Array(shape.reduce((a, b) => a * b, 1)));
const fp32 = (name: string, shape: number[]) => new Tensor(name, 'FP32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
const request = (...inputs: Tensor[]): ExecRequest => ({ inputs, outputs: [] }) as unknown as ExecRequest;

const base = request(int32('A', [1, 16]), fp32('B', [1, 2, 3]));
const cases: [string, ExecRequest, boolean][] = [
  ['another batch size', request(int32('A', [4, 16]), fp32('B', [4, 2, 3])), true],
  ['inputs in another order', request(fp32('B', [2, 2, 3]), int32('A', [2, 16])), true],
  ['a different non-batch dim', request(int32('A', [1, 15]), fp32('B', [1, 2, 3])), false],
  ['a different rank', request(int32('A', [1, 16, 1]), fp32('B', [1, 2, 3])), false],
  ['a different datatype', request(fp32('A', [1, 16]), fp32('B', [1, 2, 3])), false],
  ['an input missing', request(int32('A', [1, 16])), false],
  ['an input renamed', request(int32('A', [1, 16]), fp32('C', [1, 2, 3])), false],
];

describe('batch shape', () => {
  it.each(cases)('%s', (_, other, shareable) => {
    expect(sameBatchShape(base, other)).toBe(shareable);
    expect(sameBatchShape(other, base)).toBe(shareable);
    expect(batchShapeKey(base) === batchShapeKey(other)).toBe(shareable);
  });
});
