/**
 * Helpers for HTTP frontend tests that work with ANY `InferenceServer` (the
 * echo test double now, the real server in end-to-end tests later): start a
 * frontend on a free port, send raw `node:http` requests over a keep-alive
 * agent, and run a binary or JSON infer round trip with the sdk codecs.
 */
import { Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { decodeInferResponse } from '../../../sdk/codec/http-infer-response.ts';
import { encodeInferRequest } from '../../../sdk/codec/http-infer-request.ts';
import { concatChunks, HEADER_LENGTH_HEADER } from '../../../sdk/codec/http-message.ts';
import type { InferRequest, InferResponse } from '../../../sdk/inference.ts';
import { createHttpFrontend, type HttpFrontend, type HttpFrontendOptions } from '../../../runtime/http/http-frontend.ts';
import { createLogger } from '../../../runtime/logging/logger.ts';
import type { InferenceServer } from '../../../runtime/server/server-api.ts';

export interface RunningHttp {
  frontend: HttpFrontend;
  port: number;
  baseUrl: string;
  /** A keep-alive agent for raw requests to this frontend. */
  agent: Agent;
  /** Log lines written by the frontend (errors). */
  logLines: string[];
  close(): Promise<void>;
}

/** A frontend for `server` that is not listening, for `inject()` tests; errors it logs land in `logLines`. */
export function injectableFrontend(server: InferenceServer, options: HttpFrontendOptions = {}): { frontend: HttpFrontend; logLines: string[] } {
  const logLines: string[] = [];
  const frontend = createHttpFrontend(server, { log: createLogger({ quiet: true, write: (line) => logLines.push(line) }), ...options });
  return { frontend, logLines };
}

/** Starts a frontend for `server` on 127.0.0.1 and a free port. */
export async function startHttp(server: InferenceServer, options: HttpFrontendOptions = {}): Promise<RunningHttp> {
  const logLines: string[] = [];
  const frontend = createHttpFrontend(server, {
    host: '127.0.0.1',
    port: 0,
    log: createLogger({ quiet: true, write: (line) => logLines.push(line) }),
    ...options,
  });
  const { port } = await frontend.listen();
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  return {
    frontend,
    port,
    baseUrl: `http://127.0.0.1:${port}`,
    agent,
    logLines,
    async close() {
      agent.destroy();
      await frontend.close();
    },
  };
}

export interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  /** Header names as sent, with values, alternating (to check spelling). */
  rawHeaders: string[];
  body: Buffer;
  /** True when the request went over a kept-alive socket. */
  reusedSocket: boolean;
}

export interface RawRequestOptions {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  body?: Uint8Array | readonly Uint8Array[];
  agent?: Agent;
}

/** One HTTP request with `node:http`; chunked bodies are written piece by piece. */
export function rawRequest(port: number, options: RawRequestOptions): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      { host: '127.0.0.1', port, method: options.method ?? 'GET', path: options.path, headers: options.headers, agent: options.agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, rawHeaders: res.rawHeaders, body: Buffer.concat(chunks), reusedSocket: req.reusedSocket }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    const body = options.body;
    if (body === undefined) req.end();
    else if (body instanceof Uint8Array) req.end(body);
    else {
      for (const piece of body) req.write(piece);
      req.end();
    }
  });
}

/** The URL path of a model's infer endpoint. */
export function inferPath(model: string, version?: string): string {
  const base = `/v2/models/${encodeURIComponent(model)}`;
  return version === undefined ? `${base}/infer` : `${base}/versions/${version}/infer`;
}

export type InferOutcome = { ok: true; response: InferResponse; raw: RawResponse } | { ok: false; status: number; error: string; raw: RawResponse };

/**
 * Sends `request` over a real socket (as tritonclient.http would with
 * `binary`), and decodes the reply with the sdk codec.
 */
export async function inferOverHttp(
  port: number,
  request: InferRequest,
  options: { binary?: boolean; agent?: Agent } = {},
): Promise<InferOutcome> {
  const message = encodeInferRequest(request, { binary: options.binary });
  const headers: Record<string, string | number> = { 'Content-Type': message.contentType, 'Content-Length': message.byteLength };
  if (message.headerLength !== undefined) headers[HEADER_LENGTH_HEADER] = message.headerLength;
  const raw = await rawRequest(port, {
    method: 'POST',
    path: inferPath(request.model, request.version),
    headers,
    body: concatChunks(message.chunks, message.byteLength),
    agent: options.agent,
  });
  if (raw.status !== 200) return { ok: false, status: raw.status, error: JSON.parse(raw.body.toString('utf8')).error, raw };
  const headerLength = raw.headers[HEADER_LENGTH_HEADER.toLowerCase()] as string | undefined;
  return { ok: true, response: decodeInferResponse(raw.body, headerLength), raw };
}
