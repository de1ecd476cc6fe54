/**
 * One HTTP/1.1 connection pool for a client (a keep-alive `Agent`) and the
 * one function that sends a request through it: the body as a list of
 * chunks (so tensor bytes are written without being joined first), an
 * AbortSignal that aborts the request, and any error answer turned into a
 * NereidError with the server's `{"error": ...}` message and the code its
 * status stands for.
 *
 * @example
 * ```ts
 * const transport = new HttpTransport('http://127.0.0.1:8000');
 * const res = await transport.send('GET', '/v2/health/ready');
 * res.status; // 200
 * transport.close();
 * ```
 */
import http, { type IncomingMessage } from 'node:http';
import https from 'node:https';
import { NereidError } from '../errors.ts';
import { errorCodeFromHttpStatus } from './error-codes.ts';

export interface HttpTransportOptions {
  /** Most sockets kept per host (default 16). */
  maxSockets?: number;
  /** Extra headers sent with every request. */
  headers?: Record<string, string>;
}

/** A whole answer (status, headers, body). */
export interface HttpAnswer {
  status: number;
  headers: IncomingMessage['headers'];
  body: Uint8Array;
}

export interface SendOptions {
  headers?: Record<string, string | number>;
  body?: readonly Uint8Array[] | string;
  signal?: AbortSignal;
  /** Leave error statuses to the caller instead of throwing (health checks answer 400 for "no"). */
  allowErrors?: boolean;
}

const utf8 = new TextDecoder();

/** The NereidError a failed request stands for: a cancel is CANCELLED, a refused connection UNAVAILABLE. */
export function transportError(error: unknown, signal?: AbortSignal): NereidError {
  if (error instanceof NereidError) return error;
  const err = error as NodeJS.ErrnoException;
  if (signal?.aborted || err?.name === 'AbortError') return new NereidError('CANCELLED', `request cancelled: ${signal?.reason instanceof Error ? signal.reason.message : 'aborted'}`, { cause: error });
  if (err?.code === 'ECONNREFUSED' || err?.code === 'ECONNRESET' || err?.code === 'EPIPE' || err?.code === 'ENOTFOUND') {
    return new NereidError('UNAVAILABLE', `cannot reach the server: ${err.message}`, { cause: error });
  }
  return NereidError.from(error, 'HTTP request failed');
}

/** The NereidError of an error answer: `{"error": "..."}` when the body is Triton's error JSON, else the body text. */
export function answerError(status: number, body: Uint8Array): NereidError {
  const text = utf8.decode(body);
  let message = text || `HTTP status ${status}`;
  try {
    const json = JSON.parse(text) as { error?: unknown };
    if (typeof json?.error === 'string') message = json.error;
  } catch {
    // Not JSON: keep the text.
  }
  return new NereidError(errorCodeFromHttpStatus(status), message);
}

/** Reads a whole body into one fresh Uint8Array (not a view of Node's shared Buffer pool). */
export async function readBody(response: IncomingMessage): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let length = 0;
  for await (const chunk of response as AsyncIterable<Buffer>) {
    chunks.push(chunk);
    length += chunk.byteLength;
  }
  const body = new Uint8Array(length);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return body;
}

export class HttpTransport {
  readonly #base: URL;
  readonly #agent: http.Agent;
  readonly #request: typeof http.request;
  readonly #headers: Record<string, string>;

  constructor(baseUrl: string, options: HttpTransportOptions = {}) {
    this.#base = new URL(baseUrl);
    const secure = this.#base.protocol === 'https:';
    const agentOptions = { keepAlive: true, maxSockets: options.maxSockets ?? 16 };
    this.#agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
    this.#request = secure ? https.request : http.request;
    this.#headers = { ...options.headers };
  }

  /**
   * Starts a request and resolves with the response once its headers arrive
   * (the body not read yet). Error statuses throw unless `allowErrors`.
   */
  open(method: string, path: string, options: SendOptions = {}): Promise<IncomingMessage> {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(transportError(signal.reason, signal));
    const body = options.body;
    const chunks = body === undefined ? [] : typeof body === 'string' ? [Buffer.from(body)] : body;
    let length = 0;
    for (const chunk of chunks) length += chunk.byteLength;
    const headers: Record<string, string | number> = { ...this.#headers, ...options.headers };
    if (method !== 'GET') headers['content-length'] = length;
    return new Promise((resolve, reject) => {
      const request = this.#request(
        new URL(path, this.#base),
        { method, headers, agent: this.#agent, signal },
        (response) => {
          const status = response.statusCode ?? 0;
          if (status >= 400 && !options.allowErrors) {
            readBody(response).then((bytes) => reject(answerError(status, bytes)), (error: unknown) => reject(transportError(error, signal)));
          } else {
            resolve(response);
          }
        },
      );
      request.on('error', (error) => reject(transportError(error, signal)));
      for (const chunk of chunks) if (chunk.byteLength > 0) request.write(chunk);
      request.end();
    });
  }

  /** A whole request: the answer with its body read. */
  async send(method: string, path: string, options: SendOptions = {}): Promise<HttpAnswer> {
    const response = await this.open(method, path, options);
    try {
      const body = await readBody(response);
      return { status: response.statusCode ?? 0, headers: response.headers, body };
    } catch (error) {
      throw transportError(error, options.signal);
    }
  }

  /** A JSON answer, parsed. */
  async json<T>(method: string, path: string, options: SendOptions = {}): Promise<T> {
    const { body } = await this.send(method, path, options);
    const text = utf8.decode(body);
    try {
      return (text ? JSON.parse(text) : {}) as T;
    } catch (error) {
      throw NereidError.internal(`${method} ${path}: the server answered text that is not JSON: ${text.slice(0, 200)}`, error);
    }
  }

  /** Closes idle sockets; sockets in use close when their request ends. */
  close(): void {
    this.#agent.destroy();
  }
}
