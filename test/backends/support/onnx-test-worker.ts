/**
 * A wrapper around the real ONNX worker for tests (OnnxBackend's `workerUrl`):
 * - announces each start on the BroadcastChannel TEST_CHANNEL (onnx-test-worker-signals.ts), so a test can
 *   count how many sessions were loaded;
 * - exits the thread abruptly when a run carries an input named CRASH_INPUT,
 *   standing in for a worker that dies (uncaught error, out of memory).
 * The crash listener is registered before the real worker is imported, so it
 * sees each message first.
 */
import { BroadcastChannel, parentPort, threadId } from 'node:worker_threads';
import type { ToWorker } from '../../../runtime/backends/onnx/onnx-protocol.ts';
import { CRASH_INPUT, TEST_CHANNEL } from './onnx-test-worker-signals.ts';

const channel = new BroadcastChannel(TEST_CHANNEL);
channel.postMessage({ started: threadId });
channel.close();

parentPort!.on('message', (message: ToWorker) => {
  if (message.type === 'run' && message.requests.some((request) => request.inputs.some((input) => input.name === CRASH_INPUT))) {
    process.exit(70);
  }
});

await import('../../../runtime/backends/onnx/onnx-worker.ts');
