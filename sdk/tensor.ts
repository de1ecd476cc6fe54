/**
 * A named, typed, shaped tensor: the one in-memory tensor type shared by the
 * frontends, the server, the backends and `model.ts` code.
 *
 * Numeric data lives in the TypedArray the datatype table names; BYTES data is
 * one `Uint8Array` per element. Construction checks that the data matches the
 * shape, so a Tensor that exists is consistent.
 *
 * @example
 * ```ts
 * const a = new Tensor('INPUT0', 'INT32', [1, 16], new Int32Array(16));
 * const s = Tensor.fromStrings('TEXT', [2], ['hello', 'world']);
 * s.strings(); // ['hello', 'world']
 * ```
 */
import { DATATYPES, type DataArray, type DataType, type NumericArray } from './datatypes.ts';
import { decodeBytesElements, encodeBytesElements } from './codec/bytes-elements.ts';
import { NereidError } from './errors.ts';
import { elementCount, formatShape, isConcreteShape } from './shape.ts';

const utf8Encoder = new TextEncoder();
const utf8Decoder = new TextDecoder();

export class Tensor<D extends DataType = DataType> {
  readonly name: string;
  readonly datatype: D;
  readonly shape: readonly number[];
  readonly data: DataArray<D>;

  constructor(name: string, datatype: D, shape: readonly number[], data: DataArray<D>) {
    const info = DATATYPES[datatype];
    if (!info) throw NereidError.invalidArg(`tensor '${name}': unknown datatype '${String(datatype)}'`);
    if (!isConcreteShape(shape)) {
      throw NereidError.invalidArg(`tensor '${name}': shape ${formatShape(shape)} must be non-negative integers`);
    }
    const expected = elementCount(shape);
    const isBytes = datatype === 'BYTES';
    if (isBytes ? !Array.isArray(data) : !(data instanceof info.arrayType!)) {
      const want = isBytes ? 'an array of Uint8Array' : info.arrayType!.name;
      throw NereidError.invalidArg(`tensor '${name}': ${datatype} data must be ${want}`);
    }
    if (data.length !== expected) {
      throw NereidError.invalidArg(
        `tensor '${name}': shape ${formatShape(shape)} needs ${expected} elements, data has ${data.length}`,
      );
    }
    this.name = name;
    this.datatype = datatype;
    this.shape = Object.freeze([...shape]);
    this.data = data;
  }

  /** A BYTES tensor of UTF-8 encoded strings. */
  static fromStrings(name: string, shape: readonly number[], strings: readonly string[]): Tensor<'BYTES'> {
    return new Tensor(name, 'BYTES', shape, strings.map((s) => utf8Encoder.encode(s)));
  }

  /**
   * A tensor over raw little-endian wire bytes (BYTES: length-prefixed elements).
   * Numeric data is a view of `bytes` when its alignment allows, else one copy.
   */
  static fromBytes<T extends DataType>(name: string, datatype: T, shape: readonly number[], bytes: Uint8Array): Tensor<T> {
    const info = DATATYPES[datatype];
    if (!info) throw NereidError.invalidArg(`tensor '${name}': unknown datatype '${String(datatype)}'`);
    const count = elementCount(shape);
    if (datatype === 'BYTES') {
      const elements = decodeBytesElements(bytes, count, `input '${name}'`);
      return new Tensor(name, datatype, shape, elements as DataArray<T>);
    }
    const expectedBytes = count * info.bytesPerElement;
    if (bytes.byteLength !== expectedBytes) {
      throw NereidError.invalidArg(
        `tensor '${name}': ${datatype} shape ${formatShape(shape)} needs ${expectedBytes} bytes, got ${bytes.byteLength}`,
      );
    }
    const ArrayType = info.arrayType!;
    const data =
      bytes.byteOffset % info.bytesPerElement === 0
        ? new ArrayType(bytes.buffer, bytes.byteOffset, count)
        : // Uint8Array's own slice always copies (Buffer's slice would return a view of Node's shared pool).
          new ArrayType(Uint8Array.prototype.slice.call(bytes).buffer, 0, count);
    return new Tensor(name, datatype, shape, data as DataArray<T>);
  }

  /** Number of elements. */
  get elementCount(): number {
    return this.data.length;
  }

  /** Size of the data on the wire (BYTES: including length prefixes). */
  get byteLength(): number {
    if (this.datatype === 'BYTES') {
      let size = 0;
      for (const element of this.data as Uint8Array[]) size += 4 + element.byteLength;
      return size;
    }
    return (this.data as NumericArray).byteLength;
  }

  /** Wire bytes: a view of numeric data (no copy); BYTES elements are serialised. */
  toBytes(): Uint8Array {
    if (this.datatype === 'BYTES') return encodeBytesElements(this.data as Uint8Array[]);
    const data = this.data as NumericArray;
    return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  }

  /** BYTES elements decoded as UTF-8 strings. */
  strings(): string[] {
    if (this.datatype !== 'BYTES') throw NereidError.invalidArg(`tensor '${this.name}' is ${this.datatype}, not BYTES`);
    return (this.data as Uint8Array[]).map((element) => utf8Decoder.decode(element));
  }

  /** The same data under another name (no copy). */
  rename(name: string): Tensor<D> {
    return new Tensor(name, this.datatype, this.shape, this.data);
  }

  /** The same data with another shape of equal element count (no copy). */
  reshape(shape: readonly number[]): Tensor<D> {
    return new Tensor(this.name, this.datatype, shape, this.data);
  }
}
