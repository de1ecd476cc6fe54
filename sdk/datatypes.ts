/**
 * The one table of tensor datatypes: KServe v2 wire names, Triton config names,
 * the TypedArray that holds each in memory, and the ONNX Runtime type name.
 *
 * Every other module (tensors, codecs, config validation, the ONNX backend)
 * reads this table rather than keeping its own switch statement.
 *
 * @example
 * ```ts
 * import { DATATYPES, configTypeToDataType } from 'nereid/sdk';
 * DATATYPES.FP32.bytesPerElement;          // 4
 * configTypeToDataType('TYPE_STRING');     // 'BYTES'
 * ```
 */

/** A KServe v2 / Triton wire datatype name. */
export type DataType =
  | 'BOOL'
  | 'UINT8'
  | 'UINT16'
  | 'UINT32'
  | 'UINT64'
  | 'INT8'
  | 'INT16'
  | 'INT32'
  | 'INT64'
  | 'FP16'
  | 'BF16'
  | 'FP32'
  | 'FP64'
  | 'BYTES';

/** A Triton `config.pbtxt` data type (`TYPE_STRING` is the config name of `BYTES`). */
export type ConfigDataType = `TYPE_${Exclude<DataType, 'BYTES'>}` | 'TYPE_STRING';

/**
 * In-memory element storage for each datatype.
 * BOOL is one byte per element (0 or 1), as in ONNX Runtime.
 * FP16 and BF16 hold the raw 16-bit patterns.
 * BYTES holds one byte string per element.
 */
export interface DataArrayMap {
  BOOL: Uint8Array;
  UINT8: Uint8Array;
  UINT16: Uint16Array;
  UINT32: Uint32Array;
  UINT64: BigUint64Array;
  INT8: Int8Array;
  INT16: Int16Array;
  INT32: Int32Array;
  INT64: BigInt64Array;
  FP16: Uint16Array;
  BF16: Uint16Array;
  FP32: Float32Array;
  FP64: Float64Array;
  BYTES: Uint8Array[];
}

/** The storage type for datatype `D`. */
export type DataArray<D extends DataType = DataType> = DataArrayMap[D];

/** A fixed-size numeric storage array (everything but BYTES). */
export type NumericArray = DataArrayMap[Exclude<DataType, 'BYTES'>];

type NumericArrayConstructor = {
  new (length: number): NumericArray;
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): NumericArray;
  readonly BYTES_PER_ELEMENT: number;
};

/** What the table knows about one datatype. */
export interface DataTypeInfo {
  readonly name: DataType;
  readonly configName: ConfigDataType;
  /** Triton's `DataType` enum number in model_config.proto. */
  readonly configEnum: number;
  /** Bytes per element, or 0 for BYTES (variable length). */
  readonly bytesPerElement: number;
  /** Typed array constructor, or undefined for BYTES. */
  readonly arrayType: NumericArrayConstructor | undefined;
  /** onnxruntime-node's tensor type name, or undefined where ORT has none (BF16). */
  readonly ortType: string | undefined;
  /** How elements appear in JSON: numbers, booleans, strings, or not at all (FP16/BF16 travel binary only). */
  readonly json: 'number' | 'bigint' | 'boolean' | 'string' | 'none';
}

function entry(
  name: DataType,
  configEnum: number,
  arrayType: NumericArrayConstructor | undefined,
  ortType: string | undefined,
  json: DataTypeInfo['json'],
): DataTypeInfo {
  return Object.freeze({
    name,
    configName: (name === 'BYTES' ? 'TYPE_STRING' : `TYPE_${name}`) as ConfigDataType,
    configEnum,
    bytesPerElement: arrayType ? arrayType.BYTES_PER_ELEMENT : 0,
    arrayType,
    ortType,
    json,
  });
}

/** Everything known about each datatype, keyed by wire name. */
export const DATATYPES: Readonly<Record<DataType, DataTypeInfo>> = Object.freeze({
  BOOL: entry('BOOL', 1, Uint8Array, 'bool', 'boolean'),
  UINT8: entry('UINT8', 2, Uint8Array, 'uint8', 'number'),
  UINT16: entry('UINT16', 3, Uint16Array, 'uint16', 'number'),
  UINT32: entry('UINT32', 4, Uint32Array, 'uint32', 'number'),
  UINT64: entry('UINT64', 5, BigUint64Array, 'uint64', 'bigint'),
  INT8: entry('INT8', 6, Int8Array, 'int8', 'number'),
  INT16: entry('INT16', 7, Int16Array, 'int16', 'number'),
  INT32: entry('INT32', 8, Int32Array, 'int32', 'number'),
  INT64: entry('INT64', 9, BigInt64Array, 'int64', 'bigint'),
  FP16: entry('FP16', 10, Uint16Array, 'float16', 'none'),
  FP32: entry('FP32', 11, Float32Array, 'float32', 'number'),
  FP64: entry('FP64', 12, Float64Array, 'float64', 'number'),
  BYTES: entry('BYTES', 13, undefined, 'string', 'string'),
  BF16: entry('BF16', 14, Uint16Array, undefined, 'none'),
});

/** All wire datatype names, in Triton enum order. */
export const DATATYPE_NAMES: readonly DataType[] = Object.freeze(
  (Object.values(DATATYPES) as DataTypeInfo[]).sort((a, b) => a.configEnum - b.configEnum).map((info) => info.name),
);

/** True when `name` is a wire datatype name. */
export function isDataType(name: unknown): name is DataType {
  return typeof name === 'string' && Object.hasOwn(DATATYPES, name);
}

/** `TYPE_STRING` -> `BYTES`, `TYPE_FP32` -> `FP32`; undefined for anything else (including `TYPE_INVALID`). */
export function configTypeToDataType(configName: string): DataType | undefined {
  if (configName === 'TYPE_STRING') return 'BYTES';
  if (!configName.startsWith('TYPE_')) return undefined;
  const name = configName.slice(5);
  return name !== 'BYTES' && isDataType(name) ? name : undefined;
}

/** `BYTES` -> `TYPE_STRING`, `FP32` -> `TYPE_FP32`. */
export function dataTypeToConfigType(datatype: DataType): ConfigDataType {
  return DATATYPES[datatype].configName;
}

/** The wire datatype whose ONNX Runtime type name is `ortType`, if any. */
export function dataTypeFromOrt(ortType: string): DataType | undefined {
  for (const info of Object.values(DATATYPES)) if (info.ortType === ortType) return info.name;
  return undefined;
}
