/**
 * The gRPC service of the real command line: `nereid serve` announces
 * `gRPC service listening on host:port`, answers a Triton-style client there
 * (health, ModelInfer on `simple`), honours --allow-grpc false, and closes
 * the gRPC listener on SIGTERM before exiting 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { callUnary, connect } from '../grpc/support/grpc-harness.ts';
import { CLI, GRPC_LISTENING, killAll, LISTENING, startProcess } from './support/cli-process.ts';
import { simpleExpected, simpleInputs } from './support/simple-model.ts';

const SERVE = ['serve', '--model-repository', 'models', '--http-port', '0', '--http-address', '127.0.0.1', '--metrics-port', '0'];

afterEach(() => killAll());

describe('nereid serve: gRPC', () => {
  it('listens on --grpc-address:--grpc-port, serves ModelInfer, and closes on SIGTERM', async () => {
    const cli = startProcess(process.execPath, [...CLI, ...SERVE, '--grpc-port', '0', '--grpc-address', '127.0.0.1']);
    const [, host, port] = await cli.waitFor(GRPC_LISTENING);
    expect(host).toBe('127.0.0.1');
    const clients = connect(`127.0.0.1:${port}`);
    try {
      expect(await callUnary(clients.health, 'Check', { service: '' })).toEqual({ status: 'SERVING' });
      expect(await callUnary(clients.inference, 'ServerLive', {})).toEqual({ live: true });
      const { a, b } = simpleInputs(3);
      const response = await callUnary<{ raw_output_contents: Buffer[]; model_name: string }>(clients.inference, 'ModelInfer', {
        model_name: 'simple',
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
        ],
        raw_input_contents: [Buffer.from(a.buffer), Buffer.from(b.buffer)],
      });
      expect(response.model_name).toBe('simple');
      const sum = new Int32Array(new Uint8Array(response.raw_output_contents[0]!).buffer);
      expect(Array.from(sum)).toEqual(simpleExpected(3).sum);
    } finally {
      clients.inference.close();
      clients.health.close();
    }
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
    expect(cli.stderr).toMatch(/\bstopped\b/);
  });

  it('--allow-grpc false starts no gRPC listener', async () => {
    const cli = startProcess(process.execPath, [...CLI, ...SERVE, '--allow-grpc', 'false']);
    await cli.waitFor(LISTENING);
    await cli.waitFor(/Metrics service listening/);
    expect(cli.stderr).not.toMatch(GRPC_LISTENING);
    cli.child.kill('SIGTERM');
    expect(await cli.exited).toEqual({ code: 0, signal: null });
  });

  it('--grpc-use-ssl without a certificate exits 1 at once, naming the missing flag, before loading models', async () => {
    const cli = startProcess(process.execPath, [...CLI, ...SERVE, '--grpc-port', '0', '--grpc-use-ssl', '--grpc-server-key', 'server.key']);
    expect(await cli.exited).toEqual({ code: 1, signal: null });
    expect(cli.stderr).toContain('nereid: --grpc-server-cert is required with --grpc-use-ssl');
    expect(cli.stderr).not.toMatch(/loading model/);
  });
});
