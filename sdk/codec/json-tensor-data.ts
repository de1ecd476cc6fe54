/**
 * Tensor data in KServe v2 JSON: the `data` member of an input or output.
 *
 * Reading: `data` may be flat or nested like the shape (row-major). Elements
 * follow the datatype table's `json` kind: numbers (checked against the
 * integer type's range), 64-bit integers as numbers (read as bigint),
 * booleans for BOOL, strings for BYTES (stored UTF-8). FP16 and BF16 have no
 * JSON form and are refused, as Triton does.
 *
 * Writing: always a flat array. 64-bit integers are written as their exact
 * digits, so UINT64 max survives (clients such as Python's json read them exactly).
 *
 * @example
 * ```ts
 * const t = tensorFromJsonData('INPUT0', 'INT32', [2, 2], [[1, 2], [3, 4]]);
 * t.data;                                   // Int32Array [1, 2, 3, 4]
 * tensorToJsonData(t);                      // '[1,2,3,4]'
 * tensorToJsonData(new Tensor('U', 'UINT64', [1], new BigUint64Array([2n ** 64n - 1n])));
 * // '[18446744073709551615]'
 * ```
 */
import { DATATYPES, type DataArray, type DataType, type NumericArray } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import { elementCount, formatShape } from '../shape.ts';
import { Tensor } from '../tensor.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

/** Inclusive ranges of the integer types that travel as JSON numbers. */
const INTEGER_RANGES: Partial<Record<DataType, readonly [number, number]>> = {
  INT8: [-128, 127],
  UINT8: [0, 255],
  INT16: [-32768, 32767],
  UINT16: [0, 65535],
  INT32: [-2147483648, 2147483647],
  UINT32: [0, 4294967295],
};

const BIGINT_RANGES: Partial<Record<DataType, readonly [bigint, bigint]>> = {
  INT64: [-(2n ** 63n), 2n ** 63n - 1n],
  UINT64: [0n, 2n ** 64n - 1n],
};

/**
 * Thrown when a 64-bit integer element arrived as a JSON number beyond 2^53,
 * so `JSON.parse` may have rounded it. The codecs catch it and re-read the
 * text with `parseJsonExact`; anyone else sees a plain INVALID_ARG.
 */
export class ImpreciseJsonIntegerError extends NereidError {
  constructor(where: string, value: number) {
    super('INVALID_ARG', `${where} is ${value}, an integer beyond 2^53 that JSON.parse may have rounded; read the text with parseJsonExact`);
    this.name = 'ImpreciseJsonIntegerError';
  }
}

/** Options for reading JSON data. */
export interface JsonDataOptions {
  /** How messages name the tensor, e.g. `input 'INPUT0'` (default) or `output 'OUT'`. */
  what?: string;
  /**
   * True when `data` came from `parseJsonExact`, so integer-valued numbers
   * beyond 2^53 are exactly what the text said. Otherwise such a number in a
   * 64-bit integer tensor throws `ImpreciseJsonIntegerError`.
   */
  exact?: boolean;
}

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '...' : value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}

/**
 * Collects the leaves of nested `data` whose nesting must match `shape`
 * exactly: depth = rank, and every level as long as its dimension.
 */
function flattenNested(data: unknown[], shape: readonly number[], what: string): unknown[] {
  const flat: unknown[] = [];
  const walk = (node: unknown, depth: number, path: string) => {
    if (depth === shape.length) {
      if (Array.isArray(node)) {
        throw NereidError.invalidArg(`${what}: 'data' is nested deeper than shape ${formatShape(shape)} at data${path}`);
      }
      flat.push(node);
      return;
    }
    if (!Array.isArray(node)) {
      throw NereidError.invalidArg(
        `${what}: nested 'data' does not match shape ${formatShape(shape)}: data${path} is ${describeValue(node)}, expected an array of ${shape[depth]}`,
      );
    }
    if (node.length !== shape[depth]) {
      throw NereidError.invalidArg(
        `${what}: nested 'data' does not match shape ${formatShape(shape)}: data${path} has ${node.length} elements, expected ${shape[depth]}`,
      );
    }
    for (let i = 0; i < node.length; i++) walk(node[i], depth + 1, `${path}[${i}]`);
  };
  walk(data, 0, '');
  return flat;
}

function convertElements(datatype: DataType, values: readonly unknown[], what: string, exact: boolean): DataArray {
  const info = DATATYPES[datatype];
  const count = values.length;
  const bad = (index: number, expected: string): never => {
    throw NereidError.invalidArg(
      `${what}: element ${index} of ${datatype} data must be ${expected}, got ${describeValue(values[index])}`,
    );
  };
  switch (info.json) {
    case 'boolean': {
      const out = new Uint8Array(count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (v === true) out[i] = 1;
        else if (v !== false) bad(i, 'true or false');
      }
      return out;
    }
    case 'string': {
      const out: Uint8Array[] = new Array(count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        if (typeof v !== 'string') bad(i, 'a string');
        out[i] = utf8Encoder.encode(v as string);
      }
      return out;
    }
    case 'bigint': {
      const [min, max] = BIGINT_RANGES[datatype]!;
      const out = new (info.arrayType as BigInt64ArrayConstructor | BigUint64ArrayConstructor)(count);
      for (let i = 0; i < count; i++) {
        const v = values[i];
        let big: bigint;
        if (typeof v === 'bigint') big = v;
        else if (typeof v === 'number' && Number.isSafeInteger(v)) big = BigInt(v);
        else if (typeof v === 'number' && Number.isInteger(v)) {
          if (!exact) throw new ImpreciseJsonIntegerError(`${what}: element ${i}`, v);
          big = BigInt(v);
        } else return bad(i, 'an integer');
        if (big < min || big > max) {
          throw NereidError.invalidArg(`${what}: element ${i} of ${datatype} data is ${big}, outside the ${datatype} range [${min}, ${max}]`);
        }
        out[i] = big;
      }
      return out;
    }
    case 'number': {
      const range = INTEGER_RANGES[datatype];
      const out = new (info.arrayType!)(count) as Exclude<NumericArray, BigInt64Array | BigUint64Array>;
      if (range) {
        const [min, max] = range;
        for (let i = 0; i < count; i++) {
          const v = values[i];
          // A bigint (from parseJsonExact, beyond 2^53) is integral; the range check below refuses it.
          if (typeof v === 'bigint' ? false : typeof v !== 'number' || !Number.isInteger(v)) bad(i, 'an integer');
          if ((v as number | bigint) < min || (v as number | bigint) > max) {
            throw NereidError.invalidArg(`${what}: element ${i} of ${datatype} data is ${v}, outside the ${datatype} range [${min}, ${max}]`);
          }
          out[i] = Number(v);
        }
      } else {
        for (let i = 0; i < count; i++) {
          const v = values[i];
          if (typeof v === 'number') out[i] = v;
          else if (typeof v === 'bigint') out[i] = Number(v);
          else bad(i, 'a number');
        }
      }
      return out;
    }
    case 'none':
    default:
      throw NereidError.invalidArg(`${what}: ${datatype} data cannot be read from JSON`);
  }
}

/**
 * Builds a tensor from a JSON `data` value (already parsed), checking
 * element types, integer ranges, nesting and the element count against the shape.
 */
export function tensorFromJsonData(
  name: string,
  datatype: DataType,
  shape: readonly number[],
  data: unknown,
  options: JsonDataOptions = {},
): Tensor {
  const what = options.what ?? `input '${name}'`;
  if (DATATYPES[datatype].json === 'none') {
    throw NereidError.invalidArg(
      `${what}: receiving ${datatype} data via JSON is not supported; ${datatype} is only supported with binary data ` +
        `(send it as binary tensor data with 'binary_data_size' in the tensor's parameters)`,
    );
  }
  if (!Array.isArray(data)) {
    throw NereidError.invalidArg(`${what}: 'data' must be an array, got ${describeValue(data)}`);
  }
  const expected = elementCount(shape);
  // Flat unless the first element is itself an array; nested data must then follow the shape exactly.
  const nested = data.length > 0 && Array.isArray(data[0]);
  const values = nested ? flattenNested(data, shape, what) : data;
  if (!nested && values.length !== expected) {
    throw NereidError.invalidArg(
      `${what}: shape ${formatShape(shape)} expects ${expected} elements, 'data' has ${values.length}`,
    );
  }
  const converted = convertElements(datatype, values, what, options.exact === true);
  return new Tensor(name, datatype, shape, converted);
}

/**
 * The JSON text of a tensor's `data`: a flat array. 64-bit integers are
 * written as exact digits; NaN and infinities, which JSON cannot spell, as
 * `null` (as JSON.stringify does); BYTES as strings decoded from UTF-8
 * (invalid sequences become U+FFFD, so send binary data for raw bytes).
 * FP16 and BF16 throw: they only travel as binary data.
 */
export function tensorToJsonData(tensor: Tensor, what = `output '${tensor.name}'`): string {
  const datatype = tensor.datatype;
  switch (DATATYPES[datatype].json) {
    case 'boolean': {
      const data = tensor.data as Uint8Array;
      let out = '[';
      for (let i = 0; i < data.length; i++) out += (i ? ',' : '') + (data[i] ? 'true' : 'false');
      return out + ']';
    }
    case 'string': {
      const data = tensor.data as Uint8Array[];
      let out = '[';
      for (let i = 0; i < data.length; i++) out += (i ? ',' : '') + JSON.stringify(utf8Decoder.decode(data[i]));
      return out + ']';
    }
    case 'bigint':
    case 'number': {
      // TypedArray#join writes each element as String(x) does: exact digits for bigint, shortest round-trip for floats...
      if (datatype === 'FP32' || datatype === 'FP64') {
        const data = tensor.data as Float32Array | Float64Array;
        // ...except that it writes NaN/Infinity, which are not JSON, and drops the sign of -0.
        for (let i = 0; i < data.length; i++) {
          const v = data[i];
          if (v !== v || v === Infinity || v === -Infinity || (v === 0 && 1 / v < 0)) return floatsSlowly(data);
        }
      }
      return '[' + (tensor.data as NumericArray).join(',') + ']';
    }
    case 'none':
    default:
      throw NereidError.invalidArg(
        `sending ${datatype} data via JSON is not supported. Please use the binary data format for ${what}`,
      );
  }
}

function floatsSlowly(data: Float32Array | Float64Array): string {
  return '[' + Array.from(data, (v) => (Number.isFinite(v) ? (Object.is(v, -0) ? '-0' : String(v)) : 'null')).join(',') + ']';
}
