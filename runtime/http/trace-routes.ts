/**
 * Triton's trace extension over HTTP: `GET /v2/trace/setting` and
 * `GET /v2/models/{m}/trace/setting` answer the settings;
 * `POST` with a JSON object of settings changes them (a `null` value clears
 * one) and answers them as they now are (runtime/tracing/).
 *
 * @example
 * ```sh
 * curl -d '{"trace_level": ["TIMESTAMPS"], "trace_rate": "1", "trace_file": "/tmp/trace.json", "log_frequency": "100"}' \
 *   localhost:8000/v2/trace/setting
 * ```
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { NereidError } from '../../sdk/errors.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { answerTraceSetting } from '../tracing/trace-requests.ts';
import type { TraceSettingValue } from '../tracing/trace-settings.ts';
import { addRoutes } from './add-route.ts';
import { sendJson } from './reply-body.ts';
import { readJsonBody } from './request-body.ts';

function readChanges(request: FastifyRequest): Record<string, TraceSettingValue> {
  const json = readJsonBody(request, 'trace setting request') ?? {};
  for (const [name, value] of Object.entries(json)) {
    const ok = value === null || typeof value === 'string' || (Array.isArray(value) && value.every((item) => typeof item === 'string'));
    if (!ok) throw NereidError.invalidArg(`trace setting '${name}' must be a string, a list of strings or null, got ${JSON.stringify(value)}`);
  }
  return json as Record<string, TraceSettingValue>;
}

export function registerTraceRoutes(app: FastifyInstance, server: InferenceServer): void {
  const model = (request: FastifyRequest): string | undefined => (request.params as { model?: string }).model;
  for (const url of ['/v2/trace/setting', '/v2/models/:model/trace/setting']) {
    addRoutes(app, url, {
      GET: (request, reply) => sendJson(reply, JSON.stringify(answerTraceSetting(server, model(request), undefined))),
      POST: (request, reply) => sendJson(reply, JSON.stringify(answerTraceSetting(server, model(request), readChanges(request)))),
    });
  }
}
