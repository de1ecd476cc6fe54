/**
 * `npm run example:vad -- [--grpc HOST:PORT] [--file speech.wav] [--realtime] [--threshold 0.5]
 *   [--negative-threshold 0.35] [--min-speech-ms 250] [--min-silence-ms 300] [--probabilities]`
 *
 * Streams a 16 kHz mono WAV file to the bundled `vad` model of a running
 * `npm start` (gRPC on 127.0.0.1:8001 by default), 32 ms per request under
 * one sequence, and prints the speech segments it finds.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { GrpcClient } from '../../sdk/client/index.ts';
import { CHUNK_MS, detectSpeech, VAD_SAMPLE_RATE, vadSamples } from './stream-vad.ts';
import { readWav } from './wav.ts';

const { values } = parseArgs({
  options: {
    grpc: { type: 'string', default: '127.0.0.1:8001' },
    file: { type: 'string', default: fileURLToPath(new URL('speech.wav', import.meta.url)) },
    realtime: { type: 'boolean', default: false },
    threshold: { type: 'string', default: '0.5' },
    'negative-threshold': { type: 'string' },
    'min-speech-ms': { type: 'string', default: '250' },
    'min-silence-ms': { type: 'string', default: '300' },
    probabilities: { type: 'boolean', default: false },
  },
});

const client = new GrpcClient(values.grpc);
try {
  const samples = vadSamples(readWav(await readFile(values.file), values.file), values.file);
  const started = performance.now();
  const { probabilities, segments } = await detectSpeech(client, samples, {
    realtime: values.realtime,
    positiveThreshold: Number(values.threshold),
    ...(values['negative-threshold'] ? { negativeThreshold: Number(values['negative-threshold']) } : {}),
    minSpeechMs: Number(values['min-speech-ms']),
    minSilenceMs: Number(values['min-silence-ms']),
  });
  const elapsed = performance.now() - started;
  if (values.probabilities) {
    probabilities.forEach((p, i) => process.stdout.write(`${((i * CHUNK_MS) / 1000).toFixed(3)}s ${p.toFixed(3)}\n`));
  }
  for (const { start, end } of segments) process.stdout.write(`speech ${start.toFixed(2)}s - ${end.toFixed(2)}s\n`);
  const audioSeconds = samples.length / VAD_SAMPLE_RATE;
  process.stdout.write(`${segments.length} speech segment(s) in ${audioSeconds.toFixed(2)} s of audio; ${probabilities.length} chunks over gRPC in ${elapsed.toFixed(0)} ms\n`);
} catch (error) {
  process.stderr.write(`vad failed: ${(error as Error).message}\n`);
  process.exitCode = 1;
} finally {
  client.close();
}
