/**
 * One small tensor of every datatype, with each type's extreme values, for
 * codec round trips. FP16/BF16 hold raw 16-bit patterns (1.0, -2.0, +inf).
 */
import type { DataType } from '../../../sdk/datatypes.ts';
import { NereidError, type ErrorCode } from '../../../sdk/errors.ts';
import { Tensor } from '../../../sdk/tensor.ts';
import { expect } from 'vitest';

export function sampleTensor(datatype: DataType, name = `T_${datatype}`): Tensor {
  switch (datatype) {
    case 'BOOL':
      return new Tensor(name, datatype, [3], new Uint8Array([1, 0, 1]));
    case 'UINT8':
      return new Tensor(name, datatype, [2], new Uint8Array([0, 255]));
    case 'INT8':
      return new Tensor(name, datatype, [2], new Int8Array([-128, 127]));
    case 'UINT16':
      return new Tensor(name, datatype, [2], new Uint16Array([0, 65535]));
    case 'INT16':
      return new Tensor(name, datatype, [2], new Int16Array([-32768, 32767]));
    case 'UINT32':
      return new Tensor(name, datatype, [2], new Uint32Array([0, 4294967295]));
    case 'INT32':
      return new Tensor(name, datatype, [2, 2], new Int32Array([-2147483648, 2147483647, 0, -1]));
    case 'UINT64':
      return new Tensor(name, datatype, [3], new BigUint64Array([0n, 2n ** 53n + 1n, 2n ** 64n - 1n]));
    case 'INT64':
      return new Tensor(name, datatype, [3], new BigInt64Array([-(2n ** 63n), -(2n ** 53n) - 1n, 2n ** 63n - 1n]));
    case 'FP16':
      return new Tensor(name, datatype, [3], new Uint16Array([0x3c00, 0xc000, 0x7c00]));
    case 'BF16':
      return new Tensor(name, datatype, [3], new Uint16Array([0x3f80, 0xc000, 0x7f80]));
    case 'FP32':
      return new Tensor(name, datatype, [4], new Float32Array([0.1, -1.25, 3.4028234663852886e38, -0]));
    case 'FP64':
      return new Tensor(name, datatype, [3], new Float64Array([Math.PI, -5e-324, 1.7976931348623157e308]));
    case 'BYTES':
      return Tensor.fromStrings(name, [3], ['héllo wörld', '', '{"json":"inside"}']);
  }
}

/** Element values in a form `toEqual` compares well (bytes as arrays). */
export function plainData(tensor: Tensor): unknown[] {
  return Array.from(tensor.data as ArrayLike<unknown>, (v) => (v instanceof Uint8Array ? Array.from(v) : v));
}

/** Asserts that `fn` throws a NereidError with `code` whose message contains every part. */
export function expectError(fn: () => unknown, code: ErrorCode, ...parts: (string | RegExp)[]): NereidError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error').toBeInstanceOf(NereidError);
  const error = caught as NereidError;
  expect(error.code, error.message).toBe(code);
  for (const part of parts) {
    if (typeof part === 'string') expect(error.message).toContain(part);
    else expect(error.message).toMatch(part);
  }
  return error;
}
