import { describe, expect, it } from 'vitest';
import { canMerge, mergeInputs, splitTensor, unionOutputs, type HostTensor } from '../../runtime/backends/onnx/batch-merge.ts';

function int32(name: string, shape: number[], start: number): HostTensor {
  const count = shape.reduce((a, b) => a * b, 1);
  return { name, datatype: 'INT32', shape, data: Int32Array.from({ length: count }, (_, i) => start + i) };
}

const request = (batch: number, start: number, width = 2) => ({
  batchSize: batch,
  inputs: [int32('A', [batch, width], start), { name: 'S', datatype: 'BYTES', shape: [batch], data: Array.from({ length: batch }, (_, i) => `s${start + i}`) } as HostTensor],
});

describe('batch merge', () => {
  it('merges agreeing requests of a batching model', () => {
    expect(canMerge([request(1, 0), request(2, 10)], 8)).toBe(true);
  });

  it('does not merge when the model does not batch, for one request, or when requests disagree', () => {
    expect(canMerge([request(1, 0), request(1, 10)], 0)).toBe(false);
    expect(canMerge([request(1, 0)], 8)).toBe(false);
    expect(canMerge([request(1, 0, 2), request(1, 10, 3)], 8)).toBe(false); // non-batch dims differ
    const wrongBatch = { ...request(2, 0), batchSize: 1 };
    expect(canMerge([request(1, 0), wrongBatch], 8)).toBe(false); // dim 0 is not the batch size
    const otherType = { batchSize: 1, inputs: [{ ...int32('A', [1, 2], 0), datatype: 'UINT32' } as HostTensor, request(1, 0).inputs[1]!] };
    expect(canMerge([request(1, 0), otherType], 8)).toBe(false);
    const missing = { batchSize: 1, inputs: [int32('A', [1, 2], 0)] };
    expect(canMerge([request(1, 0), missing], 8)).toBe(false);
  });

  it('concatenates numeric and string inputs along dim 0', () => {
    const [a, s] = mergeInputs([request(1, 0), request(2, 10)]);
    expect(a!.shape).toEqual([3, 2]);
    expect(Array.from(a!.data as Int32Array)).toEqual([0, 1, 10, 11, 12, 13]);
    expect(s!.shape).toEqual([3]);
    expect(s!.data).toEqual(['s0', 's10', 's11']);
  });

  it('splits outputs back by batch size, numeric pieces as views', () => {
    const merged = int32('OUT', [3, 2], 100);
    const [first, second] = splitTensor(merged, [1, 2])!;
    expect(first!.shape).toEqual([1, 2]);
    expect(Array.from(first!.data as Int32Array)).toEqual([100, 101]);
    expect(second!.shape).toEqual([2, 2]);
    expect(Array.from(second!.data as Int32Array)).toEqual([102, 103, 104, 105]);
    expect((second!.data as Int32Array).buffer).toBe((merged.data as Int32Array).buffer);
  });

  it('refuses to split an output that is not batch-major', () => {
    expect(splitTensor(int32('OUT', [4], 0), [1, 2])).toBeUndefined();
    expect(splitTensor({ name: 'X', datatype: 'FP32', shape: [], data: new Float32Array(1) }, [1])).toBeUndefined();
  });

  it('unions requested outputs in first-seen order', () => {
    expect(unionOutputs([{ outputs: ['B'] }, { outputs: ['A', 'B'] }])).toEqual(['B', 'A']);
  });
});
