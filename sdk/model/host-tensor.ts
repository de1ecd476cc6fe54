/**
 * Host tensors: a `Tensor` whose payload stays on the host until the model
 * reads `.data`. The first read calls `HostBridge.takeTensor(handle)` (which
 * moves the payload into the isolate and spends the handle); later reads
 * return the same array. Until then:
 *
 * - the tensor is an ordinary `Tensor` to model code (`instanceof Tensor`,
 *   `name`, `datatype`, `shape`, `elementCount`, numeric `byteLength`);
 * - `rename()` and `reshape()` return host tensors over the same payload;
 * - passed unchanged (or renamed/reshaped) to a BLS request or a response, it
 *   travels back as its `handle`, so forwarding a tensor never moves its bytes.
 *
 * Reading BYTES `byteLength`, `toBytes()` or `strings()` reads `.data`.
 * The Tensor constructor is not run (there is no data to check yet): the
 * payload is checked against the shape when it arrives.
 *
 * @example
 * ```ts
 * const t = hostTensor('INPUT0', 'FP32', [1, 1024], 7, (h) => host.takeTensor(h));
 * pendingHandle(t); // 7: not read, travels back as handle 7
 * t.data[0];        // host.takeTensor(7), once
 * pendingHandle(t); // undefined: travels inline from now on
 * ```
 */
import { DATATYPES, type DataArray, type DataType } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import { elementCount, formatShape, isConcreteShape } from '../shape.ts';
import { Tensor } from '../tensor.ts';

/** What `HostBridge.takeTensor` (or an inline descriptor) hands over. */
export type RawTensorData = ArrayBufferView | ArrayBuffer | Uint8Array[];

/** One host payload, shared by a host tensor and the tensors renamed or reshaped from it. */
interface Payload {
  readonly handle: number;
  readonly take: (handle: number) => RawTensorData;
  data: DataArray | undefined;
  /** Times the handle went back to the host in a descriptor (the host may treat a handle as good for one use). */
  sent: number;
}

const payloads = new WeakMap<Tensor, Payload>();

/**
 * A Tensor over `raw`, checked against `shape` by the Tensor constructor. A
 * TypedArray of the right type is used as is; other byte views are read as
 * little-endian wire bytes (BYTES: length-prefixed).
 */
export function tensorFromRaw(name: string, datatype: DataType, shape: readonly number[], raw: RawTensorData): Tensor {
  const info = DATATYPES[datatype];
  const ArrayType = info?.arrayType;
  const isOwnType = datatype === 'BYTES' ? Array.isArray(raw) : ArrayType !== undefined && raw instanceof ArrayType;
  if (info && !isOwnType) {
    const bytes = ArrayBuffer.isView(raw)
      ? new Uint8Array(raw.buffer, raw.byteOffset, raw.byteLength)
      : raw instanceof ArrayBuffer
        ? new Uint8Array(raw)
        : undefined;
    if (bytes !== undefined) return Tensor.fromBytes(name, datatype, shape, bytes);
  }
  return new Tensor(name, datatype, shape, raw as DataArray);
}

function load(tensor: Tensor, payload: Payload): DataArray {
  if (payload.data === undefined) {
    let raw: RawTensorData;
    try {
      raw = payload.take(payload.handle);
    } catch (error) {
      const why =
        payload.sent > 0
          ? `tensor '${tensor.name}': could not fetch its data from the server (it was passed on to a BLS call or a response before being read, and its data may have gone with it: read .data before passing it on to keep it)`
          : `tensor '${tensor.name}': could not fetch its data from the server`;
      throw NereidError.from(error, why);
    }
    payload.data = tensorFromRaw(tensor.name, tensor.datatype, tensor.shape, raw).data;
  }
  // From now on `data` is a plain property, as on any Tensor.
  Object.defineProperty(tensor, 'data', { value: payload.data, enumerable: true, writable: false, configurable: false });
  return payload.data;
}

function derive(from: Tensor, name: string, shape: readonly number[]): Tensor {
  const payload = payloads.get(from)!;
  if (payload.data !== undefined) return new Tensor(name, from.datatype, shape, payload.data);
  return make(name, from.datatype, shape, payload);
}

// Tensor's methods, except those that must not read `.data`.
const hostTensorPrototype: object = Object.create(Tensor.prototype, {
  elementCount: {
    get(this: Tensor): number {
      return elementCount(this.shape);
    },
    configurable: true,
  },
  byteLength: {
    get(this: Tensor): number {
      if (this.datatype === 'BYTES') return Reflect.get(Tensor.prototype, 'byteLength', this) as number;
      return elementCount(this.shape) * DATATYPES[this.datatype].bytesPerElement;
    },
    configurable: true,
  },
  rename: {
    value(this: Tensor, name: string): Tensor {
      return derive(this, name, this.shape);
    },
    configurable: true,
    writable: true,
  },
  reshape: {
    value(this: Tensor, shape: readonly number[]): Tensor {
      if (!isConcreteShape(shape) || elementCount(shape) !== elementCount(this.shape)) {
        throw NereidError.invalidArg(
          `tensor '${this.name}': cannot reshape ${formatShape(this.shape)} to ${formatShape(shape)} (element counts differ or dimensions are not non-negative integers)`,
        );
      }
      return derive(this, this.name, shape);
    },
    configurable: true,
    writable: true,
  },
});

function make(name: string, datatype: DataType, shape: readonly number[], payload: Payload): Tensor {
  const tensor = Object.create(hostTensorPrototype) as Tensor;
  Object.defineProperties(tensor, {
    name: { value: name, enumerable: true },
    datatype: { value: datatype, enumerable: true },
    shape: { value: Object.freeze([...shape]), enumerable: true },
    data: {
      get: () => load(tensor, payload),
      enumerable: true,
      configurable: true,
    },
  });
  payloads.set(tensor, payload);
  return tensor;
}

/** A tensor over host payload `handle`; `take` fetches it (once) when `.data` is first read. */
export function hostTensor(
  name: string,
  datatype: DataType,
  shape: readonly number[],
  handle: number,
  take: (handle: number) => RawTensorData,
): Tensor {
  if (!Object.hasOwn(DATATYPES, datatype)) throw NereidError.invalidArg(`tensor '${name}': unknown datatype '${String(datatype)}'`);
  if (!isConcreteShape(shape)) {
    throw NereidError.invalidArg(`tensor '${name}': shape ${formatShape(shape)} must be non-negative integers`);
  }
  return make(name, datatype, shape, { handle, take, data: undefined, sent: 0 });
}

/** The handle `tensor` travels back as, or undefined when it is not a host tensor or its data has been read. */
export function pendingHandle(tensor: Tensor): number | undefined {
  const payload = payloads.get(tensor);
  return payload !== undefined && payload.data === undefined ? payload.handle : undefined;
}

/** `pendingHandle(tensor)`, recording that the handle is being sent to the host. */
export function sendHandle(tensor: Tensor): number | undefined {
  const handle = pendingHandle(tensor);
  if (handle !== undefined) payloads.get(tensor)!.sent++;
  return handle;
}
