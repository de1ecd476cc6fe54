/**
 * Streaming inference over HTTP, through Triton's generate extension
 * (`POST /v2/models/{m}/generate_stream`, server-sent events): the only
 * streaming endpoint KServe v2 HTTP has.
 *
 * Its semantics are the generate extension's, not the infer protocol's:
 * - the request body names each input by key with its values as a flat JSON
 *   array; the server shapes it from the model's dims (the innermost -1 takes
 *   the elements), so an input's own shape is not sent;
 * - each event carries every output as plain values (one element: the value
 *   itself): the client types them from the model's metadata and shapes each
 *   as `[elements]`; other keys of an event are the response's parameters;
 * - an error after the stream started arrives as `{"error": "..."}` with no
 *   code (UNKNOWN here); one before it is an ordinary error answer.
 *
 * @example
 * ```ts
 * for await (const response of streamGenerate(transport, request, metadata, {})) {
 *   response.outputs[0].data; // BigInt64Array [1] for `generate`
 * }
 * ```
 */
import type { IncomingMessage } from 'node:http';
import { parseJsonExact } from '../codec/json-exact.ts';
import { writeParameters } from '../codec/json-parameters.ts';
import { tensorFromJsonData, tensorToJsonData } from '../codec/json-tensor-data.ts';
import { NereidError } from '../errors.ts';
import type { InferRequest, InferResponse, Parameters, ParameterValue } from '../inference.ts';
import type { Tensor } from '../tensor.ts';
import type { ModelMetadata } from './client-types.ts';
import { transportError, type HttpTransport } from './http-transport.ts';

const RESPONSE_KEYS = new Set(['id', 'model_name', 'model_version']);

/** The generate-extension body of `request`. */
export function generateBody(request: InferRequest): string {
  let json = '{';
  if (request.id) json += `"id":${JSON.stringify(request.id)},`;
  if (request.parameters && Object.keys(request.parameters).length > 0) json += `"parameters":${writeParameters(request.parameters)},`;
  request.inputs.forEach((tensor: Tensor, i) => {
    json += (i ? ',' : '') + `${JSON.stringify(tensor.name)}:${tensorToJsonData(tensor, `input '${tensor.name}'`)}`;
  });
  return json + '}';
}

/** The InferResponse of one event's JSON, typed by the model's metadata. */
export function generateResponse(event: Record<string, unknown>, metadata: ModelMetadata): InferResponse {
  if (typeof event.error === 'string') throw new NereidError('UNKNOWN', event.error);
  const response: InferResponse = { model: String(event.model_name ?? metadata.name), version: String(event.model_version ?? ''), outputs: [] };
  if (typeof event.id === 'string') response.id = event.id;
  const outputs = new Map(metadata.outputs.map((output) => [output.name, output]));
  let parameters: Parameters | undefined;
  for (const [key, value] of Object.entries(event)) {
    if (RESPONSE_KEYS.has(key)) continue;
    const output = outputs.get(key);
    if (output) {
      const data = Array.isArray(value) ? value.flat(Infinity) : [value];
      response.outputs.push(tensorFromJsonData(key, output.datatype, [data.length], data, { what: `output '${key}'`, exact: true }));
    } else if (value !== null && typeof value !== 'object') {
      (parameters ??= {})[key] = value as ParameterValue;
    }
  }
  if (parameters) response.parameters = parameters;
  return response;
}

/** The `data:` payloads of server-sent events, as they arrive. */
async function* sseData(response: IncomingMessage): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let pending = '';
  for await (const chunk of response as AsyncIterable<Buffer>) {
    pending += decoder.decode(chunk, { stream: true });
    let end: number;
    while ((end = pending.indexOf('\n\n')) >= 0) {
      const event = pending.slice(0, end);
      pending = pending.slice(end + 2);
      const data = event
        .split('\n')
        .filter((line) => line.startsWith('data:'))
        .map((line) => line.slice(line.startsWith('data: ') ? 6 : 5))
        .join('\n');
      if (data) yield data;
    }
  }
}

/**
 * Runs `request` through `generate_stream` and yields each response.
 * Leaving the loop early closes the connection, which cancels the request.
 */
export async function* streamGenerate(
  transport: HttpTransport,
  path: string,
  request: InferRequest,
  metadata: ModelMetadata,
  signal: AbortSignal | undefined,
): AsyncGenerator<InferResponse> {
  const response = await transport.open('POST', path, { headers: { 'content-type': 'application/json' }, body: generateBody(request), signal });
  try {
    for await (const data of sseData(response)) {
      let event: unknown;
      try {
        event = parseJsonExact(data);
      } catch (error) {
        throw NereidError.internal(`generate_stream sent an event that is not JSON: ${data.slice(0, 200)}`, error);
      }
      yield generateResponse(event as Record<string, unknown>, metadata);
    }
  } catch (error) {
    throw transportError(error, signal);
  } finally {
    // Done early (a break, an error): closing the socket is how HTTP cancels the request.
    if (!response.complete) response.destroy();
  }
}
