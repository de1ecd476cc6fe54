/**
 * A real server behind the real gRPC frontend on 127.0.0.1 and a free port,
 * and a real @grpc/grpc-js client built from the same .proto files with
 * @grpc/proto-loader (its own protobufjs: an independent codec, as a
 * third-party client would have). Unary calls are promisified; 64-bit
 * integers arrive as strings, enums as names, defaults filled in.
 *
 * @example
 * ```ts
 * const h = await startGrpc({ modelRepository: [BUNDLED_MODELS] });
 * const { live } = await h.call('ServerLive', {});
 * await h.close();
 * ```
 */
import { dirname } from 'node:path';
import { credentials, loadPackageDefinition, Metadata, type ChannelCredentials, type Client, type ClientDuplexStream, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { createGrpcFrontend, type GrpcFrontend, type GrpcFrontendOptions } from '../../../runtime/grpc/grpc-frontend.ts';
import { GRPC_SERVICE_PROTO_PATH, HEALTH_PROTO_PATH } from '../../../sdk/proto/grpc-protos.ts';
import { createServer, type Server, type ServerOptions } from '../../../runtime/server/create-server.ts';
import { memoryLogger } from '../../server/support.ts';

const definition = loadSync([GRPC_SERVICE_PROTO_PATH, HEALTH_PROTO_PATH], {
  keepCase: true,
  longs: String,
  enums: String,
  defaults: true,
  oneofs: true,
  includeDirs: [dirname(GRPC_SERVICE_PROTO_PATH)],
});
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const loaded = loadPackageDefinition(definition) as any;

type UnaryMethod = (request: unknown, metadata: Metadata, callback: (error: ServiceError | null, response: unknown) => void) => void;

export interface GrpcClients {
  inference: Client & Record<string, UnaryMethod> & { ModelStreamInfer(metadata?: Metadata): ClientDuplexStream<unknown, unknown> };
  health: Client & Record<string, UnaryMethod>;
}

/** Clients of both services for `address` ("127.0.0.1:port"), insecure unless `channel` says otherwise. */
export function connect(address: string, channel: ChannelCredentials = credentials.createInsecure()): GrpcClients {
  const options = { 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1 };
  return {
    inference: new loaded.inference.GRPCInferenceService(address, channel, options),
    health: new loaded.grpc.health.v1.Health(address, channel, options),
  };
}

/** Calls a unary RPC; rejects with the ServiceError (code, details). */
export function callUnary<T = Record<string, unknown>>(client: Record<string, UnaryMethod>, rpc: string, request: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    client[rpc]!.call(client, request, new Metadata(), (error, response) => (error ? reject(error) : resolve(response as T)));
  });
}

/** The status code and message a call failed with (fails the test if it succeeded). */
export async function callError(client: Record<string, UnaryMethod>, rpc: string, request: unknown): Promise<{ code: number; details: string }> {
  try {
    await callUnary(client, rpc, request);
  } catch (error) {
    const { code, details } = error as ServiceError;
    return { code, details };
  }
  throw new Error(`${rpc} succeeded; expected an error`);
}

export interface RunningGrpc {
  server: Server;
  frontend: GrpcFrontend;
  port: number;
  clients: GrpcClients;
  logLines: string[];
  call<T = Record<string, unknown>>(rpc: string, request: unknown): Promise<T>;
  error(rpc: string, request: unknown): Promise<{ code: number; details: string }>;
  close(): Promise<void>;
}

export async function startGrpc(options: Omit<ServerOptions, 'log'>, frontendOptions: Omit<GrpcFrontendOptions, 'log' | 'port' | 'host'> = {}): Promise<RunningGrpc> {
  const log = memoryLogger();
  const server = await createServer({ ...options, log });
  const frontend = createGrpcFrontend(server, { ...frontendOptions, port: 0, host: '127.0.0.1', log });
  let port: number;
  try {
    ({ port } = await frontend.listen());
  } catch (error) {
    await server.close();
    throw error;
  }
  const clients = connect(`127.0.0.1:${port}`);
  return {
    server,
    frontend,
    port,
    clients,
    logLines: log.lines,
    call: (rpc, request) => callUnary(clients.inference, rpc, request),
    error: (rpc, request) => callError(clients.inference, rpc, request),
    async close() {
      clients.inference.close();
      clients.health.close();
      await frontend.close();
      await server.close();
    },
  };
}
