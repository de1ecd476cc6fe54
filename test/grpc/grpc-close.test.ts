/**
 * Closing the gRPC frontend: a stream whose requests are answered ends,
 * close() resolves, and new calls are refused.
 */
import { describe, expect, it } from 'vitest';
import { BUNDLED_MODELS } from '../e2e/support/e2e-server.ts';
import { simpleInputs } from '../e2e/support/simple-model.ts';
import { callUnary, startGrpc } from './support/grpc-harness.ts';

describe('gRPC frontend close()', () => {
  it('ends an open stream once its requests are answered, and resolves', async () => {
    const h = await startGrpc({ modelRepository: [BUNDLED_MODELS], modelControlMode: 'explicit', loadModels: ['simple'] });
    try {
      const stream = h.clients.inference.ModelStreamInfer();
      const received: unknown[] = [];
      stream.on('data', (message) => received.push(message));
      const ended = new Promise<void>((resolve, reject) => {
        stream.on('end', resolve);
        stream.on('error', reject);
      });
      const { a, b } = simpleInputs(1);
      stream.write({
        model_name: 'simple',
        inputs: [
          { name: 'INPUT0', datatype: 'INT32', shape: [1, 16] },
          { name: 'INPUT1', datatype: 'INT32', shape: [1, 16] },
        ],
        raw_input_contents: [Buffer.from(a.buffer), Buffer.from(b.buffer)],
      });
      // Let the request reach the server before closing.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await h.frontend.close();
      await ended;
      expect(received).toHaveLength(1);
      expect((received[0] as { error_message: string }).error_message).toBe('');
      await expect(callUnary(h.clients.inference, 'ServerLive', {})).rejects.toThrow();
    } finally {
      await h.close();
    }
  });
});
