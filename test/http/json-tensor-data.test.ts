import { describe, expect, it } from 'vitest';
import { DATATYPE_NAMES, DATATYPES, type DataType } from '../../sdk/datatypes.ts';
import { parseJsonExact } from '../../sdk/codec/json-exact.ts';
import { ImpreciseJsonIntegerError, tensorFromJsonData, tensorToJsonData } from '../../sdk/codec/json-tensor-data.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { expectError, plainData, sampleTensor } from './support/sample-tensors.ts';

const JSON_TYPES = DATATYPE_NAMES.filter((d) => DATATYPES[d].json !== 'none');

describe('tensorToJsonData / tensorFromJsonData round trip', () => {
  it.each(JSON_TYPES)('%s survives JSON text exactly', (datatype) => {
    const tensor = sampleTensor(datatype);
    const text = tensorToJsonData(tensor);
    const back = tensorFromJsonData(tensor.name, datatype, tensor.shape, parseJsonExact(text), { exact: true });
    expect(back.datatype).toBe(datatype);
    expect(back.shape).toEqual(tensor.shape);
    expect(plainData(back)).toEqual(plainData(tensor));
  });

  it('writes the JSON kinds the table names', () => {
    expect(tensorToJsonData(sampleTensor('BOOL'))).toBe('[true,false,true]');
    expect(tensorToJsonData(sampleTensor('INT32'))).toBe('[-2147483648,2147483647,0,-1]');
    expect(tensorToJsonData(sampleTensor('UINT64'))).toBe('[0,9007199254740993,18446744073709551615]');
    expect(tensorToJsonData(sampleTensor('INT64'))).toBe('[-9223372036854775808,-9007199254740993,9223372036854775807]');
    expect(tensorToJsonData(sampleTensor('FP32'))).toBe('[0.10000000149011612,-1.25,3.4028234663852886e+38,-0]');
    expect(tensorToJsonData(sampleTensor('BYTES'))).toBe('["héllo wörld","","{\\"json\\":\\"inside\\"}"]');
    expect(tensorToJsonData(new Tensor('E', 'FP32', [0], new Float32Array(0)))).toBe('[]');
  });

  it('writes NaN and infinities as null, which JSON cannot spell', () => {
    const tensor = new Tensor('F', 'FP64', [4], new Float64Array([1, NaN, Infinity, -Infinity]));
    expect(tensorToJsonData(tensor)).toBe('[1,null,null,null]');
  });

  it('refuses to write FP16 and BF16 as JSON, naming the output', () => {
    for (const datatype of ['FP16', 'BF16'] as const) {
      expectError(() => tensorToJsonData(sampleTensor(datatype, 'OUT')), 'INVALID_ARG', `sending ${datatype} data via JSON is not supported`, "output 'OUT'");
    }
  });
});

describe('tensorFromJsonData', () => {
  it('reads flat data', () => {
    const t = tensorFromJsonData('X', 'INT32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(Array.from(t.data as Int32Array)).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('reads nested data row-major when the nesting follows the shape', () => {
    const t = tensorFromJsonData('X', 'FP32', [2, 3], [[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(t.data as Float32Array)).toEqual([1, 2, 3, 4, 5, 6]);
    const b = tensorFromJsonData('S', 'BYTES', [1, 2, 1], [[['a'], ['b']]]);
    expect(t.shape).toEqual([2, 3]);
    expect(b.strings()).toEqual(['a', 'b']);
    expect(tensorFromJsonData('Z', 'INT8', [2, 0], [[], []]).elementCount).toBe(0);
  });

  it('rejects nesting that does not match the shape', () => {
    expectError(() => tensorFromJsonData('X', 'INT32', [2, 3], [[1, 2], [3, 4], [5, 6]]), 'INVALID_ARG',
      "input 'X'", 'nested', 'shape [2,3]', 'data has 3 elements, expected 2');
    expectError(() => tensorFromJsonData('X', 'INT32', [2, 3], [[1, 2, 3], [4, 5]]), 'INVALID_ARG', 'data[1] has 2 elements, expected 3');
    expectError(() => tensorFromJsonData('X', 'INT32', [6], [[1, 2, 3], [4, 5, 6]]), 'INVALID_ARG', 'data has 2 elements, expected 6');
    expectError(() => tensorFromJsonData('X', 'INT32', [2, 2], [[1, 2], 3]), 'INVALID_ARG', 'data[1] is 3, expected an array of 2');
    expectError(() => tensorFromJsonData('X', 'INT32', [2, 1], [[1], [[2]]]), 'INVALID_ARG', 'nested deeper than shape [2,1] at data[1][0]');
  });

  it('checks the element count against the shape, naming the input and the count', () => {
    expectError(() => tensorFromJsonData('INPUT0', 'INT32', [2, 3], [1, 2, 3, 4, 5]), 'INVALID_ARG',
      "input 'INPUT0': shape [2,3] expects 6 elements, 'data' has 5");
    expectError(() => tensorFromJsonData('OUT', 'FP64', [], [1, 2], { what: "output 'OUT'" }), 'INVALID_ARG',
      "output 'OUT': shape [] expects 1 elements, 'data' has 2");
  });

  it("requires 'data' to be an array", () => {
    expectError(() => tensorFromJsonData('X', 'INT32', [1], 5), 'INVALID_ARG', "'data' must be an array, got 5");
    expectError(() => tensorFromJsonData('X', 'INT32', [1], { a: 1 }), 'INVALID_ARG', "'data' must be an array, got an object");
  });

  it('refuses FP16 and BF16 in JSON: binary data only', () => {
    for (const datatype of ['FP16', 'BF16'] as const) {
      expectError(() => tensorFromJsonData('H', datatype, [1], [1.0]), 'INVALID_ARG',
        `input 'H': receiving ${datatype} data via JSON is not supported`, `${datatype} is only supported with binary data`);
    }
  });

  const ranges: Array<[DataType, number, number]> = [
    ['INT8', -128, 127],
    ['UINT8', 0, 255],
    ['INT16', -32768, 32767],
    ['UINT16', 0, 65535],
    ['INT32', -2147483648, 2147483647],
    ['UINT32', 0, 4294967295],
  ];
  it.each(ranges)('checks the %s range', (datatype, min, max) => {
    const t = tensorFromJsonData('X', datatype, [2], [min, max]);
    expect(plainData(t)).toEqual([min, max]);
    expectError(() => tensorFromJsonData('X', datatype, [2], [min, max + 1]), 'INVALID_ARG',
      `element 1 of ${datatype} data is ${max + 1}, outside the ${datatype} range [${min}, ${max}]`);
    expectError(() => tensorFromJsonData('X', datatype, [1], [min - 1]), 'INVALID_ARG', 'outside the');
    expectError(() => tensorFromJsonData('X', datatype, [1], [1.5]), 'INVALID_ARG', `element 0 of ${datatype} data must be an integer, got 1.5`);
    expectError(() => tensorFromJsonData('X', datatype, [1], ['1']), 'INVALID_ARG', 'must be an integer, got "1"');
  });

  it('reads INT64/UINT64 from JSON numbers as bigint, exact at the extremes', () => {
    const text = '[18446744073709551615, 0, 9007199254740993]';
    const u = tensorFromJsonData('U', 'UINT64', [3], parseJsonExact(text), { exact: true });
    expect(Array.from(u.data as BigUint64Array)).toEqual([2n ** 64n - 1n, 0n, 2n ** 53n + 1n]);
    const i = tensorFromJsonData('I', 'INT64', [2], parseJsonExact('[-9223372036854775808, 9223372036854775807]'), { exact: true });
    expect(Array.from(i.data as BigInt64Array)).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(Array.from(tensorFromJsonData('S', 'INT64', [2], [-5, 7]).data as BigInt64Array)).toEqual([-5n, 7n]);
  });

  it('signals (rather than silently rounds) a 64-bit integer that JSON.parse rounded', () => {
    expect(() => tensorFromJsonData('U', 'UINT64', [1], JSON.parse('[18446744073709551615]'))).toThrow(ImpreciseJsonIntegerError);
  });

  it('checks INT64/UINT64 ranges and integrality', () => {
    expectError(() => tensorFromJsonData('U', 'UINT64', [1], parseJsonExact('[18446744073709551616]'), { exact: true }), 'INVALID_ARG',
      'element 0 of UINT64 data is 18446744073709551616, outside the UINT64 range [0, 18446744073709551615]');
    expectError(() => tensorFromJsonData('U', 'UINT64', [1], [-1]), 'INVALID_ARG', 'outside the UINT64 range');
    expectError(() => tensorFromJsonData('I', 'INT64', [1], parseJsonExact('[9223372036854775808]'), { exact: true }), 'INVALID_ARG',
      'outside the INT64 range [-9223372036854775808, 9223372036854775807]');
    expectError(() => tensorFromJsonData('I', 'INT64', [1], [0.5]), 'INVALID_ARG', 'element 0 of INT64 data must be an integer, got 0.5');
    expectError(() => tensorFromJsonData('I', 'INT32', [1], parseJsonExact('[9007199254740993]'), { exact: true }), 'INVALID_ARG',
      'outside the INT32 range');
  });

  it('reads BOOL only from true/false, BYTES only from strings, floats only from numbers', () => {
    expect(plainData(tensorFromJsonData('B', 'BOOL', [2], [false, true]))).toEqual([0, 1]);
    expectError(() => tensorFromJsonData('B', 'BOOL', [1], [1]), 'INVALID_ARG', 'element 0 of BOOL data must be true or false, got 1');
    expectError(() => tensorFromJsonData('S', 'BYTES', [2], ['a', 5]), 'INVALID_ARG', 'element 1 of BYTES data must be a string, got 5');
    expectError(() => tensorFromJsonData('F', 'FP32', [1], [null]), 'INVALID_ARG', 'element 0 of FP32 data must be a number, got null');
    expectError(() => tensorFromJsonData('F', 'FP32', [2], [1, [2]]), 'INVALID_ARG', 'must be a number, got an array');
    expect(tensorFromJsonData('S', 'BYTES', [1], ['é']).data).toEqual([new Uint8Array([0xc3, 0xa9])]);
  });
});
