/** The gRPC flags, with Triton's names and defaults: --allow-grpc, --grpc-port, --grpc-address, TLS and keepalive. */
import { describe, expect, it } from 'vitest';
import { parseArgs } from '../../runtime/cli/parse-args.ts';

function serveOptions(argv: string[]) {
  const command = parseArgs(argv);
  if (command.command !== 'serve') throw new Error(`expected serve, got ${command.command}`);
  return command.options;
}

describe('gRPC flags', () => {
  it('default to Triton\'s: gRPC on, port 8001, every address', () => {
    expect(serveOptions(['--model-repository=m'])).toMatchObject({ allowGrpc: true, grpcPort: 8001, grpcAddress: '0.0.0.0' });
  });

  it('read --allow-grpc, --grpc-port and --grpc-address', () => {
    expect(serveOptions(['--model-repository=m', '--allow-grpc', 'false', '--grpc-port=0', '--grpc-address', '127.0.0.1'])).toMatchObject({
      allowGrpc: false,
      grpcPort: 0,
      grpcAddress: '127.0.0.1',
    });
    expect(serveOptions(['--model-repository=m', '--allow-grpc'])).toMatchObject({ allowGrpc: true });
  });

  it('reject bad values', () => {
    expect(() => parseArgs(['--model-repository=m', '--grpc-port=70000'])).toThrow(/--grpc-port expects an integer in \[0, 65535\], got '70000'/);
    expect(() => parseArgs(['--model-repository=m', '--allow-grpc=maybe'])).toThrow(/--allow-grpc expects true or false/);
  });

  it('read the TLS and keepalive flags', () => {
    const options = serveOptions([
      '--model-repository=m', '--grpc-use-ssl', '--grpc-server-cert', 's.crt', '--grpc-server-key=s.key',
      '--grpc-root-cert', 'ca.crt', '--grpc-use-ssl-mutual=true', '--grpc-keepalive-time=60000', '--grpc-keepalive-timeout', '5000',
    ]);
    expect(options.grpcTransport).toEqual({
      useSsl: true, useSslMutual: true, serverCert: 's.crt', serverKey: 's.key', rootCert: 'ca.crt', keepaliveTimeMs: 60000, keepaliveTimeoutMs: 5000,
    });
    expect(serveOptions(['--model-repository=m']).grpcTransport).toEqual({});
  });

  it("accept Triton's flags that grpc-js cannot honour only at their defaults, and say why otherwise", () => {
    const defaults = ['--grpc-infer-response-compression-level=none', '--grpc-keepalive-permit-without-calls=false', '--grpc-http2-max-pings-without-data=2',
      '--grpc-http2-min-recv-ping-interval-without-data=300000', '--grpc-http2-max-ping-strikes=2'];
    expect(() => serveOptions(['--model-repository=m', ...defaults])).not.toThrow();
    expect(() => parseArgs(['--model-repository=m', '--grpc-infer-response-compression-level=high'])).toThrow(
      "--grpc-infer-response-compression-level=high is not supported: grpc-js's server does not compress responses; only none is accepted",
    );
    expect(() => parseArgs(['--model-repository=m', '--grpc-http2-max-ping-strikes', '5'])).toThrow(/not supported: grpc-js's server does not police client pings/);
  });
});
