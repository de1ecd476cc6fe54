/**
 * End-to-end harness: a real `createServer()` (real repository, ONNX
 * sessions in worker threads) behind the real HTTP frontend on 127.0.0.1 and
 * a free port, plus small helpers to check Triton's `{"error": ...}` replies.
 *
 * @example
 * ```ts
 * const e2e = await startE2e({ modelRepository: [BUNDLED_MODELS] });
 * const res = await fetch(`${e2e.baseUrl}/v2/health/ready`);
 * await e2e.close();
 * ```
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { createServer, type Server, type ServerOptions } from '../../../runtime/server/create-server.ts';
import type { HttpFrontendOptions } from '../../../runtime/http/http-frontend.ts';
import type { Logger } from '../../../runtime/logging/logger.ts';
import type { InferenceServer } from '../../../runtime/server/server-api.ts';
import { memoryLogger } from '../../server/support.ts';
import { startHttp, type RawResponse, type RunningHttp } from '../../http/support/http-harness.ts';

/** The repository root of this checkout (where package.json lives). */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** The bundled `models/` repository that `npm start` serves. */
export const BUNDLED_MODELS = fileURLToPath(new URL('../../../models/', import.meta.url));

export interface E2eServer {
  server: Server;
  http: RunningHttp;
  port: number;
  baseUrl: string;
  /** Server log lines (loads, failures), for tests that wait on what the server did. */
  logLines: string[];
  /** The log the server and its frontend share. */
  log: Logger;
  close(): Promise<void>;
}

/**
 * Starts a real server and its HTTP frontend. `wrap` lets a test put an
 * observing `InferenceServer` between the frontend and the server.
 */
export async function startE2e(
  options: Omit<ServerOptions, 'log'>,
  http: HttpFrontendOptions = {},
  wrap?: (server: Server) => InferenceServer,
): Promise<E2eServer> {
  const log = memoryLogger();
  const server = await createServer({ ...options, log });
  let running: RunningHttp;
  try {
    // One log for the server and its frontend, as `nereid serve` has: /v2/logging changes what both write.
    running = await startHttp(wrap ? wrap(server) : server, { log, ...http });
  } catch (error) {
    await server.close();
    throw error;
  }
  return {
    server,
    http: running,
    port: running.port,
    baseUrl: running.baseUrl,
    logLines: log.lines,
    log,
    async close() {
      await running.close();
      await server.close();
    },
  };
}

/** Status and parsed `{"error"}` body of a reply; fails the test if the body is not Triton's error JSON. */
export async function errorReply(res: Response | RawResponse): Promise<{ status: number; error: string }> {
  const text = res instanceof Response ? await res.text() : res.body.toString('utf8');
  const contentType = res instanceof Response ? res.headers.get('content-type') : res.headers['content-type'];
  expect(contentType, `content type of the ${res.status} reply ${text}`).toBe('application/json');
  const json = JSON.parse(text) as unknown;
  expect(json, `the ${res.status} reply body`).toEqual({ error: expect.any(String) });
  return { status: res.status, error: (json as { error: string }).error };
}

/** Asserts an error reply: the exact status, and a message containing every fragment. */
export async function expectError(res: Response | RawResponse, status: number, ...fragments: (string | RegExp)[]): Promise<string> {
  const { status: actual, error } = await errorReply(res);
  expect({ status: actual, error }).toEqual({ status, error: expect.any(String) });
  for (const fragment of fragments) {
    if (typeof fragment === 'string') expect(error).toContain(fragment);
    else expect(error).toMatch(fragment);
  }
  return error;
}

/** POSTs a JSON value (or text as is) with fetch. */
export function postJson(url: string, body?: unknown): Promise<Response> {
  const text = body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body);
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text });
}

/** A promise with its resolve function, for ordering assertions. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/** The model directories of the bundled repository (`models/`), sorted: every one must load. */
export function bundledModels(): string[] {
  return readdirSync(new URL('../../../models/', import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort();
}
