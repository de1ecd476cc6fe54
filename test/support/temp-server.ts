/**
 * A per-test server fixture: a fresh temporary repository and an in-memory
 * log before each test, and after it the server the test started (if any)
 * closed and the repository removed.
 *
 * @example
 * ```ts
 * const fixture = useTempServer();
 * it('...', async () => {
 *   await writeScriptModel(fixture.repo, 'm', { source });
 *   const s = await fixture.start({ modelControlMode: 'explicit', loadModels: ['m'] });
 *   expect(fixture.log.lines).toContain(...);
 * });
 * ```
 */
import { afterEach, beforeEach } from 'vitest';
import { createServer, type Server, type ServerOptions } from '../../runtime/server/create-server.ts';
import { memoryLogger } from '../server/support.ts';
import { createTempRepository, removeTempRepository } from './onnx-fixtures.ts';

export interface TempServer {
  readonly repo: string;
  readonly log: ReturnType<typeof memoryLogger>;
  /** Starts a server on the repository, or as `options` say (closed after the test). */
  start(options?: Partial<ServerOptions>): Promise<Server>;
}

export function useTempServer(): TempServer {
  let repo = '';
  let log = memoryLogger();
  let server: Server | undefined;
  beforeEach(async () => {
    repo = await createTempRepository();
    log = memoryLogger();
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
    await removeTempRepository(repo);
  });
  return {
    get repo() {
      return repo;
    },
    get log() {
      return log;
    },
    async start(options = {}) {
      server = await createServer({ modelRepository: repo, log, ...options });
      return server;
    },
  };
}
