/**
 * The raw baseline: onnxruntime-node alone, one InferenceSession in a worker
 * thread, fed by postMessage with transferred buffers. This is the floor the
 * server's own overhead is measured against.
 */
import * as ort from 'onnxruntime-node';
import { parentPort, workerData } from 'node:worker_threads';

interface RunMessage {
  id: number;
  feeds: { name: string; type: ort.Tensor.Type; dims: number[]; data: ArrayBufferView }[];
}

const { modelPath } = workerData as { modelPath: string };
const session = await ort.InferenceSession.create(modelPath, { executionProviders: ['cpu'] });
parentPort!.postMessage({ ready: true });
parentPort!.on('message', async (message: RunMessage) => {
  const feeds: Record<string, ort.Tensor> = {};
  for (const feed of message.feeds) feeds[feed.name] = new ort.Tensor(feed.type, feed.data as never, feed.dims);
  const results = await session.run(feeds);
  const outputs = Object.entries(results).map(([name, tensor]) => ({ name, dims: tensor.dims, data: tensor.data as ArrayBufferView }));
  parentPort!.postMessage({ id: message.id, outputs }, outputs.map((o) => o.data.buffer as ArrayBuffer));
});
