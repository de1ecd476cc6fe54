/**
 * The per-test fixture of the script tests: a fresh temporary repository and
 * an in-memory log before each test, and after it the server the test
 * started (if any) closed and the repository removed.
 *
 * @example
 * ```ts
 * const fixture = useScriptRepository();
 * it('...', async () => {
 *   await writeScriptModel(fixture.repo, 'm', { source });
 *   const s = await fixture.start();
 *   expect(fixture.log.lines).toContain(...);
 * });
 * ```
 */
import { afterEach, beforeEach } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { memoryLogger } from '../server/support.ts';
import { createTempRepository, removeTempRepository } from '../support/onnx-fixtures.ts';

export interface ScriptRepository {
  readonly repo: string;
  readonly log: ReturnType<typeof memoryLogger>;
  /** Starts a server on the repository (closed after the test). */
  start(): Promise<Server>;
}

export function useScriptRepository(): ScriptRepository {
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
    async start() {
      server = await createServer({ modelRepository: repo, log });
      return server;
    },
  };
}
