/**
 * `npm run example:generate -- [--grpc HOST:PORT | --http URL] [--prompt 3,15,27] [--max-tokens 16]`
 *
 * Prints the tokens of the bundled `generate` model as they stream from a
 * running `npm start` (gRPC on 127.0.0.1:8001 by default).
 */
import { parseArgs } from 'node:util';
import { GrpcClient, HttpClient, type InferenceClient } from '../../sdk/client/index.ts';
import { streamTokens } from './stream-tokens.ts';

const { values } = parseArgs({
  options: {
    grpc: { type: 'string' },
    http: { type: 'string' },
    prompt: { type: 'string', default: '3,15,27' },
    'max-tokens': { type: 'string', default: '16' },
    temperature: { type: 'string', default: '0' },
  },
});
const client: InferenceClient = values.http ? new HttpClient(values.http) : new GrpcClient(values.grpc ?? '127.0.0.1:8001');
const prompt = values.prompt.split(',').map(Number);
const started = performance.now();
let first: number | undefined;
let count = 0;
try {
  process.stdout.write(`prompt ${prompt.join(' ')} ->`);
  for await (const token of streamTokens(client, prompt, { maxTokens: Number(values['max-tokens']), temperature: Number(values.temperature) })) {
    first ??= performance.now() - started;
    count++;
    process.stdout.write(` ${token}`);
  }
  const total = performance.now() - started;
  process.stdout.write(`\n${count} tokens over ${values.http ? 'HTTP (SSE)' : 'gRPC'}; first after ${(first ?? total).toFixed(1)} ms, ${total.toFixed(1)} ms in all\n`);
} catch (error) {
  process.stderr.write(`generate failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  client.close();
}
