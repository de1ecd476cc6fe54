/**
 * `POST /v2/models/{m}[/versions/{v}]/infer`, the hot path: decode the body
 * (JSON header + binary tensors, inputs viewing the body), call
 * `server.infer()`, encode the response with the request's binary/JSON
 * choices, and write it without joining the tensor bytes. No per-request
 * schema, logging or copying beyond the one body read.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { decodeInferRequest } from '../../sdk/codec/http-infer-request.ts';
import { encodeInferResponse } from '../../sdk/codec/http-infer-response.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { addRoute, modelTarget } from './add-route.ts';
import { modelUrls } from './model-routes.ts';
import { sendMessage } from './reply-body.ts';

const EMPTY_BODY = new Uint8Array(0);

export function registerInferRoute(app: FastifyInstance, server: InferenceServer): void {
  async function infer(request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const { name, version } = modelTarget(request.params);
    const encoding = request.headers['content-encoding'];
    if (encoding !== undefined && encoding !== 'identity') {
      throw NereidError.unsupported(`Content-Encoding '${encoding}' is not supported yet; send the request body uncompressed`);
    }
    const body = (request.body as Buffer | undefined) ?? EMPTY_BODY;
    const headerLength = request.headers['inference-header-content-length'] as string | undefined;
    const inferRequest = decodeInferRequest(body, { model: name, version, headerLength });
    const response = await server.infer(inferRequest);
    sendMessage(reply, encodeInferResponse(response, inferRequest));
  }
  for (const url of modelUrls('/infer')) addRoute(app, 'POST', url, infer);
}
