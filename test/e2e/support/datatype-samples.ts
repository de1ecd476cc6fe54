/**
 * Test values for every datatype: deterministic samples plus the extremes of
 * each integer range and fractions that float32 cannot hold exactly, so a
 * round trip through JSON or binary shows any loss of precision.
 */
import { DATATYPES, type DataArray, type DataType } from '../../../sdk/datatypes.ts';
import { Tensor } from '../../../sdk/tensor.ts';
import { sampleData } from '../../support/onnx-fixtures.ts';

const INTEGER_RANGES: Partial<Record<DataType, [bigint, bigint]>> = {
  UINT8: [0n, 255n],
  UINT16: [0n, 65535n],
  UINT32: [0n, 4294967295n],
  UINT64: [0n, 18446744073709551615n],
  INT8: [-128n, 127n],
  INT16: [-32768n, 32767n],
  INT32: [-2147483648n, 2147483647n],
  INT64: [-9223372036854775808n, 9223372036854775807n],
};

/** `count` (>= 4) values of `datatype` whose first elements are its extremes. */
export function edgeData<D extends DataType>(datatype: D, count: number): DataArray<D> {
  const data = sampleData(datatype, count);
  const range = INTEGER_RANGES[datatype];
  if (range) {
    const big = DATATYPES[datatype].json === 'bigint';
    (data as unknown as (number | bigint)[])[0] = big ? range[0] : Number(range[0]);
    (data as unknown as (number | bigint)[])[1] = big ? range[1] : Number(range[1]);
  } else if (datatype === 'FP32' || datatype === 'FP64') {
    const values = data as unknown as Float64Array;
    values[0] = 0.1;
    values[1] = -3.0e38;
    values[2] = datatype === 'FP64' ? 1e-300 : 1.5e-40; // a float32 subnormal
  } else if (datatype === 'BOOL') {
    (data as Uint8Array).set([1, 0, 1, 1]);
  }
  return data;
}

/** A comparable plain form of a tensor's data (BYTES as hex strings, big integers as strings). */
export function plainData(tensor: Tensor): (number | string)[] {
  if (tensor.datatype === 'BYTES') return (tensor.data as Uint8Array[]).map((element) => Buffer.from(element).toString('hex'));
  return Array.from(tensor.data as ArrayLike<number | bigint>, (value) => (typeof value === 'bigint' ? `${value}n` : value));
}
