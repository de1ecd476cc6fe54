/**
 * examples/generate against a real server (HTTP and gRPC frontends on free
 * ports): its client code streams the same greedy tokens over both
 * protocols, and its command line prints them.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcFrontend, type GrpcFrontend } from '../../runtime/grpc/grpc-frontend.ts';
import { GrpcClient, HttpClient } from '../../sdk/client/index.ts';
import { streamTokens } from '../../examples/generate/stream-tokens.ts';
import { referenceGreedy } from '../generate/support/generate-repository.ts';
import { memoryLogger } from '../server/support.ts';
import { collect } from '../support/collect.ts';
import { BUNDLED_MODELS, REPO_ROOT, startE2e, type E2eServer } from './support/e2e-server.ts';

const PROMPT = [3, 15, 27];
let e2e: E2eServer;
let grpc: GrpcFrontend;
let grpcPort: number;
let expected: number[];

beforeAll(async () => {
  e2e = await startE2e({ modelRepository: BUNDLED_MODELS, modelControlMode: 'explicit', loadModels: ['generate', 'generate_decoder'] });
  grpc = createGrpcFrontend(e2e.server, { port: 0, host: '127.0.0.1', log: memoryLogger() });
  grpcPort = (await grpc.listen()).port;
  expected = await referenceGreedy(e2e.server, PROMPT, 12, -1);
}, 60_000);
afterAll(async () => {
  await grpc?.close();
  await e2e?.close();
});

describe('examples/generate', () => {
  it('streams the greedy tokens over gRPC and over HTTP (SSE)', async () => {
    const clients = [new GrpcClient(`127.0.0.1:${grpcPort}`), new HttpClient(e2e.baseUrl)];
    try {
      for (const client of clients) expect(await collect(streamTokens(client, PROMPT, { maxTokens: 12, endId: -1 }))).toEqual(expected);
    } finally {
      for (const client of clients) client.close();
    }
  });

  it('prints them from its command line', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/generate/main.ts', '--grpc', `127.0.0.1:${grpcPort}`, '--max-tokens', '12'], { cwd: REPO_ROOT });
    // Greedy stops at the end token on its own, so the first tokens are what is certain.
    expect(stdout).toContain(`prompt 3 15 27 -> ${expected.slice(0, 3).join(' ')}`);
    expect(stdout).toMatch(/tokens over gRPC; first after [\d.]+ ms/);
  });
});
