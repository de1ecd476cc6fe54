/**
 * The gRPC client's view of sdk/proto/grpc_service.proto (loaded by
 * sdk/proto/grpc-protos.ts, so 64-bit integers decode as exact `Long`s and
 * `bytes` fields as views of the received message). Each RPC is a path plus its serialiser and deserialiser, which is
 * all grpc-js's `Client.makeUnaryRequest` / `makeBidiStreamRequest` need.
 *
 * @example
 * ```ts
 * const rpc = INFERENCE_RPCS.ServerLive;
 * client.makeUnaryRequest(rpc.path, rpc.serialize, rpc.deserialize, {}, callback);
 * ```
 */
import type protobuf from 'protobufjs';
import { encodeMessage, grpcMethods } from '../proto/grpc-protos.ts';

/** One RPC of the inference service, ready for grpc-js's generic calls. */
export interface Rpc {
  path: string;
  serialize(value: object): Buffer;
  deserialize(bytes: Buffer): protobuf.Message;
  /** The response type, for `toObject`. */
  responseType: protobuf.Type;
}

function rpcsOf(serviceName: string): Record<string, Rpc> {
  const rpcs: Record<string, Rpc> = {};
  for (const method of grpcMethods(serviceName)) {
    rpcs[method.name] = {
      path: method.path,
      serialize: (value) => encodeMessage(method.requestType, value),
      deserialize: (bytes) => method.responseType.decode(bytes),
      responseType: method.responseType,
    };
  }
  return rpcs;
}

/** Every RPC of `inference.GRPCInferenceService`, by method name. */
export const INFERENCE_RPCS: Readonly<Record<string, Rpc>> = Object.freeze(rpcsOf('inference.GRPCInferenceService'));

/** How answers other than inference become plain objects: enums by name, 64-bit integers as numbers, defaults present. */
export const PLAIN_OBJECT: protobuf.IConversionOptions = Object.freeze({ longs: Number, enums: String, defaults: true, arrays: true, objects: true });
