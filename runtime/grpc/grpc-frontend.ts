/**
 * The gRPC frontend: Triton's `inference.GRPCInferenceService` (every RPC)
 * and `grpc.health.v1.Health`, over @grpc/grpc-js, in front of any
 * `InferenceServer`. With the gRPC client, the only modules that import
 * grpc-js.
 *
 * One file per group of RPCs: server-rpcs.ts (health, metadata, config,
 * statistics), infer-rpcs.ts (ModelInfer, ModelStreamInfer),
 * repository-rpcs.ts, settings-rpcs.ts (shared memory, trace, log); every
 * error leaves through grpc-reply.ts with its status from error-status.ts.
 *
 * @example
 * ```ts
 * const grpc = createGrpcFrontend(server, { port: 8001, log });
 * const { host, port } = await grpc.listen();
 * // ...
 * await grpc.close(); // stops accepting, finishes in-flight calls; does not close `server`
 * ```
 */
import { Server as GrpcServer, ServerCredentials } from '@grpc/grpc-js';
import { createLogger, type Logger } from '../logging/logger.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { HEALTH_SERVICE, INFERENCE_SERVICE } from './grpc-proto.ts';
import type { GrpcTransport } from './grpc-transport.ts';
import { inferRpcs, StreamRegistry } from './infer-rpcs.ts';
import { repositoryRpcs } from './repository-rpcs.ts';
import { healthRpcs, serverRpcs } from './server-rpcs.ts';
import { settingsRpcs } from './settings-rpcs.ts';

export interface GrpcFrontendOptions {
  /** Default 8001; 0 picks a free port. */
  port?: number;
  /** Default 0.0.0.0. */
  host?: string;
  /** The server log: LogSettings reports and changes its settings. */
  log?: Logger;
  /** How long close() lets in-flight calls finish before cancelling them (default 30 s). */
  closeTimeoutMs?: number;
  /** TLS and keepalive (grpc-transport.ts); default: insecure, Triton's keepalive defaults. */
  transport?: GrpcTransport;
}

export interface GrpcAddress {
  host: string;
  port: number;
}

export interface GrpcFrontend {
  /** Starts listening on the configured host and port (port 0: any free port). */
  listen(): Promise<GrpcAddress>;
  /** The bound address while listening, else undefined. */
  readonly address: GrpcAddress | undefined;
  readonly port: number | undefined;
  /**
   * Stops accepting calls, lets in-flight calls finish (a stream ends once
   * its requests are answered), then resolves. Does not close the InferenceServer.
   */
  close(): Promise<void>;
}

/** `host:port` for grpc-js, with IPv6 literals in brackets. */
function target(host: string, port: number): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]:${port}` : `${host}:${port}`;
}

/** Builds the frontend; nothing listens until `listen()`. */
export function createGrpcFrontend(server: InferenceServer, options: GrpcFrontendOptions = {}): GrpcFrontend {
  const host = options.host ?? '0.0.0.0';
  const port = options.port ?? 8001;
  const log = options.log ?? createLogger();
  const closeTimeoutMs = options.closeTimeoutMs ?? 30_000;
  // Triton's clients send and accept messages of any size (their limits are INT32_MAX): so do we.
  const transport = options.transport;
  // Channelz (grpc-js's per-call tracing for its admin service, which we do not serve) costs work on every call.
  const grpc = new GrpcServer({ ...transport?.channelOptions, 'grpc.max_receive_message_length': -1, 'grpc.max_send_message_length': -1, 'grpc.enable_channelz': 0 });
  const streams = new StreamRegistry();
  grpc.addService(INFERENCE_SERVICE, {
    ...serverRpcs(server, log),
    ...inferRpcs(server, log, streams),
    ...repositoryRpcs(server, log),
    ...settingsRpcs(server, log),
  });
  grpc.addService(HEALTH_SERVICE, healthRpcs(server, log));

  let address: GrpcAddress | undefined;
  return {
    listen() {
      return new Promise<GrpcAddress>((resolve, reject) => {
        grpc.bindAsync(target(host, port), transport?.credentials ?? ServerCredentials.createInsecure(), (error, boundPort) => {
          if (error) return reject(error);
          address = { host, port: boundPort };
          resolve(address);
        });
      });
    },
    get address() {
      return address;
    },
    get port() {
      return address?.port;
    },
    async close() {
      if (!address) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(() => {
          log.warn(`gRPC: calls still in flight after ${closeTimeoutMs} ms; cancelling them`);
          grpc.forceShutdown();
          resolve();
        }, closeTimeoutMs);
        timer.unref();
        grpc.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
        streams.closeAll();
      });
      address = undefined;
    },
  };
}
