import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../runtime/cli/parse-args.ts';

function serveOptions(argv: string[]) {
  const command = parseArgs(argv);
  if (command.command !== 'serve') throw new Error(`expected serve, got ${command.command}`);
  return command.options;
}

describe('parseArgs', () => {
  it('applies Triton defaults', () => {
    const options = serveOptions(['serve', '--model-repository', 'models']);
    expect(options).toMatchObject({
      modelRepository: ['models'],
      modelControlMode: 'none',
      httpPort: 8000,
      grpcPort: 8001,
      metricsPort: 8002,
      allowMetrics: true,
      metricsAddress: undefined,
      strictModelConfig: false,
      strictReadiness: true,
      httpMaxInputSize: 64 * 1024 * 1024,
      defaultMaxBatchSize: 4,
    });
  });

  it('accepts --flag=value, --flag value, repeated flags and bare booleans', () => {
    const options = serveOptions([
      '--model-repository=a',
      '--model-repository',
      'b',
      '--model-control-mode=explicit',
      '--load-model',
      'simple',
      '--load-model=mlp',
      '--strict-model-config',
      '--http-port=0',
      '--log-verbose',
      '2',
      '--backend-config=onnxruntime,default-max-batch-size=16',
    ]);
    expect(options.modelRepository).toEqual(['a', 'b']);
    expect(options.modelControlMode).toBe('explicit');
    expect(options.loadModel).toEqual(['simple', 'mlp']);
    expect(options.strictModelConfig).toBe(true);
    expect(options.httpPort).toBe(0);
    expect(options.log.verboseLevel).toBe(2);
    expect(options.defaultMaxBatchSize).toBe(16);
  });

  it('reads explicit boolean values', () => {
    expect(serveOptions(['--model-repository=m', '--strict-readiness=false']).strictReadiness).toBe(false);
    expect(serveOptions(['--model-repository=m', '--strict-model-config', 'true']).strictModelConfig).toBe(true);
  });

  it('rejects bad flags with a message that names them', () => {
    expect(() => parseArgs(['serve'])).toThrow(/--model-repository is required/);
    expect(() => parseArgs(['--model-repository=m', '--model-control-mode=sometimes'])).toThrow(/none, poll or explicit, got 'sometimes'/);
    expect(() => parseArgs(['--model-repository=m', '--http-port=70000'])).toThrow(/--http-port expects an integer/);
    expect(() => parseArgs(['--model-repository=m', '--no-such-flag=1'])).toThrow(/unknown flag --no-such-flag/);
    expect(() => parseArgs(['--model-repository=m', '--strict-readiness=maybe'])).toThrow(/expects true or false/);
    expect(() => parseArgs(['--model-repository=m', '--backend-config=onnxruntime,bogus=1'])).toThrow(/unsupported setting 'bogus'/);
  });

  it('reads the metrics flags: --allow-metrics, --metrics-port, --metrics-address', () => {
    expect(serveOptions(['--model-repository=m', '--allow-metrics=false'])).toMatchObject({ allowMetrics: false });
    expect(serveOptions(['--model-repository=m', '--allow-metrics', '--metrics-port', '0'])).toMatchObject({ allowMetrics: true, metricsPort: 0 });
    expect(serveOptions(['--model-repository=m', '--metrics-address=127.0.0.1'])).toMatchObject({ metricsAddress: '127.0.0.1' });
    expect(() => parseArgs(['--model-repository=m', '--metrics-port=-1'])).toThrow(/--metrics-port expects an integer in \[0, 65535\], got '-1'/);
    expect(() => parseArgs(['--model-repository=m', '--allow-metrics=sometimes'])).toThrow(/--allow-metrics expects true or false/);
  });

  it("reads the log flags as the log's starting settings: --log-verbose, --log-info, --log-warning, --log-error, --log-format", () => {
    expect(serveOptions(['--model-repository=m']).log).toEqual({});
    expect(serveOptions(['--model-repository=m', '--log-info=false', '--log-warning', 'false', '--log-error=true', '--log-format=ISO8601', '--log-verbose=1']).log).toEqual({
      info: false,
      warning: false,
      error: true,
      format: 'ISO8601',
      verboseLevel: 1,
    });
    expect(() => parseArgs(['--model-repository=m', '--log-format=json'])).toThrow(/--log-format expects default or ISO8601, got 'json'/);
    expect(() => parseArgs(['--model-repository=m', '--log-info=sometimes'])).toThrow(/--log-info expects true or false/);
  });

  it("reads Triton's --trace-config (repeatable, with or without the triton, prefix) and checks the settings together", () => {
    expect(serveOptions(['--model-repository=m']).trace).toEqual({});
    const options = serveOptions(['--model-repository=m', '--trace-config', 'level=TIMESTAMPS', '--trace-config=triton,file=/tmp/t.json', '--trace-config=rate=10', '--trace-config=count=5', '--trace-config=triton,log-frequency=50', '--trace-config=mode=triton']);
    expect(options.trace).toEqual({ trace_level: ['TIMESTAMPS'], trace_file: '/tmp/t.json', trace_rate: '10', trace_count: '5', log_frequency: '50' });
    expect(() => parseArgs(['--model-repository=m', '--trace-config=level=TIMESTAMPS'])).toThrow(/--trace-config: .*needs a trace_file/);
    expect(() => parseArgs(['--model-repository=m', '--trace-config=opentelemetry,url=http://x'])).toThrow(/trace mode 'opentelemetry' is not supported/);
    expect(() => parseArgs(['--model-repository=m', '--trace-config=rate=0'])).toThrow(/'trace_rate' must be an integer >= 1/);
    expect(() => parseArgs(['--model-repository=m', '--trace-config=speed=1'])).toThrow(/unknown setting 'speed'/);
  });

  it('recognises help and version', () => {
    expect(parseArgs(['--help'])).toEqual({ command: 'help' });
    expect(parseArgs(['--version'])).toEqual({ command: 'version' });
  });
});
