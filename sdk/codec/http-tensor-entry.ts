/**
 * One tensor entry of an infer message, `{"name", "datatype", "shape",
 * "parameters"?, "data"?}`: an input of a request or an output of a response.
 * Its data is either JSON `data` or binary bytes announced by
 * `parameters.binary_data_size` and taken, in order, from the binary section.
 *
 * @example
 * ```ts
 * const tensor = readTensorEntry(json.inputs[0], 0, 'input', message.binary(), false);
 * writeTensorEntry(tensor, tensor.toBytes());
 * // '{"name":"INPUT0","datatype":"INT32","shape":[1,16],"parameters":{"binary_data_size":64}}'
 * ```
 */
import { DATATYPE_NAMES, DATATYPES, isDataType } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import type { Parameters } from '../inference.ts';
import { elementCount, formatShape } from '../shape.ts';
import { Tensor } from '../tensor.ts';
import type { BinaryCursor } from './http-message.ts';
import { readParameters, writeParameters } from './json-parameters.ts';
import { tensorFromJsonData, tensorToJsonData } from './json-tensor-data.ts';

/** The tensor an entry describes, and the entry's own parameters. */
export interface TensorEntry {
  tensor: Tensor;
  parameters: Parameters | undefined;
}

function isShape(value: unknown): value is number[] {
  if (!Array.isArray(value)) return false;
  for (const dim of value) if (!Number.isSafeInteger(dim) || dim < 0) return false;
  return true;
}

/** Reads entry `index` of a message's `inputs` or `outputs` (`role`). */
export function readTensorEntry(
  entry: unknown,
  index: number,
  role: 'input' | 'output',
  cursor: BinaryCursor,
  exact: boolean,
): TensorEntry {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw NereidError.invalidArg(`${role} ${index}: each entry of '${role}s' must be an object`);
  }
  const { name, datatype, shape, data } = entry as Record<string, unknown>;
  if (typeof name !== 'string') throw NereidError.invalidArg(`${role} ${index}: 'name' must be a string`);
  const what = `${role} '${name}'`;
  if (!isDataType(datatype)) {
    throw NereidError.invalidArg(
      `${what}: invalid datatype ${JSON.stringify(datatype) ?? 'undefined'}; expected one of ${DATATYPE_NAMES.join(', ')}`,
    );
  }
  if (!isShape(shape)) {
    throw NereidError.invalidArg(
      `${what}: 'shape' must be a list of non-negative integers, got ${JSON.stringify(shape) ?? 'undefined'}`,
    );
  }
  const parameters = readParameters((entry as Record<string, unknown>).parameters, what, exact);
  if (parameters?.shared_memory_region !== undefined) {
    throw NereidError.unsupported(
      `${what}: shared memory tensors ('shared_memory_region') are not supported by this server yet; ` +
        `send the tensor as JSON 'data' or as binary data`,
    );
  }
  const size = parameters?.binary_data_size;
  const hasBinary = size !== undefined;
  const hasData = data !== undefined;
  if (hasBinary === hasData) {
    throw NereidError.invalidArg(
      `${what}: must set exactly one of 'data' and 'binary_data_size' in 'parameters', but ` +
        (hasData ? 'both are set' : 'neither is set'),
    );
  }
  if (!hasBinary) return { tensor: tensorFromJsonData(name, datatype, shape, data, { what, exact }), parameters };

  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0) {
    throw NereidError.invalidArg(`${what}: 'binary_data_size' must be a non-negative integer, got ${String(size)}`);
  }
  if (datatype !== 'BYTES') {
    const needed = elementCount(shape) * DATATYPES[datatype].bytesPerElement;
    if (size !== needed) {
      throw NereidError.invalidArg(
        `${what}: ${datatype} shape ${formatShape(shape)} needs ${needed} bytes of binary data, 'binary_data_size' is ${size}`,
      );
    }
  }
  const bytes = cursor.take(size, what);
  return { tensor: Tensor.fromBytes(name, datatype, shape, bytes), parameters };
}

/**
 * The JSON text of one entry. With `binaryBytes` (the tensor's wire bytes,
 * which the caller sends in the binary section): `parameters.binary_data_size`
 * and no `data`; without: flat JSON `data`. Given `parameters` come first.
 */
export function writeTensorEntry(tensor: Tensor, binaryBytes?: Uint8Array, parameters?: Parameters, what?: string): string {
  let out = `{"name":${JSON.stringify(tensor.name)},"datatype":"${tensor.datatype}","shape":[${tensor.shape.join(',')}]`;
  if (binaryBytes) {
    const size = binaryBytes.byteLength;
    // The common case (every response output) written directly: the same text writeParameters gives.
    if (!parameters) return out + `,"parameters":{"binary_data_size":${size}}}`;
    return out + `,"parameters":${writeParameters({ ...parameters, binary_data_size: size })}}`;
  }
  if (parameters && Object.keys(parameters).length > 0) out += `,"parameters":${writeParameters(parameters)}`;
  return out + `,"data":${tensorToJsonData(tensor, what)}}`;
}
