/**
 * `npm run example:ocr -- <image> [--ensemble] [--classify-orientation] [--grpc HOST:PORT | --http URL]`
 *
 * Prints the text lines a running `npm start` reads in a PNG or JPEG file
 * (HTTP on 127.0.0.1:8000 by default), one per line: the text, its score and
 * its box.
 */
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { GrpcClient, HttpClient, type InferenceClient } from '../../sdk/client/index.ts';
import { readText } from './read-text.ts';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    grpc: { type: 'string' },
    http: { type: 'string' },
    ensemble: { type: 'boolean', default: false },
    'classify-orientation': { type: 'boolean' },
  },
});
if (positionals.length !== 1) {
  process.stderr.write('usage: npm run example:ocr -- <image.png|image.jpg> [--ensemble] [--classify-orientation] [--grpc HOST:PORT | --http URL]\n');
  process.exit(2);
}
if (values.ensemble && values['classify-orientation'] !== undefined) {
  // A fixed graph cannot make a step optional: ocr_ensemble never classifies orientation.
  process.stderr.write('--classify-orientation works with the ocr model only; ocr_ensemble has no orientation step\n');
  process.exit(2);
}
const client: InferenceClient = values.grpc ? new GrpcClient(values.grpc) : new HttpClient(values.http ?? 'http://127.0.0.1:8000');
const model = values.ensemble ? 'ocr_ensemble' : 'ocr';
try {
  const started = performance.now();
  const lines = await readText(client, await readFile(positionals[0]!), { model, classifyOrientation: values['classify-orientation'] });
  const elapsed = performance.now() - started;
  for (const line of lines) {
    const box = line.box.map(([x, y]) => `${Math.round(x)},${Math.round(y)}`).join(' ');
    process.stdout.write(`${line.text}\t(score ${line.score.toFixed(3)}, box ${box})\n`);
  }
  process.stdout.write(`${lines.length} line(s) from '${model}' over ${values.grpc ? 'gRPC' : 'HTTP'} in ${elapsed.toFixed(1)} ms\n`);
} catch (error) {
  process.stderr.write(`ocr failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  client.close();
}
