/**
 * Per-model endpoints other than infer, each with and without
 * `/versions/{v}`: metadata (`GET /v2/models/{m}`), readiness
 * (`.../ready`: 200, or 400 "Model version not ready") and the model config
 * (`.../config`, Triton's JSON rendering as the server produces it).
 */
import type { FastifyInstance } from 'fastify';
import { stringifyJson } from '../../sdk/codec/json-exact.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { addRoute, modelTarget } from './add-route.ts';
import { sendErrorBody } from './error-reply.ts';
import { sendJson } from './reply-body.ts';

/** `/v2/models/:model` and `/v2/models/:model/versions/:version`, followed by `suffix`. */
export function modelUrls(suffix: string): string[] {
  return [`/v2/models/:model${suffix}`, `/v2/models/:model/versions/:version${suffix}`];
}

export function registerModelRoutes(app: FastifyInstance, server: InferenceServer): void {
  for (const url of modelUrls('')) {
    addRoute(app, 'GET', url, (request, reply) => {
      const { name, version } = modelTarget(request.params);
      return sendJson(reply, stringifyJson(server.modelMetadata(name, version)));
    });
  }
  for (const url of modelUrls('/ready')) {
    addRoute(app, 'GET', url, (request, reply) => {
      const { name, version } = modelTarget(request.params);
      if (!server.isModelReady(name, version)) return sendErrorBody(reply, 400, 'Model version not ready');
      return reply.code(200).send();
    });
  }
  for (const url of modelUrls('/config')) {
    addRoute(app, 'GET', url, (request, reply) => {
      const { name, version } = modelTarget(request.params);
      return sendJson(reply, stringifyJson(server.modelConfig(name, version)));
    });
  }
}
