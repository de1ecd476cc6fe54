/**
 * Streams audio to the bundled `vad` model over one gRPC stream, one 32 ms
 * chunk (512 samples at 16 kHz) per request under one sequence, and yields
 * each chunk's speech probability as its answer arrives. Every chunk is a
 * request of the same sequence (`sequence_id`, with `sequence_start` on the
 * first and `sequence_end` on the last), so the server carries the model's
 * state from chunk to chunk; all of them travel on one `ModelStreamInfer`
 * stream (`GrpcClient.openStream`), so nothing waits for a round trip.
 *
 * @example
 * ```ts
 * const client = new GrpcClient('127.0.0.1:8001');
 * const { segments } = await detectSpeech(client, readWav(bytes));
 * ```
 */
import { Tensor, type GrpcClient } from '../../sdk/client/index.ts';
import { speechSegments, type SegmentOptions, type SpeechSegment } from './speech-segments.ts';
import type { WavAudio } from './wav.ts';

/** What the `vad` model takes: 512 samples per chunk at 16 kHz. */
export const VAD_SAMPLE_RATE = 16_000;
export const CHUNK_SAMPLES = 512;
export const CHUNK_MS = (CHUNK_SAMPLES / VAD_SAMPLE_RATE) * 1000;

export interface StreamSettings {
  /** The sequence's correlation id; default: a random one. */
  sequenceId?: number | string;
  /** Send one chunk every 32 ms, as a live microphone would; default: all at once. */
  realtime?: boolean;
  /** Default 'vad'. */
  model?: string;
  signal?: AbortSignal;
}

/** The audio's samples, checked to be what the model takes; throws a message saying how to convert other audio. */
export function vadSamples(audio: WavAudio, name = 'audio'): Float32Array {
  if (audio.sampleRate !== VAD_SAMPLE_RATE) {
    throw new Error(`${name}: ${audio.sampleRate} Hz audio; the vad model needs ${VAD_SAMPLE_RATE} Hz (sox in.wav -r ${VAD_SAMPLE_RATE} out.wav)`);
  }
  return audio.samples;
}

/** Chunk `index` of `samples`, the last one padded with silence. */
function chunkAt(samples: Float32Array, index: number): Float32Array {
  const chunk = samples.subarray(index * CHUNK_SAMPLES, (index + 1) * CHUNK_SAMPLES);
  if (chunk.length === CHUNK_SAMPLES) return chunk;
  const padded = new Float32Array(CHUNK_SAMPLES);
  padded.set(chunk);
  return padded;
}

/** The speech probability of each 32 ms chunk of `samples` (16 kHz), in order. */
export async function* speechProbabilities(client: GrpcClient, samples: Float32Array, settings: StreamSettings = {}): AsyncGenerator<number> {
  const count = Math.ceil(samples.length / CHUNK_SAMPLES);
  if (count === 0) return;
  const model = settings.model ?? 'vad';
  const sequenceId = settings.sequenceId ?? 1 + Math.floor(Math.random() * 2 ** 48);
  const stream = client.openStream({ signal: settings.signal });
  const send = (index: number) => {
    const parameters: Record<string, number | string | boolean> = { sequence_id: sequenceId };
    if (index === 0) parameters.sequence_start = true;
    if (index === count - 1) parameters.sequence_end = true;
    stream.send({ model, id: String(index), parameters, inputs: [new Tensor('audio', 'FP32', [1, CHUNK_SAMPLES], chunkAt(samples, index))] });
    if (index === count - 1) stream.end();
  };
  let timer: NodeJS.Timeout | undefined;
  if (settings.realtime) {
    // Each chunk leaves when its 32 ms of audio would have been recorded, on a clock that does not drift.
    const started = performance.now();
    let next = 0;
    const tick = () => {
      try {
        send(next++);
      } catch {
        return; // the stream failed or was cancelled: the loop below reports why
      }
      if (next < count) timer = setTimeout(tick, Math.max(0, started + next * CHUNK_MS - performance.now()));
    };
    tick();
  } else {
    for (let index = 0; index < count; index++) send(index);
  }
  let complete = false;
  try {
    let expected = 0;
    for await (const item of stream) {
      if (!item.ok) throw new Error(`chunk ${item.id ?? '?'} of sequence ${sequenceId} failed: ${item.error.message}`);
      const { response } = item;
      // One sequence's requests are answered in order; a gap would mean a lost chunk.
      if (response.id !== String(expected)) throw new Error(`expected the answer to chunk ${expected}, got '${response.id ?? ''}'`);
      const probability = response.outputs.find((output) => output.name === 'speech_probability');
      if (!probability) throw new Error(`the answer to chunk ${expected} has no 'speech_probability'`);
      yield (probability.data as Float32Array)[0]!;
      if (++expected === count) {
        complete = true;
        return;
      }
    }
    throw new Error(`the stream ended after ${expected} of ${count} chunks`);
  } finally {
    clearTimeout(timer);
    // Every answer read: the server ends the stream itself. Otherwise stop what is still in flight.
    if (!complete) stream.cancel();
  }
}

export interface SpeechDetection {
  readonly probabilities: number[];
  readonly segments: SpeechSegment[];
}

/** Streams `audio` and returns every chunk's probability and the speech segments they make. */
export async function detectSpeech(
  client: GrpcClient,
  samples: Float32Array,
  settings: StreamSettings & Omit<SegmentOptions, 'chunkMs'> = {},
): Promise<SpeechDetection> {
  const probabilities: number[] = [];
  for await (const probability of speechProbabilities(client, samples, settings)) probabilities.push(probability);
  return { probabilities, segments: speechSegments(probabilities, { ...settings, chunkMs: CHUNK_MS }) };
}
