/**
 * `InferResponse` -> `inference.ModelInferResponse`, as Triton answers:
 * every output's data in `raw_output_contents` (one blob per output, in the
 * order of `outputs`; BYTES as length-prefixed elements), never typed
 * `contents`. Numeric blobs are views of the output tensors; protobufjs
 * copies them once, into the encoded message.
 *
 * @example
 * ```ts
 * callback(null, encodeGrpcInferResponse(await server.infer(request))); // grpc-js serialises it
 * ```
 */
import type { InferResponse } from '../../sdk/inference.ts';
import { writeParameters, type ParameterMap } from './grpc-parameters.ts';

export interface InferOutputTensorMessage {
  name: string;
  datatype: string;
  shape: number[];
  parameters?: ParameterMap;
}

/** The plain object protobufjs encodes as a ModelInferResponse. */
export interface ModelInferResponseMessage {
  model_name: string;
  model_version: string;
  id?: string;
  parameters?: ParameterMap;
  outputs: InferOutputTensorMessage[];
  raw_output_contents: Uint8Array[];
}

export function encodeGrpcInferResponse(response: InferResponse): ModelInferResponseMessage {
  const outputs: InferOutputTensorMessage[] = [];
  const raw: Uint8Array[] = [];
  for (const tensor of response.outputs) {
    outputs.push({ name: tensor.name, datatype: tensor.datatype, shape: tensor.shape as number[] });
    raw.push(tensor.toBytes());
  }
  const message: ModelInferResponseMessage = {
    model_name: response.model,
    model_version: response.version,
    outputs,
    raw_output_contents: raw,
  };
  if (response.id) message.id = response.id;
  const parameters = writeParameters(response.parameters);
  if (parameters) message.parameters = parameters;
  return message;
}
