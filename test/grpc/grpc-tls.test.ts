/**
 * TLS on the gRPC frontend (--grpc-use-ssl, --grpc-use-ssl-mutual): a real
 * server with certificates made here by openssl (a throwaway CA, a server
 * certificate for 127.0.0.1, a client certificate), real grpc-js clients.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadGrpcTransport } from '../../runtime/grpc/grpc-transport.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';
import { callUnary, connect, startGrpc, type GrpcClients, type RunningGrpc } from './support/grpc-harness.ts';

let dir: string;
let repo: string;
const file = (name: string) => join(dir, name);
const pem = (name: string) => readFile(file(name));

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

/** A key and a certificate signed by the test CA. */
async function issue(name: string, subject: string, extensions: string): Promise<void> {
  await writeFile(file(`${name}.ext`), extensions);
  openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
  openssl('x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${name}.crt`, '-days', '1', '-extfile', `${name}.ext`);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nereid-tls-'));
  repo = await createTempRepository('nereid-tls-repo-');
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=nereid test CA');
  await issue('server', '/CN=127.0.0.1', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
  await issue('client', '/CN=nereid test client', 'extendedKeyUsage=clientAuth\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await removeTempRepository(repo);
});

async function live(clients: GrpcClients): Promise<unknown> {
  try {
    return await callUnary(clients.inference, 'ServerLive', {});
  } finally {
    clients.inference.close();
    clients.health.close();
  }
}

async function failure(clients: GrpcClients): Promise<number> {
  const error = (await live(clients).then(() => undefined, (e: unknown) => e)) as ServiceError | undefined;
  if (!error) throw new Error('the call succeeded; expected the connection to be refused');
  return error.code;
}

describe('gRPC over TLS', () => {
  it('--grpc-use-ssl: a client that trusts the CA is served; a plain-text client is not', async () => {
    const transport = await loadGrpcTransport({ useSsl: true, serverCert: file('server.crt'), serverKey: file('server.key') });
    expect(transport.description).toBe('TLS');
    const h: RunningGrpc = await startGrpc({ modelRepository: [repo] }, { transport });
    try {
      const address = `127.0.0.1:${h.port}`;
      expect(await live(connect(address, credentials.createSsl(await pem('ca.crt'))))).toEqual({ live: true });
      expect(await failure(connect(address))).toBe(status.UNAVAILABLE);
    } finally {
      await h.close().catch(() => {});
    }
  });

  it('--grpc-use-ssl-mutual: only a client with a certificate from the root CA is served', async () => {
    const transport = await loadGrpcTransport({ useSslMutual: true, serverCert: file('server.crt'), serverKey: file('server.key'), rootCert: file('ca.crt') });
    expect(transport.description).toBe('mutual TLS');
    const h: RunningGrpc = await startGrpc({ modelRepository: [repo] }, { transport });
    try {
      const address = `127.0.0.1:${h.port}`;
      const ca = await pem('ca.crt');
      expect(await live(connect(address, credentials.createSsl(ca, await pem('client.key'), await pem('client.crt'))))).toEqual({ live: true });
      expect(await failure(connect(address, credentials.createSsl(ca)))).toBe(status.UNAVAILABLE);
    } finally {
      await h.close().catch(() => {});
    }
  });

  it('passes the keepalive settings to the server, with Triton\'s defaults', async () => {
    expect((await loadGrpcTransport()).channelOptions).toMatchObject({ 'grpc.keepalive_time_ms': 7_200_000, 'grpc.keepalive_timeout_ms': 20_000 });
    const tuned = await loadGrpcTransport({ keepaliveTimeMs: 10_000, keepaliveTimeoutMs: 1_000 });
    expect(tuned.channelOptions).toMatchObject({ 'grpc.keepalive_time_ms': 10_000, 'grpc.keepalive_timeout_ms': 1_000 });
    expect(tuned.description).toBe('insecure');
  });

  it('refuses settings that cannot work, naming the flag', async () => {
    await expect(loadGrpcTransport({ useSsl: true, serverKey: file('server.key') })).rejects.toThrow('--grpc-server-cert is required with --grpc-use-ssl');
    await expect(loadGrpcTransport({ useSslMutual: true, serverCert: file('server.crt'), serverKey: file('server.key') })).rejects.toThrow('--grpc-root-cert is required');
    await expect(loadGrpcTransport({ useSsl: true, serverCert: file('nope.crt'), serverKey: file('server.key') })).rejects.toThrow(/--grpc-server-cert: cannot read '.*nope\.crt'/);
    await expect(loadGrpcTransport({ useSsl: true, serverCert: file('server.key'), serverKey: file('server.crt') })).rejects.toThrow(/^gRPC TLS settings \(--grpc-server-cert, --grpc-server-key, --grpc-root-cert\): .*PEM/);
    await expect(loadGrpcTransport({ useSsl: true, serverCert: file('server.crt'), serverKey: file('client.key') })).rejects.toThrow(/^gRPC TLS settings .*key values mismatch/);
  });
});
