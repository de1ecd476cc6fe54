/**
 * The model repository extension: `POST /v2/repository/index` (optional body
 * `{"ready": bool}`), `POST /v2/repository/models/{m}/load` (optional body
 * `{"parameters": {"config": "<json>", "file:<version>/<path>": "<base64>"}}`)
 * and `.../unload` (optional `{"parameters": {"unload_dependents": bool}}`).
 * Naming a repository (`/v2/repository/{r}/...`) is UNSUPPORTED, as in Triton.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { stringifyJson } from '../../sdk/codec/json-exact.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferenceServer, LoadModelOptions } from '../server/server-api.ts';
import { addRoute } from './add-route.ts';
import { sendEmpty, sendJson } from './reply-body.ts';
import { readJsonBody } from './request-body.ts';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}(?:==)?|[A-Za-z0-9+/]{3}=?)?$/;

function readParametersObject(json: Record<string, unknown> | undefined, what: string): Record<string, unknown> | undefined {
  const parameters = json?.parameters;
  if (parameters === undefined) return undefined;
  if (typeof parameters !== 'object' || parameters === null || Array.isArray(parameters)) {
    throw NereidError.invalidArg(`${what}: 'parameters' must be an object`);
  }
  return parameters as Record<string, unknown>;
}

/** `{"parameters": {...}}` of a load request -> LoadModelOptions. */
export function readLoadOptions(json: Record<string, unknown> | undefined, model: string): LoadModelOptions {
  const what = `load request for model '${model}'`;
  const parameters = readParametersObject(json, what);
  const options: LoadModelOptions = {};
  if (!parameters) return options;
  for (const [key, value] of Object.entries(parameters)) {
    if (typeof value !== 'string') throw NereidError.invalidArg(`${what}: parameter '${key}' must be a string`);
    if (key === 'config') options.config = value;
    else if (key.startsWith('file:')) {
      const path = key.slice(5);
      if (!path) throw NereidError.invalidArg(`${what}: parameter '${key}' must name a file, as 'file:<version>/<path>'`);
      const base64 = value.replace(/\s+/g, '');
      if (!BASE64.test(base64)) throw NereidError.invalidArg(`${what}: parameter '${key}' is not valid base64`);
      (options.files ??= {})[path] = new Uint8Array(Buffer.from(base64, 'base64'));
    } else {
      throw NereidError.invalidArg(`${what}: unknown parameter '${key}'; expected 'config' or 'file:<version>/<path>'`);
    }
  }
  if (options.files && options.config === undefined) {
    throw NereidError.invalidArg(`${what}: 'file:' parameters need a 'config' parameter too, to override the model files`);
  }
  return options;
}

/** The `:model` of a repository URL; empty is not a route (Triton's pattern needs `[^/]+`). */
function modelParam(request: FastifyRequest): string {
  const { model } = request.params as { model?: string };
  if (!model) throw NereidError.notFound('Not Found');
  return model;
}

function repositoryNameUnsupported(): never {
  throw NereidError.unsupported("'repository_name' specification is not supported");
}

export function registerRepositoryRoutes(app: FastifyInstance, server: InferenceServer): void {
  addRoute(app, 'POST', '/v2/repository/index', async (request, reply) => {
    const json = readJsonBody(request, 'repository index request');
    const ready = json?.ready;
    if (ready !== undefined && typeof ready !== 'boolean') {
      throw NereidError.invalidArg(`repository index request: 'ready' must be a boolean, got ${JSON.stringify(ready)}`);
    }
    const index = await server.repositoryIndex(ready === undefined ? {} : { ready });
    return sendJson(reply, stringifyJson(index));
  });

  addRoute(app, 'POST', '/v2/repository/models/:model/load', async (request, reply) => {
    const model = modelParam(request);
    const options = readLoadOptions(readJsonBody(request, 'load request'), model);
    await server.loadModel(model, options);
    return sendEmpty(reply, 'application/json');
  });

  addRoute(app, 'POST', '/v2/repository/models/:model/unload', async (request, reply) => {
    const model = modelParam(request);
    const what = `unload request for model '${model}'`;
    const parameters = readParametersObject(readJsonBody(request, 'unload request'), what);
    const unloadDependents = parameters?.unload_dependents;
    if (unloadDependents !== undefined && typeof unloadDependents !== 'boolean') {
      throw NereidError.invalidArg(`${what}: 'unload_dependents' must be a boolean, got ${JSON.stringify(unloadDependents)}`);
    }
    await server.unloadModel(model, { unloadDependents: unloadDependents === true });
    return sendEmpty(reply, 'application/json');
  });

  addRoute(app, 'POST', '/v2/repository/:repository/index', repositoryNameUnsupported);
  addRoute(app, 'POST', '/v2/repository/:repository/models/:model/load', repositoryNameUnsupported);
  addRoute(app, 'POST', '/v2/repository/:repository/models/:model/unload', repositoryNameUnsupported);
}
