/**
 * Main-thread side of tensor transport: sdk `Tensor`s -> a run frame
 * (run-frames.ts) with the buffers it transfers, and wire outputs -> `Tensor`.
 *
 * Rule for inputs: a typed array is transferred (zero-copy, and the caller's
 * ArrayBuffer becomes detached) only when it spans the whole of a plain,
 * non-shared ArrayBuffer: then the buffer belongs to that tensor alone. Any
 * other numeric input (a view into something bigger: a Buffer pool slab, an
 * HTTP body holding several inputs) is copied, exactly its own bytes, into one
 * fresh buffer shared by all the copied inputs of the frame, which is then
 * transferred: one allocation and one transfer per message however many inputs
 * it carries (an HTTP request's inputs are all views of its body). A
 * SharedArrayBuffer is always copied (ORT rejects SAB-backed tensors). BYTES
 * elements are packed into one length-prefixed buffer each, which is transferred.
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
import { isWholeBuffer } from '../../memory/whole-buffer.ts';
import type { ExecRequest } from '../backend.ts';
import type { WireTensor } from './onnx-protocol.ts';
import { pushTensor, type Frame } from './run-frames.ts';

/** Copied inputs start at multiples of 8 bytes in the shared copy buffer, so that every typed array class can view its slot. */
function slotSize(byteLength: number): number {
  return Math.ceil(byteLength / 8) * 8;
}

/**
 * Checks that `request` can be sent and returns how many bytes its copied
 * inputs take in the frame's copy buffer. Throws INVALID_ARG when an input's
 * data was detached by an earlier transfer.
 */
export function copyBytesOf(request: ExecRequest): number {
  let bytes = 0;
  for (const tensor of request.inputs) {
    if (tensor.datatype === 'BYTES') continue;
    const data = tensor.data as NumericArray;
    if (data.length !== elementCount(tensor.shape)) {
      // A typed array over a detached buffer reads as empty.
      throw NereidError.invalidArg(
        `input '${tensor.name}': its data was detached (handed to another execute earlier); copy a tensor before reusing it`,
      );
    }
    if (!isWholeBuffer(data)) bytes += slotSize(data.byteLength);
  }
  return bytes;
}

/** A run frame and the buffers that move with it. */
export interface OutgoingRun {
  /** Its id (first item) is left 0 for the SessionWorker to set. */
  readonly frame: Frame;
  readonly transfer: ArrayBuffer[];
}

/**
 * The run frame for `requests`, each of which passed `copyBytesOf`;
 * `copyBytes` is the sum of what it returned for them.
 */
export function encodeRunFrame(requests: readonly ExecRequest[], maxBatchSize: number, copyBytes: number): OutgoingRun {
  const transfer: ArrayBuffer[] = [];
  const copies = copyBytes > 0 ? new ArrayBuffer(copyBytes) : undefined;
  if (copies) transfer.push(copies);
  let offset = 0;
  const frame: Frame = [0, maxBatchSize, requests.length];
  for (const request of requests) {
    frame.push(request.batchSize, request.inputs.length);
    for (const tensor of request.inputs) {
      let data: NumericArray;
      if (tensor.datatype === 'BYTES') {
        data = encodeBytesElements(tensor.data as Uint8Array[]);
        if (data.byteLength > 0) transfer.push(data.buffer as ArrayBuffer);
      } else {
        const source = tensor.data as NumericArray;
        const ArrayType = DATATYPES[tensor.datatype].arrayType!;
        if (isWholeBuffer(source)) {
          data = source;
          // The same whole buffer may back two inputs; postMessage refuses a buffer listed twice.
          if (!transfer.includes(source.buffer as ArrayBuffer)) transfer.push(source.buffer as ArrayBuffer);
        } else if (source.byteLength === 0) {
          data = new ArrayType(0);
        } else {
          data = new ArrayType(copies!, offset, source.length);
          (data as Uint8Array).set(source as Uint8Array);
          offset += slotSize(source.byteLength);
        }
      }
      pushTensor(frame, tensor.name, tensor.datatype, tensor.shape, data);
    }
    frame.push(request.outputs.length);
    for (const output of request.outputs) frame.push(output);
  }
  return { frame, transfer };
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
