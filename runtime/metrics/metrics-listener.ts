/**
 * The metrics endpoint on its own port (Triton's `:8002/metrics`): `GET
 * /metrics` answers the Prometheus text, read at that moment (see
 * prometheus-exporter.ts); any other path is 404 and any other verb 405.
 * Plain `node:http`: one route needs no framework, and fastify stays the HTTP
 * frontend's alone.
 *
 * @example
 * ```ts
 * const metrics = createMetricsListener(server, { port: 8002, host: '0.0.0.0', log });
 * const { host, port } = await metrics.listen();
 * // curl http://localhost:8002/metrics
 * await metrics.close();
 * ```
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NereidError } from '../../sdk/errors.ts';
import { createLogger, type Logger } from '../logging/logger.ts';
import type { MetricsSource } from './metrics-source.ts';
import { PrometheusExporter } from './prometheus-exporter.ts';

export interface MetricsListenerOptions {
  /** TCP port; 0 picks a free one (tests). Default 8002, as Triton. */
  port?: number;
  /** Address to bind. Default 0.0.0.0. */
  host?: string;
  /** Where a failed scrape is logged. */
  log?: Logger;
}

export interface MetricsListener {
  /** Starts listening; resolves with the bound address. */
  listen(): Promise<{ host: string; port: number }>;
  /** The bound port while listening, else undefined. */
  readonly port: number | undefined;
  /** Stops listening and closes open connections (a scrape is short; nothing to drain). */
  close(): Promise<void>;
}

export function createMetricsListener(source: MetricsSource, options: MetricsListenerOptions = {}): MetricsListener {
  const port = options.port ?? 8002;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw NereidError.invalidArg(`metrics port must be an integer from 0 to 65535, got ${port}`);
  const host = options.host ?? '0.0.0.0';
  const log = options.log ?? createLogger();
  const exporter = new PrometheusExporter(source);

  const server = createServer((request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? '').split('?', 1)[0];
    if (request.method !== 'GET') {
      response.setHeader('Allow', 'GET');
      return void sendText(response, 405, 'Method Not Allowed');
    }
    if (path !== '/metrics') return void sendText(response, 404, 'Not Found');
    exporter.render().then(
      (text) => sendText(response, 200, text, exporter.contentType),
      (error: unknown) => {
        log.error(`metrics scrape failed: ${NereidError.from(error).message}`, error);
        sendText(response, 500, 'Internal Server Error');
      },
    );
  });

  // Once listening, a socket-level failure (e.g. accept() out of file descriptors) is logged, never thrown at the process.
  server.on('error', (error) => {
    if (bound !== undefined) log.error(`metrics listener: ${error.message}`);
  });

  let bound: number | undefined;
  return {
    listen() {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          bound = (server.address() as AddressInfo).port;
          resolve({ host, port: bound });
        });
      });
    },
    get port() {
      return bound;
    },
    close() {
      return new Promise((resolve) => {
        bound = undefined;
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function sendText(response: ServerResponse, status: number, text: string, contentType = 'text/plain; charset=utf-8'): void {
  response.writeHead(status, { 'Content-Type': contentType, 'Content-Length': Buffer.byteLength(text) });
  response.end(text);
}
