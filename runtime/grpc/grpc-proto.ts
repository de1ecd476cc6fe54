/**
 * The one place that loads sdk/proto/grpc_service.proto (which imports
 * model_config.proto) and health.proto with protobufjs, and turns their
 * services into grpc-js service definitions.
 *
 * No @grpc/proto-loader: each method serialises with the protobufjs type
 * directly, so 64-bit integers stay `Long`s (exact) on the way in and
 * `bytes` fields stay views of the received buffer (no copies).
 * Field names keep their snake_case (`keepCase`), as the proto spells them.
 */
import { fileURLToPath } from 'node:url';
import type { MethodDefinition, ServiceDefinition } from '@grpc/grpc-js';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('../../sdk/proto/', import.meta.url));

/** Absolute paths of our .proto files, for tests and clients that build from the same files. */
export const GRPC_SERVICE_PROTO_PATH = `${PROTO_DIR}grpc_service.proto`;
export const HEALTH_PROTO_PATH = `${PROTO_DIR}health.proto`;

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // `import "model_config.proto"` resolves next to the importing file.
  root.resolvePath = (origin, target) => (target.startsWith('/') ? target : `${PROTO_DIR}${target}`);
  root.loadSync([GRPC_SERVICE_PROTO_PATH, HEALTH_PROTO_PATH], { keepCase: true });
  root.resolveAll();
  return root;
}

/** Packages `inference` (service + model config) and `grpc.health.v1`. */
export const grpcRoot: protobuf.Root = loadRoot();

/** `Long`, as protobufjs decodes 64-bit integers. */
export const Long = protobuf.util.Long as unknown as typeof import('long').default;
export type LongValue = import('long').default;

function serviceDefinition(fullName: string): ServiceDefinition {
  const service = grpcRoot.lookupService(fullName);
  const definition: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    definition[method.name] = {
      path: `/${fullName}/${method.name}`,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
      requestSerialize: (value: unknown) => Buffer.from(requestType.encode(value as protobuf.Message).finish()),
      requestDeserialize: (bytes: Buffer) => requestType.decode(bytes),
      responseSerialize: (value: unknown) => Buffer.from(responseType.encode(value as protobuf.Message).finish()),
      responseDeserialize: (bytes: Buffer) => responseType.decode(bytes),
      originalName: method.name,
    };
  }
  return definition;
}

/** grpc-js definition of `inference.GRPCInferenceService`, every RPC. */
export const INFERENCE_SERVICE: ServiceDefinition = serviceDefinition('inference.GRPCInferenceService');

/** grpc-js definition of `grpc.health.v1.Health` (Check). */
export const HEALTH_SERVICE: ServiceDefinition = serviceDefinition('grpc.health.v1.Health');
