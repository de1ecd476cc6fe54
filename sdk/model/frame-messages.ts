/**
 * The hot messages of the isolate protocol as flat frames (frame-buffer.ts):
 * the requests `execute` receives, the settle result it answers with, a BLS
 * request and its result. Each `write*` has its `read*`; the decoded values
 * are the descriptor types of isolate-protocol.ts, so everything above this
 * layer works with descriptors and does not know about frames.
 *
 * Tensors travel as name, datatype, shape and then either a host handle or
 * the payload (copied into the frame; BYTES as length-prefixed elements).
 * Decoded payloads are private copies in buffers of their own.
 *
 * This file imports nothing from Node: it runs on both sides.
 *
 * @example
 * ```ts
 * writeRequests(writer, [request]);
 * const frame = writer.finish();
 * reader.open(frame.strings, frame.overflow);
 * readRequests(reader); // [request], payloads copied
 * ```
 */
import { bytesElementsWireSize, decodeBytesElements } from '../codec/bytes-elements.ts';
import { DATATYPE_NAMES, DATATYPES, type DataType } from '../datatypes.ts';
import type { ErrorCode, ErrorData } from '../errors.ts';
import type { ModelConfig } from '../model-config.ts';
import type { ElementArrayType, FrameReader, FrameWriter } from './frame-buffer.ts';
import type {
  BlsResumption,
  BlsRequestDescriptor,
  BlsResultDescriptor,
  ParameterValue,
  RequestDescriptor,
  ResponseDescriptor,
  SettleResult,
  TensorDescriptor,
} from './isolate-protocol.ts';

const DATATYPE_INDEX = new Map<DataType, number>(DATATYPE_NAMES.map((name, index) => [name, index]));

// Tags of values that may be a number, a boolean or a string.
const NUMBER = 0;
const BOOLEAN = 1;
const STRING = 2;

const PAYLOAD = 0;
const HANDLE = 1;

export function writeTensor(writer: FrameWriter, tensor: TensorDescriptor): void {
  writer.str(tensor.name);
  writer.num(DATATYPE_INDEX.get(tensor.datatype) ?? -1);
  writer.num(tensor.shape.length);
  for (const dim of tensor.shape) writer.num(dim);
  if (tensor.handle !== undefined) {
    writer.num(HANDLE);
    writer.num(tensor.handle);
    return;
  }
  writer.num(PAYLOAD);
  const data = tensor.data;
  if (Array.isArray(data)) {
    const wire = writer.reserve(bytesElementsWireSize(data));
    const view = new DataView(wire.buffer, wire.byteOffset, wire.byteLength);
    let offset = 0;
    for (const element of data) {
      view.setUint32(offset, element.byteLength, true);
      wire.set(element, offset + 4);
      offset += 4 + element.byteLength;
    }
  } else {
    writer.bytes(data ?? new Uint8Array(0));
  }
}

export function readTensor(reader: FrameReader): TensorDescriptor {
  const name = reader.str();
  const datatype = DATATYPE_NAMES[reader.num()] ?? ('INVALID' as DataType);
  const rank = reader.num();
  const shape = new Array<number>(rank);
  for (let i = 0; i < rank; i++) shape[i] = reader.num();
  if (reader.num() === HANDLE) return { name, datatype, shape, handle: reader.num() };
  if (datatype === 'BYTES') return { name, datatype, shape, data: decodeBytesElements(reader.bytes(), undefined, `tensor '${name}'`) };
  const ArrayType = DATATYPES[datatype]?.arrayType as ElementArrayType<ArrayBufferView> | undefined;
  const data = ArrayType ? reader.elements(ArrayType) : reader.bytes();
  return { name, datatype, shape, data };
}

function writeTensors(writer: FrameWriter, tensors: readonly TensorDescriptor[]): void {
  writer.num(tensors.length);
  for (const tensor of tensors) writeTensor(writer, tensor);
}

function readTensors(reader: FrameReader): TensorDescriptor[] {
  const count = reader.num();
  const tensors = new Array<TensorDescriptor>(count);
  for (let i = 0; i < count; i++) tensors[i] = readTensor(reader);
  return tensors;
}

function writeValue(writer: FrameWriter, value: ParameterValue): void {
  if (typeof value === 'string') {
    writer.num(STRING);
    writer.str(value);
  } else if (typeof value === 'boolean') {
    writer.num(BOOLEAN);
    writer.bool(value);
  } else {
    writer.num(NUMBER);
    writer.num(value);
  }
}

function readValue(reader: FrameReader): ParameterValue {
  const tag = reader.num();
  if (tag === STRING) return reader.str();
  if (tag === BOOLEAN) return reader.bool();
  return reader.num();
}

function writeParameters(writer: FrameWriter, parameters: Readonly<Record<string, ParameterValue>> | undefined): void {
  if (parameters === undefined) return writer.num(-1);
  const keys = Object.keys(parameters);
  writer.num(keys.length);
  for (const key of keys) {
    writer.str(key);
    writeValue(writer, parameters[key]!);
  }
}

function readParameters(reader: FrameReader): Record<string, ParameterValue> | undefined {
  const count = reader.num();
  if (count < 0) return undefined;
  const parameters: Record<string, ParameterValue> = {};
  for (let i = 0; i < count; i++) {
    const key = reader.str();
    parameters[key] = readValue(reader);
  }
  return parameters;
}

function writeStrings(writer: FrameWriter, strings: readonly string[]): void {
  writer.num(strings.length);
  for (const value of strings) writer.str(value);
}

function readStrings(reader: FrameReader): string[] {
  const count = reader.num();
  const strings = new Array<string>(count);
  for (let i = 0; i < count; i++) strings[i] = reader.str();
  return strings;
}

function writeError(writer: FrameWriter, error: ErrorData | undefined): void {
  writer.bool(error !== undefined);
  if (error === undefined) return;
  writer.str(error.code);
  writer.str(error.message);
}

function readError(reader: FrameReader): ErrorData | undefined {
  if (!reader.bool()) return undefined;
  const code = reader.str() as ErrorCode;
  return { code, message: reader.str() };
}

/** The requests of one `execute` call (host -> isolate). */
export function writeRequests(writer: FrameWriter, requests: readonly RequestDescriptor[]): void {
  writer.num(requests.length);
  for (const request of requests) {
    writer.str(request.id);
    writeValue(writer, request.correlationId);
    writer.num(request.flags);
    writer.num(request.cancelToken ?? 0);
    writer.num(request.responseToken ?? 0);
    writer.num(request.traceId ?? 0);
    writeParameters(writer, request.parameters);
    writeStrings(writer, request.requestedOutputs);
    writeTensors(writer, request.inputs);
  }
}

export function readRequests(reader: FrameReader): RequestDescriptor[] {
  const count = reader.num();
  const requests = new Array<RequestDescriptor>(count);
  for (let i = 0; i < count; i++) {
    const id = reader.str();
    const correlationId = readValue(reader) as number | string;
    const flags = reader.num();
    const cancelToken = reader.num();
    const responseToken = reader.num();
    const traceId = reader.num();
    const parameters = readParameters(reader) ?? {};
    const requestedOutputs = readStrings(reader);
    requests[i] = { id, correlationId, flags, parameters, requestedOutputs, inputs: readTensors(reader) };
    if (cancelToken !== 0) requests[i]!.cancelToken = cancelToken;
    if (responseToken !== 0) requests[i]!.responseToken = responseToken;
    if (traceId !== 0) requests[i]!.traceId = traceId;
  }
  return requests;
}

function writeResponse(writer: FrameWriter, response: ResponseDescriptor): void {
  writeParameters(writer, response.parameters);
  writeError(writer, response.error);
  writeTensors(writer, response.outputs);
}

function readResponse(reader: FrameReader): ResponseDescriptor {
  const parameters = readParameters(reader);
  const error = readError(reader);
  const response: ResponseDescriptor = { outputs: readTensors(reader) };
  if (parameters !== undefined) response.parameters = parameters;
  if (error !== undefined) response.error = error;
  return response;
}

/** How an entry call ended (isolate -> host): responses for `execute`, a config for `autoCompleteConfig`, or a failure. */
export function writeSettle(writer: FrameWriter, result: SettleResult): void {
  writer.bool(result.ok);
  if (!result.ok) {
    writeError(writer, result.error);
    writer.bool(result.stack !== undefined);
    if (result.stack !== undefined) writer.str(result.stack);
    return;
  }
  writer.num(result.responses?.length ?? -1);
  for (const response of result.responses ?? []) writeResponse(writer, response);
  // A config is rare (once per load) and deeply nested: JSON is simplest.
  writer.str(result.config === undefined ? '' : JSON.stringify(result.config));
}

export function readSettle(reader: FrameReader): SettleResult {
  if (!reader.bool()) {
    const error = readError(reader) ?? { code: 'INTERNAL', message: 'the model failed without an error' };
    return reader.bool() ? { ok: false, error, stack: reader.str() } : { ok: false, error };
  }
  const count = reader.num();
  const result: Extract<SettleResult, { ok: true }> = { ok: true };
  if (count >= 0) {
    const responses = new Array<ResponseDescriptor>(count);
    for (let i = 0; i < count; i++) responses[i] = readResponse(reader);
    result.responses = responses;
  }
  const config = reader.str();
  if (config !== '') result.config = JSON.parse(config) as ModelConfig;
  return result;
}

/** A BLS request (isolate -> host). */
export function writeBlsRequest(writer: FrameWriter, request: BlsRequestDescriptor): void {
  writer.str(request.model);
  writer.str(request.version);
  writer.num(request.timeoutMs);
  writer.bool(request.stream === true);
  writer.num(request.traceParent ?? 0);
  writer.str(request.id ?? '');
  writeParameters(writer, request.parameters);
  writeStrings(writer, request.requestedOutputs);
  writeTensors(writer, request.inputs);
}

export function readBlsRequest(reader: FrameReader): BlsRequestDescriptor {
  const model = reader.str();
  const version = reader.str();
  const timeoutMs = reader.num();
  const stream = reader.bool();
  const traceParent = reader.num();
  const id = reader.str();
  const parameters = readParameters(reader) ?? {};
  const requestedOutputs = readStrings(reader);
  const request: BlsRequestDescriptor = { model, version, timeoutMs, parameters, requestedOutputs, inputs: readTensors(reader) };
  if (stream) request.stream = true;
  if (id !== '') request.id = id;
  if (traceParent !== 0) request.traceParent = traceParent;
  return request;
}

/** A BLS result (host -> isolate). */
export function writeBlsResult(writer: FrameWriter, result: BlsResultDescriptor): void {
  writer.str(result.model);
  writer.str(result.version);
  // -1: a single result; 0: more follow; 1: the last, with a response; 2: the last, with none.
  writer.num(result.final === undefined ? -1 : !result.final ? 0 : result.empty ? 2 : 1);
  writeResponse(writer, result);
}

export function readBlsResult(reader: FrameReader): BlsResultDescriptor {
  const model = reader.str();
  const version = reader.str();
  const final = reader.num();
  const result: BlsResultDescriptor = { model, version, ...readResponse(reader) };
  if (final >= 0) result.final = final >= 1;
  if (final === 2) result.empty = true;
  return result;
}

/** BLS results for the isolate (host -> isolate), in the order they finished. */
export function writeBlsResumptions(writer: FrameWriter, resumptions: readonly BlsResumption[]): void {
  writer.num(resumptions.length);
  for (const { callId, result } of resumptions) {
    writer.num(callId);
    writeBlsResult(writer, result);
  }
}

export function readBlsResumptions(reader: FrameReader): BlsResumption[] {
  const count = reader.num();
  const resumptions = new Array<BlsResumption>(count);
  for (let i = 0; i < count; i++) {
    const callId = reader.num();
    resumptions[i] = { callId, result: readBlsResult(reader) };
  }
  return resumptions;
}

/** One response of a decoupled model's stream (isolate -> host): the response, if any, and whether it is the final one. */
export function writeStreamResponse(writer: FrameWriter, response: ResponseDescriptor | undefined, final: boolean): void {
  writer.bool(final);
  writer.bool(response !== undefined);
  if (response !== undefined) writeResponse(writer, response);
}

export function readStreamResponse(reader: FrameReader): { response: ResponseDescriptor | undefined; final: boolean } {
  const final = reader.bool();
  return { final, response: reader.bool() ? readResponse(reader) : undefined };
}
