/**
 * The gRPC client's view of sdk/proto/grpc_service.proto, loaded with
 * protobufjs (keeping the proto's snake_case names) so that 64-bit integers
 * decode as exact `Long`s and `bytes` fields as views of the received
 * message. Each RPC is a path plus its serialiser and deserialiser, which is
 * all grpc-js's `Client.makeUnaryRequest` / `makeBidiStreamRequest` need.
 *
 * @example
 * ```ts
 * const rpc = INFERENCE_RPCS.ServerLive;
 * client.makeUnaryRequest(rpc.path, rpc.serialize, rpc.deserialize, {}, callback);
 * ```
 */
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('../proto/', import.meta.url));

function loadRoot(): protobuf.Root {
  const root = new protobuf.Root();
  // `import "model_config.proto"` resolves next to the importing file.
  root.resolvePath = (_origin, target) => (target.startsWith('/') ? target : `${PROTO_DIR}${target}`);
  root.loadSync(`${PROTO_DIR}grpc_service.proto`, { keepCase: true });
  root.resolveAll();
  return root;
}

const root = loadRoot();

/** `Long`, as protobufjs reads and writes 64-bit integers. */
export const Long = protobuf.util.Long as unknown as typeof import('long').default;
export type LongValue = import('long').default;

/** One RPC of the inference service, ready for grpc-js's generic calls. */
export interface Rpc {
  path: string;
  serialize(value: object): Buffer;
  deserialize(bytes: Buffer): protobuf.Message;
  /** The response type, for `toObject`. */
  responseType: protobuf.Type;
}

function rpcsOf(serviceName: string): Record<string, Rpc> {
  const service = root.lookupService(serviceName);
  const rpcs: Record<string, Rpc> = {};
  for (const method of service.methodsArray) {
    method.resolve();
    const requestType = method.resolvedRequestType!;
    const responseType = method.resolvedResponseType!;
    rpcs[method.name] = {
      path: `/${serviceName}/${method.name}`,
      serialize: (value) => Buffer.from(requestType.encode(value as protobuf.Message).finish()),
      deserialize: (bytes) => responseType.decode(bytes),
      responseType,
    };
  }
  return rpcs;
}

/** Every RPC of `inference.GRPCInferenceService`, by method name. */
export const INFERENCE_RPCS: Readonly<Record<string, Rpc>> = Object.freeze(rpcsOf('inference.GRPCInferenceService'));

/** How answers other than inference become plain objects: enums by name, 64-bit integers as numbers, defaults present. */
export const PLAIN_OBJECT: protobuf.IConversionOptions = Object.freeze({ longs: Number, enums: String, defaults: true, arrays: true, objects: true });
