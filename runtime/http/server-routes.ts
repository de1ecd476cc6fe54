/**
 * Server-wide endpoints: `GET /v2` (server metadata) and
 * `GET /v2/health/live|ready`. Health answers 200 or 400 with an empty body, as Triton.
 */
import type { FastifyInstance } from 'fastify';
import { stringifyJson } from '../../sdk/codec/json-exact.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { addRoute } from './add-route.ts';
import { sendJson } from './reply-body.ts';

export function registerServerRoutes(app: FastifyInstance, server: InferenceServer): void {
  addRoute(app, 'GET', '/v2', (_request, reply) => sendJson(reply, stringifyJson(server.metadata())));
  addRoute(app, 'GET', '/v2/health/live', (_request, reply) => reply.code(server.isLive() ? 200 : 400).send());
  addRoute(app, 'GET', '/v2/health/ready', (_request, reply) => reply.code(server.isReady() ? 200 : 400).send());
}
