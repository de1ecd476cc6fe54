/**
 * `nereid serve`: loads the model repository, starts the HTTP and gRPC
 * frontends and the metrics endpoint, and shuts down cleanly on SIGINT/SIGTERM (in-flight
 * requests drain, bounded by --exit-timeout-secs).
 */
import { NereidError } from '../../sdk/errors.ts';
import { createGrpcFrontend, type GrpcFrontend } from '../grpc/grpc-frontend.ts';
import { loadGrpcTransport } from '../grpc/grpc-transport.ts';
import { createHttpFrontend } from '../http/http-frontend.ts';
import { LogSettings } from '../logging/log-settings.ts';
import { createLogger } from '../logging/logger.ts';
import { createMetricsListener } from '../metrics/metrics-listener.ts';
import { createServer } from '../server/create-server.ts';
import { SERVER_VERSION } from '../server/server-identity.ts';
import { parseArgs, USAGE, type ServeOptions } from './parse-args.ts';

async function serve(options: ServeOptions): Promise<void> {
  const log = createLogger({ settings: new LogSettings(options.log) });
  log.info(`nereid ${SERVER_VERSION} starting; repository ${options.modelRepository.join(', ')}, model control mode ${options.modelControlMode}`);
  // Before any model loads: a missing certificate fails the start at once.
  const transport = options.allowGrpc ? await loadGrpcTransport(options.grpcTransport) : undefined;
  const server = await createServer({
    modelRepository: options.modelRepository,
    modelControlMode: options.modelControlMode,
    loadModels: options.loadModel,
    strictModelConfig: options.strictModelConfig,
    strictReadiness: options.strictReadiness,
    repositoryPollSecs: options.repositoryPollSecs,
    defaultMaxBatchSize: options.defaultMaxBatchSize,
    trace: options.trace,
    log,
  });
  let http: Awaited<ReturnType<typeof createHttpFrontend>> | undefined;
  let grpc: GrpcFrontend | undefined;
  let metrics: ReturnType<typeof createMetricsListener> | undefined;
  let stopping = false;
  const stop = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received; draining in-flight requests (at most ${options.exitTimeoutSecs}s)`);
    const timeout = setTimeout(() => {
      log.warn('exit timeout reached with requests still in flight; exiting');
      process.exit(1);
    }, options.exitTimeoutSecs * 1000);
    timeout.unref();
    await Promise.all([http?.close(), grpc?.close(), metrics?.close()]);
    await server.close();
    log.info('stopped');
    process.exit(0);
  };
  // Before any listener starts: a client may signal as soon as it sees one listening.
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGTERM', () => void stop('SIGTERM'));

  if (options.allowHttp) {
    http = await createHttpFrontend(server, { port: options.httpPort, host: options.httpAddress, maxInputSize: options.httpMaxInputSize, log });
    await http.listen();
    log.info(`HTTP service listening on ${options.httpAddress}:${http.port}`);
  }
  if (options.allowMetrics) {
    metrics = createMetricsListener(server, { port: options.metricsPort, host: options.metricsAddress ?? options.httpAddress, log });
    const { host, port } = await metrics.listen();
    log.info(`Metrics service listening on ${host}:${port}`);
  }
  if (options.allowGrpc) {
    grpc = createGrpcFrontend(server, { port: options.grpcPort, host: options.grpcAddress, log, transport });
    const { host, port } = await grpc.listen();
    log.info(`gRPC service listening on ${host}:${port} (${transport!.description})`);
  }
}

async function main(): Promise<void> {
  let command;
  try {
    command = parseArgs(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${NereidError.from(error).message}\n`);
    process.exit(2);
  }
  if (command.command === 'help') return void process.stdout.write(`${USAGE}\n`);
  if (command.command === 'version') return void process.stdout.write(`${SERVER_VERSION}\n`);
  await serve(command.options);
}

main().catch((error: unknown) => {
  process.stderr.write(`nereid: ${NereidError.from(error).message}\n`);
  process.exit(1);
});
