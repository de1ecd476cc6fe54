/**
 * The gRPC frontend's service definitions: our protos (sdk/proto/grpc-protos.ts
 * loads them) as grpc-js `ServiceDefinition`s, each method serialising with
 * its protobufjs type directly.
 */
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import { encodeMessage, grpcMethods } from '../../sdk/proto/grpc-protos.ts';

export { grpcRoot, type LongValue } from '../../sdk/proto/grpc-protos.ts';

function serviceDefinition(fullName: string): ServiceDefinition {
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of grpcMethods(fullName)) {
    definition[method.name] = {
      path: method.path,
      requestStream: method.requestStream,
      responseStream: method.responseStream,
      requestSerialize: (value: unknown) => encodeMessage(method.requestType, value),
      requestDeserialize: (bytes: Buffer) => method.requestType.decode(bytes),
      responseSerialize: (value: unknown) => encodeMessage(method.responseType, value),
      responseDeserialize: (bytes: Buffer) => method.responseType.decode(bytes),
      originalName: method.name,
    };
  }
  return definition;
}

/** grpc-js definition of `inference.GRPCInferenceService`, every RPC. */
export const INFERENCE_SERVICE: ServiceDefinition = serviceDefinition('inference.GRPCInferenceService');

/** grpc-js definition of `grpc.health.v1.Health` (Check). */
export const HEALTH_SERVICE: ServiceDefinition = serviceDefinition('grpc.health.v1.Health');
