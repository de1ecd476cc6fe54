/**
 * Worker side of tensor conversion: wire <-> host <-> ORT tensors, and the
 * model signature from ORT's metadata. Runs only inside the ONNX worker.
 *
 * Datatypes: the sdk table's `ortType` names the ORT type. BOOL travels as a
 * Uint8Array of 0/1 and FP16 as a Uint16Array of raw half-float bits, which
 * is what onnxruntime-node 1.30 takes and returns on Node 20 (where
 * Float16Array does not exist; where it does, ORT still accepts Uint16Array
 * input, and a Float16Array output is re-viewed as Uint16Array here). BF16
 * has no ORT type: a model with a BF16 input or output cannot load.
 *
 * BYTES: ORT string tensors hold JS strings, i.e. text. Elements are decoded
 * as strict UTF-8 on the way in and encoded as UTF-8 on the way out, so a
 * BYTES element that is not valid UTF-8, or that contains a NUL byte (which
 * ORT would silently cut the string at), is rejected with INVALID_ARG instead
 * of being corrupted. Arbitrary binary blobs cannot pass through an ONNX model.
 */
import ort from 'onnxruntime-node';
import { dataTypeFromOrt, DATATYPES, type NumericArray } from '../../../sdk/datatypes.ts';
import { decodeBytesElements, encodeBytesElements } from '../../../sdk/codec/bytes-elements.ts';
import { NereidError } from '../../../sdk/errors.ts';
import { elementCount } from '../../../sdk/shape.ts';
import type { ModelFileSignature, ModelFileTensor } from '../backend.ts';
import type { HostTensor } from './batch-merge.ts';
import type { WireTensor } from './onnx-protocol.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });
const utf8 = new TextEncoder();

/** Wire -> host: BYTES elements become strings (strictly checked), numeric data passes as is. */
export function wireToHost(wire: WireTensor): HostTensor {
  if (wire.datatype !== 'BYTES') return wire;
  const elements = decodeBytesElements(wire.data as Uint8Array, elementCount(wire.shape), `input '${wire.name}'`);
  const strings = elements.map((element, i) => {
    if (element.includes(0)) {
      throw NereidError.invalidArg(
        `input '${wire.name}' element ${i} contains a NUL byte; ONNX Runtime string tensors hold text and would cut it there`,
      );
    }
    try {
      return strictUtf8.decode(element);
    } catch {
      throw NereidError.invalidArg(
        `input '${wire.name}' element ${i} is not valid UTF-8; ONNX Runtime string tensors hold text, not arbitrary bytes`,
      );
    }
  });
  return { name: wire.name, datatype: 'BYTES', shape: wire.shape, data: strings };
}

/** Host -> ORT tensor (no copy of numeric data). */
export function hostToOrt(host: HostTensor): ort.Tensor {
  const ortType = DATATYPES[host.datatype].ortType;
  if (ortType === undefined) throw NereidError.unsupported(`input '${host.name}': ONNX Runtime has no ${host.datatype} tensors`);
  const dims = host.shape as number[];
  if (ortType === 'string') return new ort.Tensor('string', host.data as string[], dims);
  return new ort.Tensor(ortType as 'float32', host.data as Float32Array, dims);
}

/** ORT tensor -> host, with nereid's datatype and storage class. */
export function ortToHost(name: string, tensor: ort.Tensor): HostTensor {
  const datatype = dataTypeFromOrt(tensor.type);
  if (datatype === undefined) throw NereidError.unsupported(`output '${name}': ONNX Runtime type '${tensor.type}' has no Triton datatype`);
  const shape = tensor.dims.map(Number);
  if (datatype === 'BYTES') return { name, datatype, shape, data: tensor.data as string[] };
  const ArrayType = DATATYPES[datatype].arrayType!;
  let data = tensor.data as NumericArray;
  if (!(data instanceof ArrayType)) data = new ArrayType(data.buffer, data.byteOffset, data.length);
  return { name, datatype, shape, data };
}

/** Host -> wire: strings are packed into one length-prefixed UTF-8 buffer. Adds transferable buffers to `transfer`. */
export function hostToWire(host: HostTensor, transfer: ArrayBuffer[]): WireTensor {
  let data: NumericArray;
  if (host.datatype === 'BYTES') {
    data = encodeBytesElements((host.data as readonly string[]).map((text) => utf8.encode(text)));
  } else {
    data = host.data as NumericArray;
  }
  // Every buffer here is the worker's own (ORT's fresh outputs, or merged copies): transfer them all,
  // each once (the outputs split from a merged run share one).
  const buffer = data.buffer;
  if (buffer instanceof ArrayBuffer && buffer.byteLength > 0 && !transfer.includes(buffer)) transfer.push(buffer);
  return { name: host.name, datatype: host.datatype, shape: host.shape, data };
}

function signatureTensor(meta: ort.InferenceSession.ValueMetadata, role: 'input' | 'output'): ModelFileTensor {
  if (!meta.isTensor) throw NereidError.unsupported(`${role} '${meta.name}' is not a tensor (sequences and maps are not supported)`);
  const datatype = dataTypeFromOrt(meta.type);
  if (datatype === undefined) throw NereidError.unsupported(`${role} '${meta.name}' has ONNX Runtime type '${meta.type}', which has no Triton datatype`);
  // Symbolic ('batch') and unknown ('') dims are strings in ORT's metadata.
  return { name: meta.name, datatype, shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)) };
}

/** The inputs and outputs the loaded session declares. */
export function sessionSignature(session: ort.InferenceSession): ModelFileSignature {
  return {
    inputs: session.inputMetadata.map((meta) => signatureTensor(meta, 'input')),
    outputs: session.outputMetadata.map((meta) => signatureTensor(meta, 'output')),
  };
}
