/**
 * Main-thread side of tensor transport: sdk `Tensor` <-> `WireTensor`, and
 * which buffers may be transferred rather than copied.
 *
 * Rule for inputs: a typed array is transferred (zero-copy, and the caller's
 * ArrayBuffer becomes detached) only when it spans the whole of a plain,
 * non-shared ArrayBuffer: then the buffer belongs to that tensor alone. A
 * view into something bigger (a Buffer pool slab, an HTTP body holding
 * several inputs) is copied into a fresh exact-size buffer, which is then
 * transferred: one memcpy of exactly the tensor instead of structured clone
 * copying the whole underlying buffer. A SharedArrayBuffer is always copied
 * (ORT rejects SAB-backed tensors). BYTES elements are packed into one
 * length-prefixed buffer, which is transferred.
 *
 * Consequence for callers of `execute()`: once handed over, an input whose
 * buffer was transferred is unusable (byteLength 0). A caller that still
 * needs the data (e.g. to feed it to a second model) must copy it first.
 */
import { DATATYPES, type NumericArray } from '../../../sdk/datatypes.ts';
import { decodeBytesElements, encodeBytesElements } from '../../../sdk/codec/bytes-elements.ts';
import { NereidError } from '../../../sdk/errors.ts';
import { elementCount } from '../../../sdk/shape.ts';
import { Tensor } from '../../../sdk/tensor.ts';
import type { ExecRequest } from '../backend.ts';
import type { WireRequest, WireTensor } from './onnx-protocol.ts';

/** True when `data` may be transferred: it spans the whole of a non-shared ArrayBuffer. */
export function isWholeBuffer(data: ArrayBufferView): boolean {
  const buffer = data.buffer;
  return buffer instanceof ArrayBuffer && data.byteOffset === 0 && data.byteLength === buffer.byteLength && buffer.byteLength > 0;
}

/** An exact-size copy of `data` over a fresh ArrayBuffer (TypedArray#slice never returns a shared buffer). */
export function copyArray<T extends NumericArray>(data: T): T {
  return data.slice() as T;
}

/**
 * The wire form of one input. Adds the buffer it may transfer to `transfer`.
 * Throws INVALID_ARG when the data was already detached by an earlier transfer.
 */
export function toWireTensor(tensor: Tensor, transfer: Set<ArrayBuffer>): WireTensor {
  const { name, datatype, shape } = tensor;
  if (datatype === 'BYTES') {
    const packed = encodeBytesElements(tensor.data as Uint8Array[]);
    if (packed.byteLength > 0) transfer.add(packed.buffer as ArrayBuffer);
    return { name, datatype, shape, data: packed };
  }
  const data = tensor.data as NumericArray;
  if (data.length !== elementCount(shape)) {
    // A typed array over a detached buffer reads as empty.
    throw NereidError.invalidArg(
      `input '${name}': its data was detached (handed to another execute earlier); copy a tensor before reusing it`,
    );
  }
  const owned = isWholeBuffer(data) ? data : copyArray(data);
  if (owned.byteLength > 0) transfer.add(owned.buffer as ArrayBuffer);
  return { name, datatype, shape, data: owned };
}

/** The wire form of one request; its transferable buffers are added to `transfer`. */
export function toWireRequest(request: ExecRequest, transfer: Set<ArrayBuffer>): WireRequest {
  return {
    inputs: request.inputs.map((tensor) => toWireTensor(tensor, transfer)),
    outputs: [...request.outputs],
    batchSize: request.batchSize,
  };
}

/**
 * A copy of `requests` whose numeric buffers are all fresh, for a retry after
 * postMessage refused to transfer one of the originals (Node marks some
 * buffers untransferable, e.g. its Buffer pool).
 */
export function copyWireRequests(requests: readonly WireRequest[], transfer: Set<ArrayBuffer>): WireRequest[] {
  return requests.map((request) => ({
    ...request,
    inputs: request.inputs.map((tensor) => {
      const data = copyArray(tensor.data);
      if (data.byteLength > 0) transfer.add(data.buffer as ArrayBuffer);
      return { ...tensor, data };
    }),
  }));
}

/**
 * The sdk tensor for a wire output. Numeric data is used as received (no
 * copy); BYTES elements become views into the received buffer.
 */
export function fromWireTensor(wire: WireTensor): Tensor {
  const { name, datatype, shape } = wire;
  if (datatype === 'BYTES') {
    const elements = decodeBytesElements(wire.data as Uint8Array, elementCount(shape), `output '${name}'`);
    return new Tensor(name, datatype, shape, elements);
  }
  const ArrayType = DATATYPES[datatype].arrayType!;
  // Structured clone keeps the typed array's class; re-view only if a future ORT hands back another class (e.g. Float16Array).
  const data = wire.data instanceof ArrayType ? wire.data : new ArrayType(wire.data.buffer, wire.data.byteOffset, elementCount(shape));
  return new Tensor(name, datatype, shape, data);
}
