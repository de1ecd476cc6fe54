/**
 * The floor for any HTTP server that keeps inference off its event loop:
 * fastify, with a POST route that runs a fixed request on a raw onnxruntime-node
 * session in a worker thread (raw-session.ts) and replies with an empty body.
 * No decoding, validation or encoding. Usage: fastify-raw-worker.ts PORT MODEL_PATH
 */
import Fastify from 'fastify';
import { RawSession } from './raw-session.ts';
import { rawFeeds } from './workloads.ts';

const [port, modelPath, model] = process.argv.slice(2);
const session = await RawSession.create(modelPath!);
const feeds = rawFeeds(model!);
const app = Fastify({ logger: false });
app.removeAllContentTypeParsers();
app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));
app.post('/', async () => {
  await session.run(feeds);
  return '';
});
await app.listen({ port: Number(port), host: '127.0.0.1' });
process.stdout.write('ready\n');
