/**
 * Server-wide and per-model RPCs other than inference: ServerLive,
 * ServerReady, ModelReady, ServerMetadata, ModelMetadata, ModelConfig,
 * ModelStatistics, and the standard `grpc.health.v1.Health/Check`.
 * Each answers from the in-process server's own API, as HTTP's routes do.
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { Logger } from '../logging/logger.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { grpcRoot } from './grpc-proto.ts';
import { unary } from './grpc-reply.ts';

interface ModelRequest {
  name: string;
  version: string;
}

const ModelConfigType = grpcRoot.lookupType('inference.ModelConfig');

/** The services a health check may name: the server as a whole, or the inference service. */
const HEALTH_SERVICES = new Set(['', 'inference.GRPCInferenceService']);
const SERVING = 1;
const NOT_SERVING = 2;

/** `version` of a request, where empty means "let the version policy choose". */
const versionOf = (request: ModelRequest): string | undefined => request.version || undefined;

/**
 * The config message of a model: the server's JSON rendering (enums by name,
 * 64-bit integers as numbers, every default present) read back into
 * `inference.ModelConfig`, the same schema the JSON was rendered from.
 */
function modelConfigMessage(rendered: Record<string, unknown>): unknown {
  return ModelConfigType.fromObject(rendered);
}

export function serverRpcs(server: InferenceServer, log: Logger): UntypedServiceImplementation {
  return {
    ServerLive: unary(log, 'ServerLive', () => ({ live: server.isLive() })),
    ServerReady: unary(log, 'ServerReady', () => ({ ready: server.isReady() })),
    ModelReady: unary(log, 'ModelReady', (request: ModelRequest) => ({ ready: server.isModelReady(request.name, versionOf(request)) })),
    ServerMetadata: unary(log, 'ServerMetadata', () => server.metadata()),
    ModelMetadata: unary(log, 'ModelMetadata', (request: ModelRequest) => server.modelMetadata(request.name, versionOf(request))),
    ModelConfig: unary(log, 'ModelConfig', (request: ModelRequest) => ({
      config: modelConfigMessage(server.modelConfig(request.name, versionOf(request))),
    })),
    ModelStatistics: unary(log, 'ModelStatistics', (request: ModelRequest) => server.modelStatistics(request.name || undefined, versionOf(request))),
  };
}

export function healthRpcs(server: InferenceServer, log: Logger): UntypedServiceImplementation {
  return {
    Check: unary(log, 'Health/Check', (request: { service: string }) => {
      if (!HEALTH_SERVICES.has(request.service)) throw NereidError.notFound(`unknown service '${request.service}'`);
      return { status: server.isReady() ? SERVING : NOT_SERVING };
    }),
  };
}
