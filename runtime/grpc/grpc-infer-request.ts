/**
 * A decoded `inference.ModelInferRequest` -> `InferRequest`.
 *
 * Input data comes either from `raw_input_contents` (what Triton's clients
 * send: one blob per input, in the order of `inputs`, laid out as the binary
 * tensor extension lays it out) or from each input's typed `contents`, never
 * both. Raw numeric inputs are views of the received message where their
 * alignment allows (Tensor.fromBytes), BYTES elements views of it always.
 *
 * @example
 * ```ts
 * const message = INFERENCE_TYPES.ModelInferRequest.decode(bytes);
 * const request = decodeGrpcInferRequest(message as ModelInferRequestMessage);
 * await server.infer(request);
 * ```
 */
import { DATATYPE_NAMES, DATATYPES, isDataType, type DataArray, type DataType } from '../../sdk/datatypes.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferRequest, RequestedOutput } from '../../sdk/inference.ts';
import { elementCount, formatShape } from '../../sdk/shape.ts';
import { Tensor } from '../../sdk/tensor.ts';
import type { LongValue } from './grpc-proto.ts';
import { longToBigInt, readRequestParameters, readTensorParameters, type ParameterMap } from './grpc-parameters.ts';

/** `InferTensorContents` as protobufjs decodes it (repeated fields are always arrays). */
export interface TensorContentsMessage {
  bool_contents: boolean[];
  int_contents: number[];
  int64_contents: (LongValue | number)[];
  uint_contents: number[];
  uint64_contents: (LongValue | number)[];
  fp32_contents: number[];
  fp64_contents: number[];
  bytes_contents: Uint8Array[];
}

export interface InferInputTensorMessage {
  name: string;
  datatype: string;
  shape: (LongValue | number)[];
  parameters: ParameterMap;
  contents: TensorContentsMessage | null;
}

export interface ModelInferRequestMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: ParameterMap;
  inputs: InferInputTensorMessage[];
  outputs: { name: string; parameters: ParameterMap }[];
  raw_input_contents: Uint8Array[];
}

/** Which `InferTensorContents` field holds each datatype's typed data (none for FP16/BF16: raw only). */
export const CONTENTS_FIELD: Readonly<Record<DataType, keyof TensorContentsMessage | undefined>> = Object.freeze({
  BOOL: 'bool_contents',
  UINT8: 'uint_contents',
  UINT16: 'uint_contents',
  UINT32: 'uint_contents',
  UINT64: 'uint64_contents',
  INT8: 'int_contents',
  INT16: 'int_contents',
  INT32: 'int_contents',
  INT64: 'int64_contents',
  FP16: undefined,
  BF16: undefined,
  FP32: 'fp32_contents',
  FP64: 'fp64_contents',
  BYTES: 'bytes_contents',
});

export interface DecodeGrpcInferOptions {
  /** `triton_` request parameters the caller handles and removes (the stream's empty-final-response flag). */
  allowedTritonParameters?: readonly string[];
}

function readShape(shape: readonly (LongValue | number)[], what: string): number[] {
  const dims: number[] = [];
  for (const dim of shape) {
    const value = typeof dim === 'number' ? dim : dim.toNumber();
    if (!Number.isSafeInteger(value) || value < 0) {
      throw NereidError.invalidArg(`${what}: 'shape' must be a list of non-negative integers, got [${shape.map(String).join(',')}]`);
    }
    dims.push(value);
  }
  return dims;
}

/** The tensor that an input's typed `contents` describe. */
function tensorFromContents(name: string, datatype: DataType, shape: number[], contents: TensorContentsMessage | null, what: string): Tensor {
  const field = CONTENTS_FIELD[datatype];
  const count = elementCount(shape);
  if (!field) {
    if (count === 0) return Tensor.fromBytes(name, datatype, shape, new Uint8Array(0));
    throw NereidError.invalidArg(`${what}: ${datatype} data has no typed 'contents' field; send it in 'raw_input_contents'`);
  }
  const values = contents ? (contents[field] as unknown[]) : [];
  if (values.length !== count) {
    throw NereidError.invalidArg(
      `${what}: ${datatype} shape ${formatShape(shape)} needs ${count} elements in 'contents.${field}', got ${values.length}` +
        (contents === null && count > 0 ? " (the input has no 'contents' and the request no 'raw_input_contents')" : ''),
    );
  }
  if (datatype === 'BYTES') return new Tensor(name, datatype, shape, values as Uint8Array[]);
  const info = DATATYPES[datatype];
  const data = new info.arrayType!(count);
  if (datatype === 'INT64' || datatype === 'UINT64') {
    const wide = data as BigInt64Array | BigUint64Array;
    const wrap = datatype === 'INT64' ? BigInt.asIntN : BigInt.asUintN;
    for (let i = 0; i < count; i++) wide[i] = wrap(64, longToBigInt(values[i] as LongValue | number));
  } else if (datatype === 'BOOL') {
    for (let i = 0; i < count; i++) (data as Uint8Array)[i] = values[i] ? 1 : 0;
  } else {
    // INT8/16 and UINT8/16 arrive widened to 32 bits; a value out of the datatype's range is an error, not a wrap.
    const narrow = info.bytesPerElement < 4 && datatype !== 'FP32';
    const target = data as Exclude<DataArray, BigInt64Array | BigUint64Array | Uint8Array[]>;
    for (let i = 0; i < count; i++) {
      const value = values[i] as number;
      target[i] = value;
      if (narrow && target[i] !== value) {
        throw NereidError.invalidArg(`${what}: element ${i} of 'contents.${field}' (${value}) is out of range for ${datatype}`);
      }
    }
  }
  return new Tensor(name, datatype, shape, data as DataArray);
}

/** Decodes a ModelInferRequest. Throws INVALID_ARG (or UNSUPPORTED for shared memory) with a precise message. */
export function decodeGrpcInferRequest(message: ModelInferRequestMessage, options: DecodeGrpcInferOptions = {}): InferRequest {
  const request: InferRequest = { model: message.model_name, inputs: [] };
  if (message.model_version) request.version = message.model_version;
  if (message.id) request.id = message.id;
  const parameters = readRequestParameters(message.parameters, options.allowedTritonParameters);
  if (parameters) request.parameters = parameters;

  const raw = message.raw_input_contents;
  const useRaw = raw.length > 0;
  if (useRaw && raw.length !== message.inputs.length) {
    throw NereidError.invalidArg(
      `'raw_input_contents' must hold one entry per input, in the order of 'inputs': the request has ${message.inputs.length} inputs and ${raw.length} raw entries`,
    );
  }
  const names = message.inputs.length > 1 ? new Set<string>() : undefined;
  for (let i = 0; i < message.inputs.length; i++) {
    const input = message.inputs[i]!;
    const what = `input '${input.name}'`;
    if (!isDataType(input.datatype)) {
      throw NereidError.invalidArg(`${what}: invalid datatype '${input.datatype}'; expected one of ${DATATYPE_NAMES.join(', ')}`);
    }
    const shape = readShape(input.shape, what);
    const inputParameters = readTensorParameters(input.parameters, what);
    if (inputParameters?.shared_memory_region !== undefined) {
      throw NereidError.unsupported(`${what}: shared memory tensors ('shared_memory_region') are not supported by this server; send the data in 'raw_input_contents'`);
    }
    let tensor: Tensor;
    if (useRaw) {
      if (input.contents) {
        throw NereidError.invalidArg(`${what}: 'contents' must not be set when the request uses 'raw_input_contents'`);
      }
      const bytes = raw[i]!;
      if (input.datatype !== 'BYTES') {
        const needed = elementCount(shape) * DATATYPES[input.datatype].bytesPerElement;
        if (bytes.byteLength !== needed) {
          throw NereidError.invalidArg(
            `${what}: ${input.datatype} shape ${formatShape(shape)} needs ${needed} bytes of raw content, got ${bytes.byteLength}`,
          );
        }
      }
      tensor = Tensor.fromBytes(input.name, input.datatype, shape, bytes);
    } else {
      tensor = tensorFromContents(input.name, input.datatype, shape, input.contents, what);
    }
    if (names) {
      if (names.has(tensor.name)) throw NereidError.invalidArg(`input '${tensor.name}' appears more than once in the request`);
      names.add(tensor.name);
    }
    request.inputs.push(tensor);
  }

  if (message.outputs.length > 0) {
    const outputs: RequestedOutput[] = [];
    for (const output of message.outputs) {
      const what = `output '${output.name}'`;
      const outputParameters = readTensorParameters(output.parameters, what);
      if (outputParameters?.shared_memory_region !== undefined) {
        throw NereidError.unsupported(`${what}: shared memory outputs ('shared_memory_region') are not supported by this server`);
      }
      outputs.push(outputParameters ? { name: output.name, parameters: outputParameters } : { name: output.name });
    }
    request.outputs = outputs;
  }
  return request;
}
