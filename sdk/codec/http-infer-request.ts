/**
 * KServe v2 HTTP infer requests (`POST /v2/models/{m}/infer`) <-> `InferRequest`,
 * with Triton's binary tensor data extension.
 *
 * Decoding validates everything the wire can get wrong and says exactly what:
 * the JSON (with the offset of a syntax error), the header length, every
 * input's name, datatype, shape and data, the binary section's sizes, and the
 * parameters. Numeric binary inputs are views into the body, not copies.
 * The output choices (`binary_data_output` on the request, `binary_data` on
 * each output) stay in the parameters for `encodeInferResponse` to read.
 *
 * Encoding is for clients and tests: JSON data, or binary data as the stock
 * `tritonclient.http` sends it.
 *
 * @example
 * ```ts
 * const message = encodeInferRequest({ model: 'simple', inputs: [a, b] }, { binary: true });
 * const body = concatChunks(message.chunks, message.byteLength);
 * const request = decodeInferRequest(body, { model: 'simple', headerLength: message.headerLength });
 * request.inputs[0].data; // Int32Array view into `body`
 * ```
 */
import { DATATYPES } from '../datatypes.ts';
import { NereidError } from '../errors.ts';
import type { InferRequest, Parameters, RequestedOutput } from '../inference.ts';
import { Tensor } from '../tensor.ts';
import { type EncodedMessage, type MessageText, encodeMessage, parseHeaderJson, splitMessage } from './http-message.ts';
import { readTensorEntry, writeTensorEntry } from './http-tensor-entry.ts';
import { readParameters, writeParameters } from './json-parameters.ts';
import { ImpreciseJsonIntegerError } from './json-tensor-data.ts';
import type { CachedInput, CachedRequestHeader, RequestHeaderCache } from './request-header-cache.ts';

/** Where a request is going, and how its body is framed. */
export interface DecodeInferRequestOptions {
  /** Model name (from the URL). */
  model: string;
  /** Model version (from the URL), if one was given. */
  version?: string;
  /** The `Inference-Header-Content-Length` header value, if the request had one. */
  headerLength?: string | number;
  /** Where headers decoded before are remembered (a server's hot path); absent: every header is parsed. */
  headerCache?: RequestHeaderCache;
}

/** Decodes a KServe v2 infer request body. Throws INVALID_ARG (or UNSUPPORTED) with a precise message. */
export function decodeInferRequest(body: Uint8Array, options: DecodeInferRequestOptions): InferRequest {
  const message = splitMessage(body, options.headerLength, 'request');
  const cache = options.headerCache;
  const cached = cache?.get(message.text);
  if (cached) return replayHeader(cached, message, options);
  const json = parseHeaderJson(message.text, 'request');
  try {
    const sizes: (number | undefined)[] | undefined = cache ? [] : undefined;
    const request = buildRequest(json, message, options, false, sizes);
    if (cache) remember(cache, message.text, request, sizes!);
    return request;
  } catch (error) {
    if (!(error instanceof ImpreciseJsonIntegerError)) throw error;
    // A 64-bit integer beyond 2^53 was rounded by JSON.parse: read the text again, exactly (rare path).
    return buildRequest(parseHeaderJson(message.text, 'request', true), message, options, true);
  }
}

/**
 * Keeps what `request`'s header said, if every input came as binary data
 * (see request-header-cache.ts); `sizes` are the inputs' `binary_data_size`s.
 */
function remember(cache: RequestHeaderCache, text: string, request: InferRequest, sizes: readonly (number | undefined)[]): void {
  const inputs: CachedInput[] = [];
  for (let i = 0; i < request.inputs.length; i++) {
    const tensor = request.inputs[i]!;
    const size = sizes[i];
    if (size === undefined) return;
    inputs.push(Object.freeze({ name: tensor.name, datatype: tensor.datatype, shape: tensor.shape, size }));
  }
  const parameters = request.parameters && Object.freeze({ ...request.parameters });
  const outputs = request.outputs?.map((output) =>
    Object.freeze(output.parameters ? { name: output.name, parameters: Object.freeze({ ...output.parameters }) } : { name: output.name }),
  );
  cache.set(text, Object.freeze({ id: request.id, parameters, inputs: Object.freeze(inputs), outputs: outputs && Object.freeze(outputs) }));
}

/**
 * The request a remembered header describes, over a new body: the same steps
 * a full decode takes once the header has passed its checks (take each
 * input's bytes in order, then check nothing is left), with fresh copies of
 * everything the caller may change.
 */
function replayHeader(header: CachedRequestHeader, message: MessageText, options: DecodeInferRequestOptions): InferRequest {
  const request: InferRequest = { model: options.model, inputs: [] };
  if (options.version !== undefined) request.version = options.version;
  if (header.id !== undefined) request.id = header.id;
  if (header.parameters) request.parameters = { ...header.parameters };
  const cursor = message.binary();
  for (const input of header.inputs) {
    const bytes = cursor.take(input.size, `input '${input.name}'`);
    request.inputs.push(Tensor.fromBytes(input.name, input.datatype, input.shape, bytes));
  }
  cursor.finish();
  if (header.outputs) {
    request.outputs = header.outputs.map((output) =>
      output.parameters ? { name: output.name, parameters: { ...output.parameters } } : { name: output.name },
    );
  }
  return request;
}

/** The request `json` describes; with `sizes`, each input's `binary_data_size` (undefined for JSON data) is pushed there. */
function buildRequest(
  json: Record<string, unknown>,
  message: MessageText,
  options: DecodeInferRequestOptions,
  exact: boolean,
  sizes?: (number | undefined)[],
): InferRequest {
  const request: InferRequest = { model: options.model, inputs: [] };
  if (options.version !== undefined) request.version = options.version;

  const id = json.id;
  if (id !== undefined) {
    if (typeof id !== 'string') throw NereidError.invalidArg(`request 'id' must be a string, got ${JSON.stringify(id)}`);
    request.id = id;
  }

  const parameters = readParameters(json.parameters, 'request', exact);
  if (parameters) {
    for (const key in parameters) {
      if (key.startsWith('triton_')) {
        throw NereidError.invalidArg(
          `parameter keys starting with 'triton_' are reserved for Triton usage and should not be specified (got '${key}').`,
        );
      }
    }
    const binaryOutput = parameters.binary_data_output;
    if (binaryOutput !== undefined && typeof binaryOutput !== 'boolean') {
      throw NereidError.invalidArg(`request parameter 'binary_data_output' must be a boolean, got ${String(binaryOutput)}`);
    }
    request.parameters = parameters;
  }

  const inputs = json.inputs;
  if (!Array.isArray(inputs)) throw NereidError.invalidArg(`the request must have an 'inputs' array`);
  const cursor = message.binary();
  const names = inputs.length > 1 ? new Set<string>() : undefined;
  for (let i = 0; i < inputs.length; i++) {
    const { tensor, parameters: entryParameters } = readTensorEntry(inputs[i], i, 'input', cursor, exact);
    sizes?.push(entryParameters?.binary_data_size as number | undefined);
    if (names) {
      if (names.has(tensor.name)) {
        throw NereidError.invalidArg(`input '${tensor.name}' appears more than once in the request`);
      }
      names.add(tensor.name);
    }
    request.inputs.push(tensor);
  }
  cursor.finish();

  if (json.outputs !== undefined) request.outputs = readRequestedOutputs(json.outputs, exact);
  return request;
}

function readRequestedOutputs(value: unknown, exact: boolean): RequestedOutput[] {
  if (!Array.isArray(value)) throw NereidError.invalidArg(`request 'outputs' must be an array`);
  const outputs: RequestedOutput[] = [];
  for (let i = 0; i < value.length; i++) {
    const entry = value[i];
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      throw NereidError.invalidArg(`output ${i}: each entry of 'outputs' must be an object`);
    }
    const name = (entry as Record<string, unknown>).name;
    if (typeof name !== 'string') throw NereidError.invalidArg(`output ${i}: 'name' must be a string`);
    const what = `output '${name}'`;
    const parameters = readParameters((entry as Record<string, unknown>).parameters, what, exact);
    if (parameters?.shared_memory_region !== undefined) {
      throw NereidError.unsupported(
        `${what}: shared memory outputs ('shared_memory_region') are not supported by this server yet; ask for JSON or binary data`,
      );
    }
    if (parameters?.binary_data !== undefined && typeof parameters.binary_data !== 'boolean') {
      throw NereidError.invalidArg(`${what}: parameter 'binary_data' must be a boolean, got ${String(parameters.binary_data)}`);
    }
    outputs.push(parameters ? { name, parameters } : { name });
  }
  return outputs;
}

/** How `encodeInferRequest` frames the body. */
export interface EncodeInferRequestOptions {
  /**
   * Send input data as binary tensor data (what `tritonclient.http` does by
   * default); when the request lists no outputs and does not set
   * `binary_data_output`, also ask for binary outputs, as that client does.
   * FP16 and BF16 inputs always go binary: they have no JSON form.
   */
  binary?: boolean;
}

/** Encodes an infer request body (the model and version belong in the URL, not here). */
export function encodeInferRequest(request: InferRequest, options: EncodeInferRequestOptions = {}): EncodedMessage {
  const binary = options.binary === true;
  let json = '{';
  if (request.id !== undefined && request.id !== '') json += `"id":${JSON.stringify(request.id)},`;
  let parameters: Parameters | undefined = request.parameters;
  if (binary && !request.outputs?.length && parameters?.binary_data_output === undefined) {
    parameters = { ...parameters, binary_data_output: true };
  }
  if (parameters && Object.keys(parameters).length > 0) json += `"parameters":${writeParameters(parameters)},`;

  const pieces: Uint8Array[] = [];
  let anyBinary = false;
  json += '"inputs":[';
  request.inputs.forEach((tensor: Tensor, i) => {
    const asBinary = binary || DATATYPES[tensor.datatype].json === 'none';
    let bytes: Uint8Array | undefined;
    if (asBinary) {
      bytes = tensor.toBytes();
      pieces.push(bytes);
      anyBinary = true;
    }
    json += (i ? ',' : '') + writeTensorEntry(tensor, bytes, undefined, `input '${tensor.name}'`);
  });
  json += ']';
  if (request.outputs?.length) {
    json += ',"outputs":[';
    request.outputs.forEach((output, i) => {
      json += (i ? ',' : '') + `{"name":${JSON.stringify(output.name)}`;
      if (output.parameters && Object.keys(output.parameters).length > 0) json += `,"parameters":${writeParameters(output.parameters)}`;
      json += '}';
    });
    json += ']';
  }
  return encodeMessage(json + '}', pieces, anyBinary);
}
