/**
 * `InferRequest` -> `inference.ModelInferRequest` and
 * `inference.ModelInferResponse` -> `InferResponse`, for the gRPC client.
 *
 * Input data travels in `raw_input_contents` (one blob per input: views of
 * the tensors' data, no copies here), as Triton's clients send it. Outputs
 * are read from `raw_output_contents` (what nereid and Triton answer) as
 * tensors over the received bytes. Parameters keep 64-bit integers exact:
 * bigints go out as int64 (uint64 beyond its range) and come back as
 * numbers when safe, else bigints.
 *
 * @example
 * ```ts
 * const message = encodeModelInferRequest({ model: 'simple', inputs: [a, b] });
 * const response = decodeModelInferResponse(INFERENCE_RPCS.ModelInfer.deserialize(bytes));
 * ```
 */
import { isDataType } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import type { InferRequest, InferResponse, Parameters, ParameterValue } from '../inference.ts';
import { Tensor } from '../tensor.ts';
import { longToValue, uint64ToValue, writeParameterMap, type LongLike, type ParameterMap } from '../codec/grpc-parameters.ts';

export { writeParameterMap, type ParameterMap } from '../codec/grpc-parameters.ts';

/** A decoded `ModelInferResponse` (protobufjs leaves repeated fields as arrays, maps as objects). */
export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id: string;
  parameters: ParameterMap;
  outputs: { name: string; datatype: string; shape: (LongLike | number)[] }[];
  raw_output_contents: Uint8Array[];
}

/** A decoded `InferParameter` map as Parameters. */
export function readParameterMap(map: ParameterMap | undefined): Parameters | undefined {
  let parameters: Parameters | undefined;
  for (const [key, parameter] of Object.entries(map ?? {})) {
    let value: ParameterValue;
    switch (parameter.parameter_choice) {
      case 'bool_param':
        value = parameter.bool_param!;
        break;
      case 'int64_param':
        value = longToValue(parameter.int64_param!);
        break;
      case 'uint64_param':
        value = uint64ToValue(parameter.uint64_param!);
        break;
      case 'string_param':
        value = parameter.string_param!;
        break;
      case 'double_param':
        value = parameter.double_param!;
        break;
      default:
        continue;
    }
    (parameters ??= {})[key] = value;
  }
  return parameters;
}

/** The ModelInferRequest message of `request`; `extra` adds protocol parameters (the stream's `triton_` keys). */
export function encodeModelInferRequest(request: InferRequest, extra?: ParameterMap): object {
  const message: Record<string, unknown> = {
    model_name: request.model,
    model_version: request.version ?? '',
    id: request.id ?? '',
    inputs: request.inputs.map((tensor) => ({ name: tensor.name, datatype: tensor.datatype, shape: [...tensor.shape] })),
    raw_input_contents: request.inputs.map((tensor) => tensor.toBytes()),
  };
  const parameters = writeParameterMap(request.parameters, extra);
  if (parameters) message.parameters = parameters;
  if (request.outputs?.length) {
    message.outputs = request.outputs.map((output) => {
      const outputParameters = writeParameterMap(output.parameters);
      return outputParameters ? { name: output.name, parameters: outputParameters } : { name: output.name };
    });
  }
  return message;
}

/** The InferResponse of a decoded ModelInferResponse. */
export function decodeModelInferResponse(message: ModelInferResponseMessage): InferResponse {
  const response: InferResponse = { model: message.model_name, version: message.model_version, outputs: [] };
  if (message.id) response.id = message.id;
  const parameters = readParameterMap(message.parameters);
  if (parameters) response.parameters = parameters;
  const raw = message.raw_output_contents;
  if (raw.length !== message.outputs.length) {
    throw NereidError.internal(
      `the response has ${message.outputs.length} outputs but ${raw.length} 'raw_output_contents'; this client reads raw output data only`,
    );
  }
  message.outputs.forEach((output, i) => {
    if (!isDataType(output.datatype)) throw NereidError.internal(`output '${output.name}': unknown datatype '${output.datatype}'`);
    const shape = output.shape.map((dim) => Number(longToValue(dim)));
    response.outputs.push(Tensor.fromBytes(output.name, output.datatype, shape, raw[i]!));
  });
  return response;
}
