/**
 * The one loader of our gRPC protos (grpc_service.proto, which imports
 * model_config.proto, and health.proto) with protobufjs, for the gRPC
 * frontend and the gRPC client alike.
 *
 * protobufjs directly, not @grpc/proto-loader: 64-bit integers stay exact
 * `Long`s and `bytes` fields stay views of the received buffer. Field names
 * keep their snake_case (`keepCase`), as the proto spells them.
 *
 * @example
 * ```ts
 * const [live] = grpcMethods('inference.GRPCInferenceService').filter((m) => m.name === 'ServerLive');
 * live.path; // '/inference.GRPCInferenceService/ServerLive'
 * ```
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('./', import.meta.url));

/** Absolute paths of the .proto files, for clients and tests that build from the same files. */
export const GRPC_SERVICE_PROTO_PATH = `${PROTO_DIR}grpc_service.proto`;
export const HEALTH_PROTO_PATH = `${PROTO_DIR}health.proto`;

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // `import "model_config.proto"` resolves next to the importing file.
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${PROTO_DIR}${target}`);
  root.loadSync([GRPC_SERVICE_PROTO_PATH, HEALTH_PROTO_PATH], { keepCase: true });
  root.resolveAll();
  return root;
}

/** Packages `inference` (service + model config) and `grpc.health.v1`. */
export const grpcRoot: protobuf.Root = loadRoot();

/** `Long`, as protobufjs decodes 64-bit integers. */
export const Long = protobuf.util.Long as unknown as typeof import('long').default;
export type LongValue = import('long').default;

/** One RPC of a service: its path, message types and streaming sides. */
export interface GrpcMethod {
  readonly name: string;
  readonly path: string;
  readonly requestType: protobuf.Type;
  readonly responseType: protobuf.Type;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** The methods of service `fullName` (e.g. `inference.GRPCInferenceService`). */
export function grpcMethods(fullName: string): GrpcMethod[] {
  return grpcRoot.lookupService(fullName).methodsArray.map((method) => {
    method.resolve();
    return {
      name: method.name,
      path: `/${fullName}/${method.name}`,
      requestType: method.resolvedRequestType!,
      responseType: method.resolvedResponseType!,
      requestStream: method.requestStream === true,
      responseStream: method.responseStream === true,
    };
  });
}

/** `value` encoded as `type`, in a Buffer (what grpc-js sends). */
export function encodeMessage(type: protobuf.Type, value: unknown): Buffer {
  return Buffer.from(type.encode(value as protobuf.Message).finish());
}
