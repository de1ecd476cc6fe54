/**
 * Streaming voice-activity detection end to end: the bundled `vad` (model.ts,
 * sequence batcher with implicit state) and `silero_vad` (the ONNX file of
 * the @ricky0123/vad-web package) behind a real gRPC frontend on a free
 * port, driven by examples/vad's client code on the checked-in WAV.
 */
import { execFile } from 'node:child_process';
import { mkdir, readFile, symlink, copyFile } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGrpcFrontend, type GrpcFrontend } from '../../runtime/grpc/grpc-frontend.ts';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { GrpcClient, Tensor, type InferRequest, type ModelStatistics } from '../../sdk/client/index.ts';
import { CHUNK_SAMPLES, detectSpeech, speechProbabilities, vadSamples } from '../../examples/vad/stream-vad.ts';
import { readWav } from '../../examples/vad/wav.ts';
import { BUNDLED_MODELS, REPO_ROOT } from '../e2e/support/e2e-server.ts';
import { memoryLogger } from '../server/support.ts';
import { collect } from '../support/collect.ts';
import { errorOf } from '../support/rejection.ts';
import { useTempServer } from '../support/temp-server.ts';

/** Where examples/vad/README.md says the fixture's two sentences are, in seconds. */
const SPEECH = [
  { start: 1.0, end: 3.515 },
  { start: 5.015, end: 7.1 },
];
/** Segments may start up to a chunk early or end a few chunks late: the model hears the onset and the decay. */
const TOLERANCE_S = 0.1;

let server: Server;
let grpc: GrpcFrontend;
let address: string;
let client: GrpcClient;
let samples: Float32Array;

beforeAll(async () => {
  server = await createServer({ modelRepository: BUNDLED_MODELS, modelControlMode: 'explicit', loadModels: ['vad', 'silero_vad'], log: memoryLogger() });
  grpc = createGrpcFrontend(server, { port: 0, host: '127.0.0.1', log: memoryLogger() });
  address = `127.0.0.1:${(await grpc.listen()).port}`;
  client = new GrpcClient(address);
  samples = vadSamples(readWav(await readFile(path.join(REPO_ROOT, 'examples/vad/speech.wav'))));
}, 60_000);

afterAll(async () => {
  client?.close();
  await grpc?.close();
  await server?.close();
});

function vadStats(): ModelStatistics {
  return server.modelStatistics('vad').model_stats[0]!;
}

describe('examples/vad against the vad model', () => {
  it('finds the two spoken sentences of the fixture, where they are', async () => {
    const { probabilities, segments } = await detectSpeech(client, samples);
    expect(probabilities).toHaveLength(Math.ceil(samples.length / CHUNK_SAMPLES));
    expect(segments).toHaveLength(SPEECH.length);
    segments.forEach((segment, i) => {
      expect(Math.abs(segment.start - SPEECH[i]!.start), `start of segment ${i}: ${segment.start}`).toBeLessThanOrEqual(TOLERANCE_S);
      expect(Math.abs(segment.end - SPEECH[i]!.end), `end of segment ${i}: ${segment.end}`).toBeLessThanOrEqual(TOLERANCE_S);
    });
    // Silence is silence and speech is speech, well clear of the thresholds.
    const at = (seconds: number) => probabilities[Math.floor((seconds * 16_000) / CHUNK_SAMPLES)]!;
    expect(at(0.5)).toBeLessThan(0.1);
    expect(at(4.2)).toBeLessThan(0.1);
    expect(at(2.0)).toBeGreaterThan(0.9);
    expect(at(6.5)).toBeGreaterThan(0.9);
  });

  it('gives concurrent streams, batched together, the probabilities each gets alone', async () => {
    // Different audio per stream (windows of the fixture at different offsets): a state given to the wrong stream would show.
    const streams = 8;
    const window = 3 * 16_000;
    const audio = Array.from({ length: streams }, (_, k) => samples.subarray(k * 9_000, k * 9_000 + window));
    const alone: number[][] = [];
    for (const [k, part] of audio.entries()) alone.push(await collect(speechProbabilities(client, part, { sequenceId: 100 + k })));
    const before = vadStats();
    const together = await Promise.all(audio.map((part, k) => collect(speechProbabilities(client, part, { sequenceId: `together-${k}` }))));
    const after = vadStats();
    for (let k = 0; k < streams; k++) {
      expect(together[k]).toHaveLength(alone[k]!.length);
      const worst = Math.max(...together[k]!.map((p, i) => Math.abs(p - alone[k]![i]!)));
      expect(worst, `stream ${k}: largest difference from its probabilities alone`).toBeLessThan(1e-4);
    }
    // The streams really shared silero calls: fewer executions than chunks, and batches of more than one stream.
    const chunks = after.inference_count - before.inference_count;
    const executions = after.execution_count - before.execution_count;
    expect(chunks).toBe(streams * Math.ceil(window / CHUNK_SAMPLES));
    expect(executions).toBeLessThan(chunks / 2);
    const largest = Math.max(...after.batch_stats.map((stats) => stats.batch_size));
    expect(largest).toBeGreaterThan(1);
  });

  it('prints the segments from its command line', async () => {
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, ['--import', 'tsx', 'examples/vad/main.ts', '--grpc', address], { cwd: REPO_ROOT });
    expect(stdout).toMatch(/^speech 0\.9\ds - 3\.[56]\ds\nspeech 5\.0\ds - 7\.1\ds\n2 speech segment\(s\) in 8\.10 s of audio; 254 chunks over gRPC in \d+ ms\n$/);
  });
});

describe('the vad model refuses bad input', () => {
  const chunk = (values: Float32Array = new Float32Array(CHUNK_SAMPLES)) => new Tensor('audio', 'FP32', [1, values.length], values);
  const request = (inputs: Tensor[], parameters: InferRequest['parameters'] = { sequence_id: 9, sequence_start: true, sequence_end: true }): InferRequest => ({
    model: 'vad',
    inputs,
    parameters,
  });
  it('names the model and the tensor for a wrong chunk length or datatype, or a sample that is not a number', async () => {
    const short = await errorOf(client.infer(request([chunk(new Float32Array(400))])));
    expect(short.code).toBe('INVALID_ARG');
    expect(short.message).toBe("unexpected shape for input 'audio' for model 'vad'. Expected [-1,512], got [1,400]");
    const pcm = await errorOf(client.infer(request([new Tensor('audio', 'INT16', [1, CHUNK_SAMPLES], new Int16Array(CHUNK_SAMPLES))])));
    expect(pcm.message).toBe("inference input 'audio' data-type is 'INT16', but model 'vad' expects 'FP32'");
    const noisy = new Float32Array(CHUNK_SAMPLES);
    noisy[7] = Number.NaN;
    const nan = await errorOf(client.infer(request([chunk(noisy)])));
    expect(nan.code).toBe('INVALID_ARG');
    expect(nan.message).toBe("model 'vad': input 'audio' holds a value that is not a finite number (sample 7: NaN)");
  });

  it('asks for a sequence id and a START, as Triton words it', async () => {
    const missing = await errorOf(client.infer(request([chunk()], {})));
    expect(missing.message).toBe("inference request to model 'vad' must specify a non-zero or non-empty correlation ID");
    const notStarted = await errorOf(client.infer(request([chunk()], { sequence_id: 'never-started' })));
    expect(notStarted.message).toBe("inference request for sequence never-started to model 'vad' must specify the START flag on the first request of the sequence");
  });

  it('fails only the bad chunk of a stream: its id comes back with the error, and the sequence goes on from its last good state', async () => {
    const good = samples.subarray(16_000, 16_000 + 3 * CHUNK_SAMPLES);
    const part = (i: number) => good.slice(i * CHUNK_SAMPLES, (i + 1) * CHUNK_SAMPLES);
    const expected = await collect(speechProbabilities(client, good, { sequenceId: 'reference' }));
    const stream = client.openStream();
    const send = (id: string, values: Float32Array, parameters: InferRequest['parameters']) =>
      stream.send({ model: 'vad', id, inputs: [chunk(values)], parameters: { sequence_id: 'with-a-bad-chunk', ...parameters } });
    send('0', part(0), { sequence_start: true });
    send('bad', new Float32Array(CHUNK_SAMPLES).fill(Number.POSITIVE_INFINITY), {});
    send('1', part(1), {});
    send('2', part(2), { sequence_end: true });
    stream.end();
    const seen: (string | number)[] = [];
    for await (const item of stream) {
      if (item.ok) seen.push((item.response.outputs[0]!.data as Float32Array)[0]!);
      else seen.push(`${item.id}: ${item.error.message}`);
    }
    expect(seen).toEqual([expected[0], "bad: model 'vad': input 'audio' holds a value that is not a finite number (sample 0: Infinity)", expected[1], expected[2]]);
  });
});

describe('silero_vad without its npm package installed', () => {
  const fixture = useTempServer();

  it('fails to load with a message that says to install the model\'s dependencies', async () => {
    const dir = path.join(fixture.repo, 'silero_vad');
    await mkdir(path.join(dir, '1'), { recursive: true });
    await copyFile(path.join(BUNDLED_MODELS, 'silero_vad', 'config.pbtxt'), path.join(dir, 'config.pbtxt'));
    await symlink('../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx', path.join(dir, '1', 'model.onnx'));
    const s = await fixture.start();
    expect(s.isModelReady('silero_vad')).toBe(false);
    const line = fixture.log.lines.find((l) => l.includes("failed to load model 'silero_vad'"));
    expect(line).toContain(
      `model file not found: ${path.join(dir, '1', 'model.onnx')} is a symlink to ../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx, which does not exist: ` +
        `the model's npm dependencies are not installed (run npm ci in ${dir}, or npm ci at the project root for its models/ folder)`,
    );
  });
});
