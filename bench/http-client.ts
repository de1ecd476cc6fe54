/** A minimal keep-alive HTTP client for the benchmarks: one agent, reused sockets, whole bodies. */
import { Agent, request } from 'node:http';

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export class KeepAliveClient {
  readonly #agent: Agent;
  readonly #port: number;

  constructor(port: number, maxSockets: number) {
    this.#port = port;
    this.#agent = new Agent({ keepAlive: true, maxSockets });
  }

  send(method: string, path: string, body?: Uint8Array, headers: Record<string, string | number> = {}): Promise<HttpResult> {
    return new Promise((resolve, reject) => {
      const req = request(
        { host: '127.0.0.1', port: this.#port, method, path, agent: this.#agent, headers: body ? { ...headers, 'content-length': body.byteLength } : headers },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
          res.on('error', reject);
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  }

  close(): void {
    this.#agent.destroy();
  }
}
