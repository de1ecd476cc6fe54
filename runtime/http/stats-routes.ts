/**
 * The statistics extension: `GET /v2/models/stats` (every loaded version of
 * every model), `/v2/models/{m}/stats` (every served version of `m`) and
 * `/v2/models/{m}/versions/{v}/stats`, answering Triton's
 * `{"model_stats": [...]}`; a model or version that is not loaded is a 400,
 * as Triton's INVALID_ARG.
 *
 * `/v2/models/stats` is a static route, which fastify prefers to the
 * `/v2/models/:model` metadata route, as Triton's URL patterns do.
 */
import type { FastifyInstance } from 'fastify';
import { stringifyJson } from '../../sdk/codec/json-exact.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { addRoute, modelTarget } from './add-route.ts';
import { modelUrls } from './model-routes.ts';
import { sendJson } from './reply-body.ts';

export function registerStatsRoutes(app: FastifyInstance, server: InferenceServer): void {
  addRoute(app, 'GET', '/v2/models/stats', (_request, reply) => sendJson(reply, stringifyJson(server.modelStatistics())));
  for (const url of modelUrls('/stats')) {
    addRoute(app, 'GET', url, (request, reply) => {
      const { name, version } = modelTarget(request.params);
      return sendJson(reply, stringifyJson(server.modelStatistics(name, version)));
    });
  }
}
