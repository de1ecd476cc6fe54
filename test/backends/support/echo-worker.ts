/** A tiny TypeScript worker for start-worker tests: proves type syntax loads and `.ts` imports resolve inside the thread. */
import { parentPort } from 'node:worker_threads';
import { DATATYPES } from '../../../sdk/datatypes.ts';

const bytes: number = DATATYPES.FP32.bytesPerElement;
parentPort!.on('message', (message: { ping: number }) => {
  parentPort!.postMessage({ pong: message.ping + 1, fp32Bytes: bytes });
});
