/**
 * A wrapper around the real ONNX worker for tests (OnnxBackend's `workerUrl`):
 * - announces each start on the BroadcastChannel TEST_CHANNEL (onnx-test-worker-signals.ts), so a test can
 *   count how many sessions were loaded;
 * - exits the thread abruptly when a run carries an input named CRASH_INPUT
 *   or an FP32 input whose first element is CRASH_VALUE,
 *   standing in for a worker that dies (uncaught error, out of memory).
 * The crash listener is registered before the real worker is imported, so it
 * sees each message first.
 */
import { BroadcastChannel, parentPort, threadId } from 'node:worker_threads';
import type { ToWorker } from '../../../runtime/backends/onnx/onnx-protocol.ts';
import { readRunFrame } from '../../../runtime/backends/onnx/run-frames.ts';
import { CRASH_INPUT, CRASH_VALUE, TEST_CHANNEL } from './onnx-test-worker-signals.ts';

const channel = new BroadcastChannel(TEST_CHANNEL);
channel.postMessage({ started: threadId });
channel.close();

parentPort!.on('message', (message: ToWorker) => {
  const crashes = (input: { name: string; datatype: string; data: ArrayLike<unknown> }) =>
    input.name === CRASH_INPUT || (input.datatype === 'FP32' && input.data[0] === CRASH_VALUE);
  if (Array.isArray(message) && readRunFrame(message).requests.some((request) => request.inputs.some(crashes))) {
    process.exit(70);
  }
});

await import('../../../runtime/backends/onnx/onnx-worker.ts');
