/**
 * Route registration with Triton's verb handling: a known path asked with the
 * wrong verb answers 405 `{"error":"Method Not Allowed"}` (fastify would say
 * 404), and model paths resolve their `:model` / `:version` segments the way
 * Triton's path pattern does.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { NereidError } from '../../sdk/errors.ts';
import { sendErrorBody } from './error-reply.ts';

const ALL_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'] as const;
type Method = (typeof ALL_METHODS)[number];

function methodNotAllowed(_request: FastifyRequest, reply: FastifyReply): FastifyReply {
  return sendErrorBody(reply, 405, 'Method Not Allowed');
}

/** Registers `handler` for `method` on `url`, and 405 for every other verb there. */
export function addRoute(app: FastifyInstance, method: Method, url: string, handler: RouteHandlerMethod): void {
  addRoutes(app, url, { [method]: handler });
}

/** Registers a handler per verb on `url`, and 405 for every other verb there. */
export function addRoutes(app: FastifyInstance, url: string, handlers: Partial<Record<Method, RouteHandlerMethod>>): void {
  for (const [method, handler] of Object.entries(handlers)) app.route({ method, url, handler });
  app.route({ method: ALL_METHODS.filter((other) => !(other in handlers)), url, handler: methodNotAllowed });
}

/** A model (and optional version) named by a URL. */
export interface ModelTarget {
  name: string;
  /** Decimal version without leading zeros; absent when the URL has no `/versions/{v}`. */
  version?: string;
}

/**
 * The model a `/v2/models/:model[/versions/:version]/...` URL names. fastify
 * has already percent-decoded the segments. Like Triton's pattern
 * (`[^/]+` and `[0-9]+`), an empty name or a non-numeric version is simply not
 * a route (404); a numeric version must also be a positive integer.
 */
export function modelTarget(params: unknown): ModelTarget {
  const { model, version } = params as { model?: string; version?: string };
  if (!model) throw NereidError.notFound('Not Found');
  if (version === undefined) return { name: model };
  if (!/^[0-9]+$/.test(version)) throw NereidError.notFound('Not Found');
  const number = Number(version);
  if (number < 1 || !Number.isSafeInteger(number)) {
    throw NereidError.invalidArg(`invalid model version '${version}' for model '${model}': versions are positive integers`);
  }
  return { name: model, version: String(number) };
}
