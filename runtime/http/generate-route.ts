/**
 * Triton's generate extension: `POST /v2/models/{m}[/versions/{v}]/generate`
 * and `/generate_stream` (server-sent events), the natural front door for
 * token streaming from a decoupled model.
 *
 * Request body: a JSON object whose keys that name a model input become that
 * input (a scalar or an array; the shape is the input's with the innermost
 * -1 taking the remaining elements and other -1 dims 1), `id`, and
 * `parameters`; any other key becomes a request parameter too. Each response
 * is `{ id?, model_name, model_version, <output>: value }`, a one-element
 * output as a plain value, plus the response's parameters.
 *
 * `/generate` wants exactly one response. `/generate_stream` writes each
 * response as `data: <json>\n\n` as the model sends it; an error after the
 * stream has started arrives as `data: {"error": "..."}`; one before (an
 * unknown model, a bad input) is an ordinary JSON error reply.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { tensorFromJsonData, tensorToJsonData } from '../../sdk/codec/json-tensor-data.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferRequest, InferResponse, InferStreamItem } from '../../sdk/inference.ts';
import type { Tensor } from '../../sdk/tensor.ts';
import type { InferenceServer, TensorMetadata } from '../server/server-api.ts';
import { addRoute, modelTarget } from './add-route.ts';
import { modelUrls } from './model-routes.ts';

const RESERVED_KEYS = new Set(['id', 'parameters']);

/** The shape of `count` elements for an input declared with `dims` (Triton's generate padding rule). */
function shapeFor(dims: readonly number[], count: number, what: string): number[] {
  const fixed = dims.filter((d) => d >= 0).reduce((a, b) => a * b, 1);
  const innermost = dims.lastIndexOf(-1);
  if (innermost < 0) {
    if (fixed !== count) throw NereidError.invalidArg(`${what}: the model expects ${fixed} elements, got ${count}`);
    return [...dims];
  }
  if (fixed === 0 || count % fixed !== 0) throw NereidError.invalidArg(`${what}: ${count} elements do not fill the shape [${dims.join(', ')}]`);
  return dims.map((d, i) => (i === innermost ? count / fixed : d < 0 ? 1 : d));
}

/** The InferRequest a generate body describes. */
function generateRequest(server: InferenceServer, name: string, version: string | undefined, body: unknown): InferRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw NereidError.invalidArg('the generate request body must be a JSON object');
  const fields = body as Record<string, unknown>;
  const inputs = new Map<string, TensorMetadata>(server.modelMetadata(name, version).inputs.map((input) => [input.name, input]));
  const tensors: Tensor[] = [];
  const parameters: Record<string, string | number | boolean> = {};
  const given = fields.parameters;
  if (given !== undefined) {
    if (typeof given !== 'object' || given === null || Array.isArray(given)) throw NereidError.invalidArg("'parameters' must be a JSON object");
    Object.assign(parameters, given);
  }
  for (const [key, value] of Object.entries(fields)) {
    if (RESERVED_KEYS.has(key)) continue;
    const input = inputs.get(key);
    if (input) {
      const data = Array.isArray(value) ? value.flat(Infinity) : [value];
      const what = `input '${key}' of model '${name}'`;
      tensors.push(tensorFromJsonData(key, input.datatype, shapeFor(input.shape, data.length, what), data, { what }));
    } else if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') {
      parameters[key] = value;
    } else {
      throw NereidError.invalidArg(`'${key}' is neither an input of model '${name}' nor a parameter (a string, number or boolean)`);
    }
  }
  const request: InferRequest = { model: name, inputs: tensors, parameters };
  if (version !== undefined) request.version = version;
  if (typeof fields.id === 'string') request.id = fields.id;
  return request;
}

/** A response as the generate extension writes it. */
function responseJson(response: InferResponse): string {
  let out = `{${response.id !== undefined ? `"id":${JSON.stringify(response.id)},` : ''}"model_name":${JSON.stringify(response.model)},"model_version":${JSON.stringify(response.version)}`;
  for (const tensor of response.outputs) {
    const data = tensorToJsonData(tensor);
    // One element: the value itself ('[x]' -> 'x').
    out += `,${JSON.stringify(tensor.name)}:${tensor.data.length === 1 ? data.slice(1, -1) : data}`;
  }
  for (const [key, value] of Object.entries(response.parameters ?? {})) out += `,${JSON.stringify(key)}:${JSON.stringify(typeof value === 'bigint' ? value.toString() : value)}`;
  return `${out}}`;
}

function parseBody(request: FastifyRequest): unknown {
  const body = request.body as Buffer | undefined;
  if (!body || body.length === 0) throw NereidError.invalidArg('the generate request needs a JSON body');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw NereidError.invalidArg(`the generate request body is not JSON: ${(error as Error).message}`);
  }
}

/** Cancels the request when the client goes away before the reply is complete. */
function cancelOnDisconnect(reply: FastifyReply, request: InferRequest): void {
  const cancel = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) cancel.abort();
  });
  request.signal = cancel.signal;
}

export function registerGenerateRoutes(app: FastifyInstance, server: InferenceServer): void {
  async function generate(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { name, version } = modelTarget(request.params);
    const inferRequest = generateRequest(server, name, version, parseBody(request));
    cancelOnDisconnect(reply, inferRequest);
    const responses: InferResponse[] = [];
    for await (const item of server.inferStream(inferRequest)) {
      if (item.error) throw item.error;
      if (item.response) responses.push(item.response);
    }
    if (responses.length !== 1) {
      throw NereidError.invalidArg(`generate expects exactly one response from model '${name}', got ${responses.length}; use generate_stream`);
    }
    reply.header('content-type', 'application/json').send(responseJson(responses[0]!));
  }

  async function generateStream(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { name, version } = modelTarget(request.params);
    const inferRequest = generateRequest(server, name, version, parseBody(request));
    cancelOnDisconnect(reply, inferRequest);
    // Errors up to here are ordinary error replies; from here on the stream has started.
    const stream: AsyncIterable<InferStreamItem> = server.inferStream(inferRequest);
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' });
    try {
      for await (const item of stream) {
        if (item.error) raw.write(`data: ${JSON.stringify({ error: item.error.message })}\n\n`);
        else if (item.response) raw.write(`data: ${responseJson(item.response)}\n\n`);
      }
    } catch (error) {
      raw.write(`data: ${JSON.stringify({ error: NereidError.from(error).message })}\n\n`);
    }
    raw.end();
  }

  for (const url of modelUrls('/generate')) addRoute(app, 'POST', url, generate);
  for (const url of modelUrls('/generate_stream')) addRoute(app, 'POST', url, generateStream);
}
