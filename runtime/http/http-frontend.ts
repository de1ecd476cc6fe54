/**
 * The HTTP/REST frontend: Triton's KServe v2 HTTP protocol over fastify, in
 * front of any `InferenceServer`. The only module that imports fastify.
 *
 * Lifecycle of a request, one file per stage: body read (request-body.ts) ->
 * route (add-route.ts + *-routes.ts) -> server call -> reply (reply-body.ts),
 * with every error leaving through error-reply.ts as `{"error": "..."}`.
 *
 * Tuned for the per-request overhead: no request logging, no schemas, no
 * fastify JSON parsing, keep-alive on (fastify's 72 s idle timeout).
 *
 * @example
 * ```ts
 * const http = createHttpFrontend(server, { port: 8000, log });
 * await http.listen();
 * // ...
 * await http.close(); // stops accepting, lets in-flight requests finish; does not close `server`
 * ```
 */
import Fastify, { type FastifyInstance, type InjectOptions, type LightMyRequestResponse } from 'fastify';
import type { InferenceServer } from '../server/server-api.ts';
import { createErrorHandler, handleClientError, handleFrameworkError, sendErrorBody } from './error-reply.ts';
import { type HttpFrontendOptions, resolveHttpOptions } from './http-options.ts';
import { registerGenerateRoutes } from './generate-route.ts';
import { registerInferRoute } from './infer-route.ts';
import { registerLoggingRoutes } from './logging-routes.ts';
import { registerModelRoutes } from './model-routes.ts';
import { registerRepositoryRoutes } from './repository-routes.ts';
import { createBodyReader } from './request-body.ts';
import { registerServerRoutes } from './server-routes.ts';
import { registerStatsRoutes } from './stats-routes.ts';
import { registerTraceRoutes } from './trace-routes.ts';

export type { HttpFrontendOptions } from './http-options.ts';

/** Where the frontend is listening. */
export interface HttpAddress {
  host: string;
  port: number;
}

export interface HttpFrontend {
  /** Starts listening on the configured host and port (port 0: any free port). */
  listen(): Promise<HttpAddress>;
  /** The bound address while listening, else undefined. */
  readonly address: HttpAddress | undefined;
  /** The bound port while listening, else undefined. */
  readonly port: number | undefined;
  /** Runs one request in-process, without a socket (fastify's inject), for tests. */
  inject(options: InjectOptions | string): Promise<LightMyRequestResponse>;
  /** Stops accepting connections and waits for in-flight requests. Does not close the InferenceServer. */
  close(): Promise<void>;
}

/** Builds the frontend; nothing listens until `listen()`. */
export function createHttpFrontend(server: InferenceServer, options: HttpFrontendOptions = {}): HttpFrontend {
  const resolved = resolveHttpOptions(options);
  const app: FastifyInstance = Fastify({
    // No logger at all: fastify then logs no requests (the hot path) and no errors (error-reply.ts does).
    logger: false,
    exposeHeadRoutes: false,
    // Let requests that arrive on open keep-alive connections during close() finish normally
    // instead of fastify's own 503 body.
    return503OnClosing: false,
    forceCloseConnections: 'idle',
    bodyLimit: resolved.maxInputSize,
    routerOptions: { maxParamLength: 1024 },
    clientErrorHandler: handleClientError,
    frameworkErrors: handleFrameworkError,
  });

  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', createBodyReader(resolved.maxInputSize));
  app.setErrorHandler(createErrorHandler(resolved.log));
  app.setNotFoundHandler((_request, reply) => {
    sendErrorBody(reply, 404, 'Not Found');
  });

  registerServerRoutes(app, server);
  registerModelRoutes(app, server);
  registerStatsRoutes(app, server);
  registerInferRoute(app, server);
  registerGenerateRoutes(app, server);
  registerRepositoryRoutes(app, server);
  registerLoggingRoutes(app, resolved.log.settings);
  registerTraceRoutes(app, server);

  let address: HttpAddress | undefined;
  return {
    async listen() {
      await app.listen({ port: resolved.port, host: resolved.host });
      const bound = app.server.address();
      address =
        bound && typeof bound === 'object'
          ? { host: bound.address, port: bound.port }
          : { host: resolved.host, port: resolved.port };
      return address;
    },
    get address() {
      return address;
    },
    get port() {
      return address?.port;
    },
    inject(injectOptions) {
      return app.inject(injectOptions);
    },
    async close() {
      const closed = app.close();
      // server.close() only reaps connections idle at that moment; a keep-alive connection whose
      // request was in flight would stay open (and close() pending) for the whole keep-alive timeout.
      // So keep reaping until everything is closed.
      const reaper = setInterval(() => app.server.closeIdleConnections(), 25);
      try {
        await closed;
      } finally {
        clearInterval(reaper);
      }
      address = undefined;
    },
  };
}
