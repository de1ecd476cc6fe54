/**
 * The bundled `generate_decoder` computes what scripts/onnx/decoder-model.ts
 * says: its logits equal an independent plain-TypeScript forward pass over
 * the same weights (support/reference-decoder.ts), and its end-token ramp
 * makes greedy decoding end on its own.
 *
 * Sessions run on the main thread here: these tests check the model, not the server.
 */
import { readFile } from 'node:fs/promises';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decoderModel } from '../../scripts/onnx/decoder-model.ts';
import { DECODER_SHAPE, decoderWeights } from '../../scripts/onnx/decoder-weights.ts';
import { argmax, referenceLogits } from './support/reference-decoder.ts';

const MODEL_FILE = new URL('../../models/generate_decoder/1/model.onnx', import.meta.url);
const GENERATE_CONFIG = new URL('../../models/generate/config.pbtxt', import.meta.url);
const weights = decoderWeights();
const { vocab, maxLength, endId } = DECODER_SHAPE;

let session: ort.InferenceSession;
beforeAll(async () => {
  session = await ort.InferenceSession.create(await readFile(MODEL_FILE));
});
afterAll(async () => {
  await session.release();
});

/** Logits for `rows` (all the same length) as one batch: [rows.length][vocab]. */
async function onnxLogits(rows: readonly (readonly number[])[]): Promise<Float32Array[]> {
  const length = rows[0]!.length;
  const ids = BigInt64Array.from(rows.flat(), BigInt);
  const out = await session.run({ input_ids: new ort.Tensor('int64', ids, [rows.length, length]) });
  expect(out.logits!.dims).toEqual([rows.length, vocab]);
  const data = out.logits!.data as Float32Array;
  return rows.map((_, row) => data.subarray(row * vocab, (row + 1) * vocab));
}

/** Largest |onnx - reference| relative to max(1, |reference|): float32 vs float64 arithmetic. */
function worstError(onnx: Float32Array, reference: Float64Array): number {
  let worst = 0;
  for (let i = 0; i < reference.length; i++) worst = Math.max(worst, Math.abs(onnx[i]! - reference[i]!) / Math.max(1, Math.abs(reference[i]!)));
  return worst;
}

const tokens = (length: number, step: number, start: number) => Array.from({ length }, (_, i) => (start + i * step) % vocab);

describe('generate_decoder', () => {
  it('has the documented signature', () => {
    expect(session.inputNames).toEqual(['input_ids']);
    expect(session.outputNames).toEqual(['logits']);
  });

  it.each([
    ['one token', [[7]]],
    ['a short prompt', [[5, 9, 3, 1]]],
    ['a batch of two rows', [tokens(10, 37, 11), tokens(10, 5, 2)]],
    ['the full 128-token context', [tokens(maxLength, 29, 3)]],
  ])('matches the plain-TypeScript forward pass: %s', async (_, rows) => {
    const logits = await onnxLogits(rows);
    rows.forEach((row, index) => {
      const reference = referenceLogits(weights, row);
      expect(worstError(logits[index]!, reference)).toBeLessThan(1e-4);
      // Same greedy choice too, unless two logits are within float32 noise of each other.
      const sorted = [...reference].sort((a, b) => b - a);
      if (sorted[0]! - sorted[1]! > 1e-3) expect(argmax(logits[index]!)).toBe(argmax(reference));
    });
  });

  it('masks future positions (without the mask the reference disagrees)', async () => {
    // Only the last position's logits come out, and it may see every token;
    // but the second block reads the first block's output at earlier
    // positions, which must not have seen later tokens. So the causal
    // reference matches and an unmasked one does not.
    const row = tokens(12, 7, 1);
    const [logits] = await onnxLogits([row]);
    expect(worstError(logits!, referenceLogits(weights, row))).toBeLessThan(1e-4);
    expect(worstError(logits!, referenceLogits(weights, row, { causal: false }))).toBeGreaterThan(1e-2);
  });

  it('raises the end token with the length, so greedy decoding ends on its own', () => {
    const lengths: number[] = [];
    for (const prompt of [[1], [2, 8], [3, 15, 27], [40, 41, 42, 43, 44]]) {
      const sequence = [...prompt];
      for (let next = argmax(referenceLogits(weights, sequence)); next !== endId && sequence.length < maxLength; ) {
        sequence.push(next);
        next = argmax(referenceLogits(weights, sequence));
      }
      lengths.push(sequence.length - prompt.length);
    }
    // Every prompt ends well inside the default max_tokens (32) and the context.
    expect(lengths.every((n) => n >= 5 && n < 32), `generated lengths ${lengths}`).toBe(true);
  });

  it('refuses a sequence longer than its positional embedding', async () => {
    await expect(onnxLogits([tokens(maxLength + 1, 1, 0)])).rejects.toThrow(/index|bounds|Gather/i);
  });

  it('is rebuilt byte for byte from the same options', () => {
    expect(Buffer.from(decoderModel().onnx).equals(Buffer.from(decoderModel().onnx))).toBe(true);
  });

  it("agrees with the generate model's config parameters", async () => {
    const config = await readFile(GENERATE_CONFIG, 'utf8');
    const parameter = (key: string) => new RegExp(`key: "${key}"\\s*value: \\{ string_value: "([^"]*)" \\}`).exec(config)?.[1];
    expect(parameter('decoder_model')).toBe('generate_decoder');
    expect(parameter('vocab_size')).toBe(String(vocab));
    expect(parameter('context_length')).toBe(String(maxLength));
    expect(parameter('end_id')).toBe(String(endId));
  });
});
