/**
 * Tensor element types and constant tensors (initializers, attribute values)
 * in ONNX form, keyed by our wire datatype names from sdk/datatypes.ts.
 *
 * Numeric data travels as `raw_data`, which ONNX defines as little-endian
 * bytes; strings travel as `string_data`, the only place ONNX allows them.
 */
import { DATATYPES, type DataArray, type DataType } from '../../sdk/datatypes.ts';
import { onnx, type OnnxTypes } from './proto.ts';

const T = onnx.TensorProto.DataType;

/** ONNX `TensorProto.DataType` number for each wire datatype. */
export const ONNX_ELEM_TYPE: Readonly<Record<DataType, number>> = Object.freeze({
  BOOL: T.BOOL,
  UINT8: T.UINT8,
  UINT16: T.UINT16,
  UINT32: T.UINT32,
  UINT64: T.UINT64,
  INT8: T.INT8,
  INT16: T.INT16,
  INT32: T.INT32,
  INT64: T.INT64,
  FP16: T.FLOAT16,
  BF16: T.BFLOAT16,
  FP32: T.FLOAT,
  FP64: T.DOUBLE,
  BYTES: T.STRING,
});

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * A fresh copy of a typed array's elements as little-endian bytes.
 * Copying (rather than viewing) keeps the proto independent of the caller's
 * buffer, which may be reused or be a slice of something larger.
 */
export function littleEndianBytes(data: ArrayBufferView & { BYTES_PER_ELEMENT: number; length: number }): Uint8Array {
  const bytes = new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
  const width = data.BYTES_PER_ELEMENT;
  if (!HOST_IS_LITTLE_ENDIAN && width > 1) {
    for (let at = 0; at < bytes.length; at += width) bytes.subarray(at, at + width).reverse();
  }
  return bytes;
}

/** Number of elements in a fully known shape. */
export function elementCount(dims: readonly number[]): number {
  let count = 1;
  for (const dim of dims) {
    if (!Number.isInteger(dim) || dim < 0) throw new Error(`tensor dims must be non-negative integers, got [${dims}]`);
    count *= dim;
  }
  return count;
}

/**
 * A constant ONNX tensor: `data` must be the sdk storage array for `datatype`
 * (Float32Array for FP32, Uint8Array 0/1 for BOOL, raw bit patterns in a
 * Uint16Array for FP16/BF16, an array of byte strings for BYTES).
 *
 * @example
 * ```ts
 * tensorProto('W', 'FP32', [64, 128], rng.glorotFloat32(64, 128));
 * tensorProto('shape', 'INT64', [2], new BigInt64Array([-1n, 16n]));
 * ```
 */
export function tensorProto<D extends DataType>(
  name: string,
  datatype: D,
  dims: readonly number[],
  data: DataArray<D>,
): OnnxTypes.ITensorProto {
  const count = elementCount(dims);
  if (data.length !== count) {
    throw new Error(`tensor '${name}': ${data.length} elements given for shape [${dims}] (${count} expected)`);
  }
  const proto: OnnxTypes.ITensorProto = { name, dataType: ONNX_ELEM_TYPE[datatype], dims: [...dims] };
  if (datatype === 'BYTES') {
    proto.stringData = (data as Uint8Array[]).map((bytes) => Uint8Array.from(bytes));
  } else {
    const typed = data as Exclude<DataArray, Uint8Array[]>;
    if (!(typed instanceof (DATATYPES[datatype].arrayType as unknown as typeof Uint8Array))) {
      throw new Error(`tensor '${name}': ${datatype} data must be a ${DATATYPES[datatype].arrayType?.name}`);
    }
    proto.rawData = littleEndianBytes(typed);
  }
  return proto;
}

/** A rank-0 or rank-1 INT64 constant, the form shape-like operands (Reshape, Slice...) take. */
export function int64Tensor(name: string, values: readonly (number | bigint)[], scalar = false): OnnxTypes.ITensorProto {
  const data = BigInt64Array.from(values, (value) => BigInt(value));
  return tensorProto(name, 'INT64', scalar ? [] : [values.length], data);
}
