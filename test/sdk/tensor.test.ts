import { describe, expect, it } from 'vitest';
import { Tensor } from '../../sdk/tensor.ts';

describe('Tensor', () => {
  it('checks that data matches the shape and datatype', () => {
    expect(() => new Tensor('X', 'INT32', [2, 3], new Int32Array(5))).toThrow("tensor 'X': shape [2,3] needs 6 elements, data has 5");
    expect(() => new Tensor('X', 'INT32', [2], new Float32Array(2) as never)).toThrow("tensor 'X': INT32 data must be Int32Array");
    expect(() => new Tensor('X', 'FP32', [-1], new Float32Array(0))).toThrow(/must be non-negative integers/);
  });

  it('views aligned wire bytes without copying', () => {
    const bytes = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const tensor = Tensor.fromBytes('X', 'FP32', [3], bytes);
    expect(tensor.data.buffer).toBe(bytes.buffer);
    expect(tensor.toBytes()).toEqual(bytes);
  });

  it('copies unaligned bytes, including from a Buffer in Node\'s shared pool', () => {
    const pooled = Buffer.allocUnsafe(13); // small allocUnsafe buffers are slices of a shared pool
    new DataView(pooled.buffer, pooled.byteOffset + 1, 12).setFloat32(0, 1.5, true);
    new DataView(pooled.buffer, pooled.byteOffset + 1, 12).setFloat32(4, -2, true);
    new DataView(pooled.buffer, pooled.byteOffset + 1, 12).setFloat32(8, 8, true);
    const tensor = Tensor.fromBytes('X', 'FP32', [3], pooled.subarray(1));
    expect(Array.from(tensor.data as Float32Array)).toEqual([1.5, -2, 8]);
    expect(tensor.data.buffer.byteLength).toBe(12);
  });

  it('rejects a wrong byte count', () => {
    expect(() => Tensor.fromBytes('X', 'INT64', [2], new Uint8Array(12))).toThrow("tensor 'X': INT64 shape [2] needs 16 bytes, got 12");
  });

  it('round-trips BYTES through length-prefixed wire bytes', () => {
    const tensor = Tensor.fromStrings('S', [2], ['héllo', '']);
    const back = Tensor.fromBytes('S', 'BYTES', [2], tensor.toBytes());
    expect(back.strings()).toEqual(['héllo', '']);
    expect(tensor.byteLength).toBe(4 + 6 + 4);
  });
});
