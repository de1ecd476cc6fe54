/**
 * The layout of one call to the ONNX `silero_vad` for a batch of streams,
 * and the conversions between it and each stream's own rows.
 *
 * Silero VAD v5 at 16 kHz scores 512 new samples at a time, preceded by the
 * last 64 samples of the stream's previous chunk (its context: silero-vad's
 * `OnnxWrapper` and vad-web do the same), and carries a recurrent state of
 * [2, 128] per stream. The model wants the batch as `input` [B, 64 + 512]
 * and `state` [2, B, 128]: the batch is the state's middle dimension, so
 * each stream's state is two separate runs of 128 values in the batch
 * tensor. The sequence batcher keeps state per stream, batch first
 * ([1, 2, 128] per request); packing and unpacking here turns one layout
 * into the other. Pure functions, no imports: tests call them directly.
 *
 * @example
 * ```ts
 * const state = packStates([a, b]);      // a, b: [2, 128] each -> [2, 2, 128]
 * unpackState(state, 2, 1);              // b again
 * ```
 */

/** Samples per chunk at 16 kHz: 32 ms. */
export const CHUNK_SAMPLES = 512;
/** Samples of the previous chunk that precede each chunk. */
export const CONTEXT_SAMPLES = 64;
/** The recurrent state of one stream: [STATE_LAYERS, STATE_WIDTH]. */
export const STATE_LAYERS = 2;
export const STATE_WIDTH = 128;
/** Values in one stream's state. */
export const STATE_SIZE = STATE_LAYERS * STATE_WIDTH;
/** The only sample rate this wrapper serves (silero also knows 8 kHz, with 256-sample chunks). */
export const SAMPLE_RATE = 16_000;

/** `input` [B, 64 + 512]: row b is stream b's context followed by its chunk. */
export function packInput(contexts: readonly Float32Array[], chunks: readonly Float32Array[]): Float32Array {
  const width = CONTEXT_SAMPLES + CHUNK_SAMPLES;
  const input = new Float32Array(chunks.length * width);
  chunks.forEach((chunk, row) => {
    input.set(contexts[row]!, row * width);
    input.set(chunk, row * width + CONTEXT_SAMPLES);
  });
  return input;
}

/** `state` [2, B, 128] from each stream's [2, 128]. */
export function packStates(states: readonly Float32Array[]): Float32Array {
  const batch = states.length;
  const packed = new Float32Array(STATE_LAYERS * batch * STATE_WIDTH);
  states.forEach((state, row) => {
    for (let layer = 0; layer < STATE_LAYERS; layer++) {
      packed.set(state.subarray(layer * STATE_WIDTH, (layer + 1) * STATE_WIDTH), (layer * batch + row) * STATE_WIDTH);
    }
  });
  return packed;
}

/** Stream `row`'s [2, 128] out of a [2, B, 128] state (a copy: the batch buffer is shared by every row). */
export function unpackState(packed: Float32Array, batch: number, row: number): Float32Array {
  const state = new Float32Array(STATE_SIZE);
  for (let layer = 0; layer < STATE_LAYERS; layer++) {
    const start = (layer * batch + row) * STATE_WIDTH;
    state.set(packed.subarray(start, start + STATE_WIDTH), layer * STATE_WIDTH);
  }
  return state;
}

/** The context the next chunk of a stream needs: the last 64 samples of this one (a copy). */
export function nextContext(chunk: Float32Array): Float32Array {
  return chunk.slice(chunk.length - CONTEXT_SAMPLES);
}
