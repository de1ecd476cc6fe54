/**
 * The vad model's layout conversions (models/vad/1/silero-batch.ts): each
 * stream's batch-first state in and out of silero's [2, B, 128], and the
 * context that precedes each chunk.
 */
import { describe, expect, it } from 'vitest';
import {
  CHUNK_SAMPLES,
  CONTEXT_SAMPLES,
  nextContext,
  packInput,
  packStates,
  STATE_LAYERS,
  STATE_SIZE,
  STATE_WIDTH,
  unpackState,
} from '../../models/vad/1/silero-batch.ts';

/** A state whose every value says whose it is: stream * 1000 + layer * 128 + k. */
function taggedState(stream: number): Float32Array {
  return Float32Array.from({ length: STATE_SIZE }, (_, i) => stream * 1000 + i);
}

describe('silero batch layout', () => {
  it('packs per-stream [2, 128] states into [2, B, 128], the batch as the middle dimension', () => {
    const batch = 3;
    const packed = packStates([0, 1, 2].map(taggedState));
    expect(packed.length).toBe(STATE_LAYERS * batch * STATE_WIDTH);
    for (let layer = 0; layer < STATE_LAYERS; layer++) {
      for (let stream = 0; stream < batch; stream++) {
        for (const k of [0, 1, 127]) {
          expect(packed[(layer * batch + stream) * STATE_WIDTH + k]).toBe(stream * 1000 + layer * STATE_WIDTH + k);
        }
      }
    }
  });

  it('unpacks each stream its own state, as a copy', () => {
    const states = [0, 1, 2, 3].map(taggedState);
    const packed = packStates(states);
    states.forEach((state, stream) => expect(unpackState(packed, states.length, stream)).toEqual(state));
    const one = unpackState(packed, states.length, 1);
    one[0] = -1;
    expect(packed[STATE_WIDTH]).toBe(1000); // stream 1, layer 0, k 0 is untouched
  });

  it('puts each stream\'s context before its chunk, and keeps the chunk\'s tail as the next context', () => {
    const chunks = [0, 1].map((stream) => Float32Array.from({ length: CHUNK_SAMPLES }, (_, i) => stream + i / 10_000));
    const contexts = [0, 1].map((stream) => new Float32Array(CONTEXT_SAMPLES).fill(-1 - stream));
    const input = packInput(contexts, chunks);
    const width = CONTEXT_SAMPLES + CHUNK_SAMPLES;
    expect(input.length).toBe(2 * width);
    expect(input.subarray(width, width + CONTEXT_SAMPLES).every((v) => v === -2)).toBe(true);
    expect(input.subarray(width + CONTEXT_SAMPLES, 2 * width)).toEqual(chunks[1]);
    const context = nextContext(chunks[1]!);
    expect(context).toEqual(chunks[1]!.subarray(CHUNK_SAMPLES - CONTEXT_SAMPLES));
    expect(context.buffer).not.toBe(chunks[1]!.buffer);
  });
});
