/**
 * Triton's logging extension over HTTP: `GET /v2/logging` answers every log
 * setting; `POST /v2/logging` with a JSON object of settings changes those
 * (all or nothing) and answers every setting as it now is. A bad name or
 * value is 400 with a message naming the setting and what it takes. gRPC
 * `LogSettings` changes the same settings (log-settings.ts).
 *
 * @example
 * ```sh
 * curl -d '{"log_verbose_level": 1}' localhost:8000/v2/logging
 * # {"log_file":"","log_info":true,"log_warning":true,"log_error":true,"log_verbose_level":1,"log_format":"default"}
 * ```
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { NereidError } from '../../sdk/errors.ts';
import type { LogSettings } from '../logging/log-settings.ts';
import { addRoutes } from './add-route.ts';
import { sendJson } from './reply-body.ts';
import { readJsonBody } from './request-body.ts';

export function registerLoggingRoutes(app: FastifyInstance, settings: LogSettings): void {
  const answer = (reply: FastifyReply): FastifyReply => sendJson(reply, JSON.stringify(settings.toTriton()));
  addRoutes(app, '/v2/logging', {
    GET: (_request, reply) => answer(reply),
    POST: (request, reply) => {
      const changes = readJsonBody(request, 'log settings request');
      if (changes === undefined) throw NereidError.invalidArg('log settings request: expected a JSON object of settings, e.g. {"log_verbose_level": 1}');
      settings.update(changes);
      return answer(reply);
    },
  });
}
