/**
 * `InferResponse` <-> KServe v2 HTTP infer response bodies, with Triton's
 * binary tensor data extension.
 *
 * Which outputs travel as binary data follows Triton's HTTP frontend:
 * an output the request listed uses that entry's `binary_data` parameter
 * (absent means JSON, whatever the request-level default says); an output the
 * request did not list (the request had no `outputs`) uses the request's
 * `binary_data_output` parameter (absent means JSON). FP16 and BF16 have no
 * JSON form: asking for them as JSON is an INVALID_ARG error, as in Triton.
 *
 * The encoded body is a list of chunks: the JSON header, then a view of each
 * binary output's bytes, so a frontend can write them without concatenating.
 *
 * @example
 * ```ts
 * const message = encodeInferResponse(response, request); // request: the decoded InferRequest
 * message.contentType;   // 'application/octet-stream' when any output is binary
 * message.headerLength;  // Inference-Header-Content-Length value, or undefined for JSON only
 * const back = decodeInferResponse(concatChunks(message.chunks), message.headerLength);
 * ```
 */
import { DATATYPES } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import type { InferRequest, InferResponse } from '../inference.ts';
import type { Tensor } from '../tensor.ts';
import { type EncodedMessage, type MessageHeader, encodeMessage, parseHeaderJson, readMessage } from './http-message.ts';
import { readTensorEntry, writeTensorEntry } from './http-tensor-entry.ts';
import { readParameters, writeParameters } from './json-parameters.ts';
import { ImpreciseJsonIntegerError } from './json-tensor-data.ts';

/** The parts of the request that decide how outputs are returned. */
export type ResponseChoices = Pick<InferRequest, 'parameters' | 'outputs'>;

/** True when `output` should be returned as binary data for `request`. */
export function wantsBinaryOutput(output: string, request: ResponseChoices | undefined): boolean {
  if (!request) return false;
  const outputs = request.outputs;
  if (outputs && outputs.length > 0) {
    for (const requested of outputs) {
      if (requested.name === output) return requested.parameters?.binary_data === true;
    }
  }
  return request.parameters?.binary_data_output === true;
}

/** Encodes a response body; `request` carries the binary/JSON choices (absent: all JSON). */
export function encodeInferResponse(response: InferResponse, request?: ResponseChoices): EncodedMessage {
  let json = '{';
  if (response.id !== undefined && response.id !== '') json += `"id":${JSON.stringify(response.id)},`;
  json += `"model_name":${JSON.stringify(response.model)},"model_version":${JSON.stringify(String(response.version))}`;
  if (response.parameters && Object.keys(response.parameters).length > 0) {
    json += `,"parameters":${writeParameters(response.parameters)}`;
  }
  json += ',"outputs":[';
  const pieces: Uint8Array[] = [];
  let anyBinary = false;
  const outputs = response.outputs;
  for (let i = 0; i < outputs.length; i++) {
    const tensor: Tensor = outputs[i];
    const what = `output '${tensor.name}'`;
    let bytes: Uint8Array | undefined;
    if (wantsBinaryOutput(tensor.name, request)) {
      bytes = tensor.toBytes();
      pieces.push(bytes);
      anyBinary = true;
    } else if (DATATYPES[tensor.datatype].json === 'none') {
      throw NereidError.invalidArg(
        `sending ${tensor.datatype} data via JSON is not supported. Please use the binary data format for ${what} ` +
          `(set "binary_data": true in that output's parameters, or "binary_data_output": true in the request's)`,
      );
    }
    json += (i ? ',' : '') + writeTensorEntry(tensor, bytes, undefined, what);
  }
  return encodeMessage(json + ']}', pieces, anyBinary);
}

/** Decodes a response body (for clients and tests); `headerLength` is the `Inference-Header-Content-Length` value. */
export function decodeInferResponse(body: Uint8Array, headerLength?: string | number): InferResponse {
  const message = readMessage(body, headerLength, 'response');
  try {
    return buildResponse(message.json, message, false);
  } catch (error) {
    if (!(error instanceof ImpreciseJsonIntegerError)) throw error;
    return buildResponse(parseHeaderJson(message.text, 'response', true), message, true);
  }
}

function buildResponse(json: Record<string, unknown>, message: MessageHeader, exact: boolean): InferResponse {
  const { model_name: model, model_version: version, id, outputs } = json;
  if (typeof model !== 'string') throw NereidError.invalidArg(`response 'model_name' must be a string`);
  if (typeof version !== 'string') throw NereidError.invalidArg(`response 'model_version' must be a string`);
  const response: InferResponse = { model, version, outputs: [] };
  if (id !== undefined) {
    if (typeof id !== 'string') throw NereidError.invalidArg(`response 'id' must be a string`);
    response.id = id;
  }
  const parameters = readParameters(json.parameters, 'response', exact);
  if (parameters) response.parameters = parameters;
  if (!Array.isArray(outputs)) throw NereidError.invalidArg(`the response must have an 'outputs' array`);
  const cursor = message.binary();
  for (let i = 0; i < outputs.length; i++) {
    response.outputs.push(readTensorEntry(outputs[i], i, 'output', cursor, exact).tensor);
  }
  cursor.finish();
  return response;
}
