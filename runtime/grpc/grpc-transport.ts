/**
 * How the gRPC frontend listens: plain or TLS (optionally mutual), and its
 * keepalive pings, from the settings of Triton's `--grpc-use-ssl*`,
 * `--grpc-*-cert`, `--grpc-server-key` and `--grpc-keepalive-*` flags.
 *
 * @example
 * ```ts
 * const transport = await loadGrpcTransport({ useSsl: true, serverCert: 'server.crt', serverKey: 'server.key' });
 * createGrpcFrontend(server, { transport });
 * ```
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext } from 'node:tls';
import { ServerCredentials, type ChannelOptions } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';

/** The transport flags as given (file paths, milliseconds). */
export interface GrpcTransportSettings {
  /** --grpc-use-ssl: serve TLS. */
  useSsl?: boolean;
  /** --grpc-use-ssl-mutual: serve TLS and require a client certificate signed by the root certificate. */
  useSslMutual?: boolean;
  /** --grpc-server-cert: PEM certificate chain of the server. */
  serverCert?: string;
  /** --grpc-server-key: PEM private key of the server. */
  serverKey?: string;
  /** --grpc-root-cert: PEM root certificates that client certificates must chain to. */
  rootCert?: string;
  /** --grpc-keepalive-time: interval of the server's keepalive pings, ms (Triton's default 7200000). */
  keepaliveTimeMs?: number;
  /** --grpc-keepalive-timeout: how long a ping may go unanswered before the connection closes, ms (default 20000). */
  keepaliveTimeoutMs?: number;
}

/** What the frontend listens with. */
export interface GrpcTransport {
  readonly credentials: ServerCredentials;
  readonly channelOptions: ChannelOptions;
  /** 'TLS', 'mutual TLS' or 'insecure', for the log. */
  readonly description: string;
}

const KEEPALIVE_DEFAULTS = Object.freeze({ keepaliveTimeMs: 7_200_000, keepaliveTimeoutMs: 20_000 });

async function readPem(flag: string, file: string | undefined, why: string): Promise<Buffer> {
  if (file === undefined || file === '') throw NereidError.invalidArg(`--${flag} is required ${why}`);
  try {
    return await readFile(file);
  } catch (error) {
    throw NereidError.invalidArg(`--${flag}: cannot read '${file}': ${(error as Error).message}`);
  }
}

/** Reads the certificate files the settings name; throws INVALID_ARG naming the flag that is missing or unreadable. */
export async function loadGrpcTransport(settings: GrpcTransportSettings = {}): Promise<GrpcTransport> {
  const channelOptions: ChannelOptions = {
    'grpc.keepalive_time_ms': settings.keepaliveTimeMs ?? KEEPALIVE_DEFAULTS.keepaliveTimeMs,
    'grpc.keepalive_timeout_ms': settings.keepaliveTimeoutMs ?? KEEPALIVE_DEFAULTS.keepaliveTimeoutMs,
  };
  const mutual = settings.useSslMutual === true;
  if (!mutual && settings.useSsl !== true) return { credentials: ServerCredentials.createInsecure(), channelOptions, description: 'insecure' };
  const why = mutual ? 'with --grpc-use-ssl-mutual' : 'with --grpc-use-ssl';
  const [certChain, privateKey] = await Promise.all([readPem('grpc-server-cert', settings.serverCert, why), readPem('grpc-server-key', settings.serverKey, why)]);
  const rootCerts = mutual || settings.rootCert ? await readPem('grpc-root-cert', settings.rootCert, 'to check client certificates with --grpc-use-ssl-mutual') : null;
  try {
    // grpc-js reads the PEM files only when it binds: check them now, so a bad file fails before any model loads.
    createSecureContext({ cert: certChain, key: privateKey, ca: rootCerts ?? undefined });
  } catch (error) {
    throw NereidError.invalidArg(`gRPC TLS settings (--grpc-server-cert, --grpc-server-key, --grpc-root-cert): ${(error as Error).message}`);
  }
  const credentials = ServerCredentials.createSsl(rootCerts, [{ cert_chain: certChain, private_key: privateKey }], mutual);
  return { credentials, channelOptions, description: mutual ? 'mutual TLS' : 'TLS' };
}
