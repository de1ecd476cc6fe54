/**
 * `POST /v2/models/{m}[/versions/{v}]/infer`, the hot path: decode the body
 * (JSON header + binary tensors, inputs viewing the body), call
 * `server.infer()`, encode the response with the request's binary/JSON
 * choices, and write it without joining the tensor bytes. No per-request
 * schema, logging or copying beyond the one body read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { RequestHeaderCache } from '../../sdk/codec/request-header-cache.ts';
import { encodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { addRoute, modelTarget } from './add-route.ts';
import { modelUrls } from './model-routes.ts';
import { sendMessage } from './reply-body.ts';

const EMPTY_BODY = new Uint8Array(0);

/**
 * What fastify does when an async handler rejects: the error goes to the
 * error handler (error-reply.ts), unless the reply has already left.
 */
function fail(reply: FastifyReply, error: unknown): void {
  if (reply.sent) return;
  reply.send(error instanceof Error ? error : NereidError.from(error));
}

export function registerInferRoute(app: FastifyInstance, server: InferenceServer): void {
  // Clients repeat the same JSON header request after request: decode each distinct one once.
  const headerCache = new RequestHeaderCache();
  // Not an async function: fastify would chain one more promise onto it. What
  // throws before the server call reaches fastify's error path directly; the
  // server's answer is settled here, as fastify would settle it.
  function infer(request: FastifyRequest, reply: FastifyReply): void {
    const { name, version } = modelTarget(request.params);
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      throw NereidError.unsupported(`Content-Encoding '${encoding}' is not supported yet; send the request body uncompressed`);
    }
    const body = (request.body as Buffer | undefined) ?? EMPTY_BODY;
    const headerLength = request.headers['inference-header-content-length'] as string | undefined;
    const inferRequest = decodeInferRequest(body, { model: name, version, headerLength, headerCache });
    // A client that goes away before its answer cancels the request: dropped if still queued, visible to a model.ts.
    const cancel = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) cancel.abort();
    });
    inferRequest.signal = cancel.signal;
    server.infer(inferRequest).then(
      (response) => {
        try {
          sendMessage(reply, encodeInferResponse(response, inferRequest));
        } catch (error) {
          fail(reply, error);
        }
      },
      (error: unknown) => fail(reply, error),
    );
  }
  for (const url of modelUrls('/infer')) addRoute(app, 'POST', url, infer);
}
