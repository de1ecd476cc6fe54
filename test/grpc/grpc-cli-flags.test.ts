/** The gRPC flags, with Triton's names and defaults: --allow-grpc, --grpc-port, --grpc-address. */
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
});
