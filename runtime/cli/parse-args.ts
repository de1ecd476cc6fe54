/**
 * Command-line flags, with Triton's names where Triton has the flag:
 * `--flag=value` or `--flag value`; boolean flags also stand alone.
 * A pure function, so every flag is unit-tested without starting anything.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { GrpcTransportSettings } from '../grpc/grpc-transport.ts';
import { LOG_FORMATS, type LogFormat, type LogSettingsInit } from '../logging/log-settings.ts';
import { TraceSettings } from '../tracing/trace-settings.ts';
import type { ModelControlMode } from '../server/model-manager.ts';

export interface ServeOptions {
  modelRepository: string[];
  modelControlMode: ModelControlMode;
  loadModel: string[];
  strictModelConfig: boolean;
  strictReadiness: boolean;
  repositoryPollSecs: number;
  allowHttp: boolean;
  httpPort: number;
  httpAddress: string;
  allowGrpc: boolean;
  grpcPort: number;
  grpcAddress: string;
  /** TLS and keepalive of the gRPC frontend. */
  grpcTransport: GrpcTransportSettings;
  allowMetrics: boolean;
  metricsPort: number;
  /** Undefined: the HTTP address. */
  metricsAddress: string | undefined;
  httpMaxInputSize: number;
  defaultMaxBatchSize: number;
  /** The log's starting settings (--log-verbose, --log-info, --log-warning, --log-error, --log-format); /v2/logging changes them later. */
  log: LogSettingsInit;
  /** Trace settings at start, under Triton's names (--trace-config); /v2/trace/setting changes them later. */
  trace: Record<string, string | string[]>;
  exitTimeoutSecs: number;
}

export type Command = { command: 'serve'; options: ServeOptions } | { command: 'help' } | { command: 'version' };

export const USAGE = `Usage: nereid serve --model-repository DIR [options]

  --model-repository DIR        model repository root (repeatable)
  --model-control-mode MODE     none | poll | explicit (default none)
  --load-model NAME             model to load at start in explicit mode (repeatable; * for all)
  --repository-poll-secs N      poll interval in poll mode (default 15)
  --strict-model-config BOOL    require complete config.pbtxt files, no auto-complete (default false)
  --strict-readiness BOOL       ready only when every model is ready (default true)
  --http-port N                 HTTP port (default 8000; 0 picks a free port)
  --http-address ADDR           HTTP listen address (default 0.0.0.0)
  --allow-http BOOL             serve HTTP (default true)
  --http-max-input-size BYTES   largest accepted HTTP request body (default 67108864)
  --allow-grpc BOOL             serve gRPC (default true)
  --grpc-port N                 gRPC port (default 8001; 0 picks a free port)
  --grpc-address ADDR           gRPC listen address (default 0.0.0.0)
  --grpc-use-ssl BOOL           serve gRPC over TLS with --grpc-server-cert and --grpc-server-key (default false)
  --grpc-use-ssl-mutual BOOL    TLS that also requires client certificates signed by --grpc-root-cert (default false)
  --grpc-server-cert FILE       PEM certificate chain of the server
  --grpc-server-key FILE        PEM private key of the server
  --grpc-root-cert FILE         PEM root certificates for client certificates
  --grpc-keepalive-time MS      interval of the server's keepalive pings (default 7200000)
  --grpc-keepalive-timeout MS   how long a keepalive ping may go unanswered (default 20000)
  --allow-metrics BOOL          serve Prometheus metrics at /metrics on the metrics port (default true)
  --metrics-port N              metrics port (default 8002; 0 picks a free port)
  --metrics-address ADDR        metrics listen address (default: the HTTP address)
  --backend-config onnxruntime,default-max-batch-size=N
                                max_batch_size that auto-complete gives batchable ONNX models (default 4)
  --exit-timeout-secs N         how long shutdown waits for in-flight requests (default 30)
  --log-verbose N               verbose log level (default 0)
  --log-info BOOL               log info lines (default true)
  --log-warning BOOL            log warnings (default true)
  --log-error BOOL              log errors (default true)
  --log-format FORMAT           default | ISO8601 (default: default)
  --trace-config [triton,]SETTING=VALUE
                                tracing (repeatable): level=OFF|TIMESTAMPS, rate=N, count=N,
                                file=PATH, log-frequency=N (default level=OFF, rate=1000)
  --help, --version`;

const DEFAULTS: ServeOptions = {
  modelRepository: [],
  modelControlMode: 'none',
  loadModel: [],
  strictModelConfig: false,
  strictReadiness: true,
  repositoryPollSecs: 15,
  allowHttp: true,
  httpPort: 8000,
  httpAddress: '0.0.0.0',
  allowGrpc: true,
  grpcPort: 8001,
  grpcAddress: '0.0.0.0',
  grpcTransport: {},
  allowMetrics: true,
  metricsPort: 8002,
  metricsAddress: undefined,
  httpMaxInputSize: 64 * 1024 * 1024,
  defaultMaxBatchSize: 4,
  log: {},
  trace: {},
  exitTimeoutSecs: 30,
};

const BOOLEAN_FLAGS = new Set([
  'strict-model-config',
  'strict-readiness',
  'allow-http',
  'allow-grpc',
  'allow-metrics',
  'grpc-use-ssl',
  'grpc-use-ssl-mutual',
  'grpc-keepalive-permit-without-calls',
  'log-info',
  'log-warning',
  'log-error',
]);

/**
 * Triton gRPC flags whose behaviour grpc-js's server does not offer (response
 * compression, HTTP/2 ping policing): only their default value is accepted,
 * so a command line written for Triton that relies on them fails loudly.
 */
const GRPC_DEFAULT_ONLY: Record<string, { value: string; why: string }> = {
  'grpc-infer-response-compression-level': { value: 'none', why: "grpc-js's server does not compress responses" },
  'grpc-keepalive-permit-without-calls': { value: 'false', why: "grpc-js's server has no such setting (it pings every connection alike)" },
  'grpc-http2-max-pings-without-data': { value: '2', why: "grpc-js's server does not police client pings" },
  'grpc-http2-min-recv-ping-interval-without-data': { value: '300000', why: "grpc-js's server does not police client pings" },
  'grpc-http2-max-ping-strikes': { value: '2', why: "grpc-js's server does not police client pings" },
};
const KNOWN_FLAGS = new Set([
  ...BOOLEAN_FLAGS,
  'model-repository',
  'model-store',
  'model-control-mode',
  'load-model',
  'repository-poll-secs',
  'http-port',
  'http-address',
  'grpc-port',
  'grpc-address',
  'grpc-server-cert',
  'grpc-server-key',
  'grpc-root-cert',
  'grpc-keepalive-time',
  'grpc-keepalive-timeout',
  ...Object.keys(GRPC_DEFAULT_ONLY),
  'metrics-port',
  'metrics-address',
  'http-max-input-size',
  'exit-timeout-secs',
  'log-verbose',
  'log-format',
  'trace-config',
  'backend-config',
]);

function usageError(message: string): NereidError {
  return NereidError.invalidArg(`${message}\n\n${USAGE}`);
}

function parseBool(flag: string, value: string): boolean {
  if (/^(true|1|yes|on)$/i.test(value)) return true;
  if (/^(false|0|no|off)$/i.test(value)) return false;
  throw usageError(`--${flag} expects true or false, got '${value}'`);
}

function parseInteger(flag: string, value: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const number = Number(value);
  if (!/^-?\d+$/.test(value) || number < min || number > max) throw usageError(`--${flag} expects an integer in [${min}, ${max}], got '${value}'`);
  return number;
}

export function parseArgs(argv: readonly string[]): Command {
  const args = [...argv];
  if (args.includes('--help') || args.includes('-h')) return { command: 'help' };
  if (args.includes('--version')) return { command: 'version' };
  if (args[0] === 'serve') args.shift();
  else if (args[0] !== undefined && !args[0].startsWith('--')) throw usageError(`unknown command '${args[0]}'`);
  const options: ServeOptions = { ...DEFAULTS, modelRepository: [], loadModel: [], grpcTransport: {} };
  while (args.length > 0) {
    const arg = args.shift()!;
    if (!arg.startsWith('--')) throw usageError(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const flag = eq === -1 ? arg.slice(2) : arg.slice(2, eq);
    if (!KNOWN_FLAGS.has(flag)) throw usageError(`unknown flag --${flag}`);
    let value: string;
    if (eq !== -1) value = arg.slice(eq + 1);
    else if (BOOLEAN_FLAGS.has(flag) && (args[0] === undefined || args[0].startsWith('--'))) value = 'true';
    else if (args[0] !== undefined) value = args.shift()!;
    else throw usageError(`--${flag} needs a value`);
    applyFlag(options, flag, value);
  }
  if (options.modelRepository.length === 0) throw usageError('--model-repository is required');
  // Checked as a whole: --trace-config level=TIMESTAMPS may come before its file=.
  try {
    new TraceSettings().update(options.trace);
  } catch (error) {
    throw usageError(`--trace-config: ${(error as Error).message}`);
  }
  return { command: 'serve', options };
}

function applyFlag(options: ServeOptions, flag: string, value: string): void {
  switch (flag) {
    case 'model-repository':
    case 'model-store':
      options.modelRepository.push(value);
      return;
    case 'model-control-mode':
      if (value !== 'none' && value !== 'poll' && value !== 'explicit') throw usageError(`--model-control-mode expects none, poll or explicit, got '${value}'`);
      options.modelControlMode = value;
      return;
    case 'load-model':
      options.loadModel.push(value);
      return;
    case 'strict-model-config':
      options.strictModelConfig = parseBool(flag, value);
      return;
    case 'strict-readiness':
      options.strictReadiness = parseBool(flag, value);
      return;
    case 'allow-http':
      options.allowHttp = parseBool(flag, value);
      return;
    case 'repository-poll-secs':
      options.repositoryPollSecs = parseInteger(flag, value, 1);
      return;
    case 'http-port':
      options.httpPort = parseInteger(flag, value, 0, 65535);
      return;
    case 'http-address':
      options.httpAddress = value;
      return;
    case 'allow-grpc':
      options.allowGrpc = parseBool(flag, value);
      return;
    case 'grpc-port':
      options.grpcPort = parseInteger(flag, value, 0, 65535);
      return;
    case 'grpc-address':
      options.grpcAddress = value;
      return;
    case 'grpc-use-ssl':
      options.grpcTransport.useSsl = parseBool(flag, value);
      return;
    case 'grpc-use-ssl-mutual':
      options.grpcTransport.useSslMutual = parseBool(flag, value);
      return;
    case 'grpc-server-cert':
      options.grpcTransport.serverCert = value;
      return;
    case 'grpc-server-key':
      options.grpcTransport.serverKey = value;
      return;
    case 'grpc-root-cert':
      options.grpcTransport.rootCert = value;
      return;
    case 'grpc-keepalive-time':
      options.grpcTransport.keepaliveTimeMs = parseInteger(flag, value, 1);
      return;
    case 'grpc-keepalive-timeout':
      options.grpcTransport.keepaliveTimeoutMs = parseInteger(flag, value, 1);
      return;
    case 'allow-metrics':
      options.allowMetrics = parseBool(flag, value);
      return;
    case 'metrics-port':
      options.metricsPort = parseInteger(flag, value, 0, 65535);
      return;
    case 'metrics-address':
      options.metricsAddress = value;
      return;
    case 'http-max-input-size':
      options.httpMaxInputSize = parseInteger(flag, value, 1);
      return;
    case 'exit-timeout-secs':
      options.exitTimeoutSecs = parseInteger(flag, value, 0);
      return;
    case 'log-verbose':
      options.log = { ...options.log, verboseLevel: parseInteger(flag, value, 0, 0xffffffff) };
      return;
    case 'log-info':
      options.log = { ...options.log, info: parseBool(flag, value) };
      return;
    case 'log-warning':
      options.log = { ...options.log, warning: parseBool(flag, value) };
      return;
    case 'log-error':
      options.log = { ...options.log, error: parseBool(flag, value) };
      return;
    case 'log-format':
      if (!LOG_FORMATS.includes(value as LogFormat)) throw usageError(`--log-format expects ${LOG_FORMATS.join(' or ')}, got '${value}'`);
      options.log = { ...options.log, format: value as LogFormat };
      return;
    case 'backend-config':
      applyBackendConfig(options, value);
      return;
    case 'trace-config':
      applyTraceConfig(options, value);
      return;
    default: {
      const defaultOnly = GRPC_DEFAULT_ONLY[flag];
      if (defaultOnly) {
        if (value.toLowerCase() !== defaultOnly.value) throw usageError(`--${flag}=${value} is not supported: ${defaultOnly.why}; only ${defaultOnly.value} is accepted`);
        return;
      }
      throw usageError(`unknown flag --${flag}`);
    }
  }
}

/** Triton's `--trace-config [triton,]<setting>=<value>` -> the trace setting it names (level may repeat). */
function applyTraceConfig(options: ServeOptions, value: string): void {
  const match = /^(?:([^,=]+),)?([^=,]+)=(.*)$/.exec(value);
  if (!match) throw usageError(`--trace-config expects [triton,]<setting>=<value>, got '${value}'`);
  const [, mode, setting, settingValue] = match as unknown as [string, string | undefined, string, string];
  if (mode !== undefined && mode !== 'triton') throw usageError(`--trace-config: trace mode '${mode}' is not supported (only triton)`);
  if (setting === 'mode') {
    if (settingValue !== 'triton') throw usageError(`--trace-config: trace mode '${settingValue}' is not supported (only triton)`);
    return;
  }
  const name = TRACE_CONFIG_NAMES[setting];
  if (!name) throw usageError(`--trace-config: unknown setting '${setting}'; expected one of ${Object.keys(TRACE_CONFIG_NAMES).join(', ')}`);
  if (name === 'trace_level') {
    const levels = options.trace.trace_level;
    options.trace = { ...options.trace, trace_level: Array.isArray(levels) ? [...levels, settingValue] : [settingValue] };
  } else {
    options.trace = { ...options.trace, [name]: settingValue };
  }
}

const TRACE_CONFIG_NAMES: Record<string, string> = { level: 'trace_level', rate: 'trace_rate', count: 'trace_count', file: 'trace_file', 'log-frequency': 'log_frequency' };

function applyBackendConfig(options: ServeOptions, value: string): void {
  const match = /^([^,]+),([^=]+)=(.*)$/.exec(value);
  if (!match) throw usageError(`--backend-config expects <backend>,<setting>=<value>, got '${value}'`);
  const [, backend, setting, settingValue] = match;
  if (backend === 'onnxruntime' && setting === 'default-max-batch-size') {
    options.defaultMaxBatchSize = parseInteger('backend-config', settingValue!, 0);
    return;
  }
  throw usageError(`--backend-config: unsupported setting '${setting}' for backend '${backend}'`);
}
