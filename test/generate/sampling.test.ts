/**
 * The generate model's token picker and PRNG, called directly in Node (they
 * import nothing, so they run the same here as in the model's isolate).
 */
import { describe, expect, it } from 'vitest';
import { foldSeed, SeededRandom } from '../../models/generate/1/random.ts';
import { argmax, pickToken } from '../../models/generate/1/sampling.ts';

const logits = Float32Array.of(1, 3, 2, 3, -1, 0.5); // ids 1 and 3 tie for the top

/** How often each token is picked in `draws` draws. */
function histogram(settings: Parameters<typeof pickToken>[1], draws = 20_000, seed = 1): number[] {
  const random = new SeededRandom(seed);
  const counts = new Array<number>(logits.length).fill(0);
  for (let i = 0; i < draws; i++) counts[pickToken(logits, settings, () => random.next())]!++;
  return counts.map((count) => count / draws);
}

describe('pickToken', () => {
  it('is argmax at temperature 0, the lower id winning a tie', () => {
    expect(argmax(logits)).toBe(1);
    expect(pickToken(logits, { temperature: 0, topK: 0, topP: 1 })).toBe(1);
  });

  it('top_k 1 is greedy at any temperature, and draws nothing', () => {
    const random = () => {
      throw new Error('no draw expected');
    };
    expect(pickToken(logits, { temperature: 5, topK: 1, topP: 1 }, random)).toBe(1);
  });

  it('samples the softmax of logits / temperature', () => {
    const temperature = 2;
    const weights = Array.from(logits, (l) => Math.exp(l / temperature));
    const total = weights.reduce((a, b) => a + b);
    const expected = weights.map((w) => w / total);
    histogram({ temperature, topK: 0, topP: 1 }).forEach((p, id) => expect(p).toBeCloseTo(expected[id]!, 1.5));
  });

  it('top_k keeps only the k most likely tokens', () => {
    const p = histogram({ temperature: 1, topK: 3, topP: 1 });
    // Ranked: 1, 3 (tied at 3), then 2 (logit 2); the rest never appear.
    expect([p[0], p[4], p[5]]).toEqual([0, 0, 0]);
    expect(p[2]).toBeGreaterThan(0.1);
    expect(p[1]).toBeCloseTo(p[3]!, 1.5);
  });

  it('top_p keeps the smallest prefix reaching p', () => {
    // At temperature 1 the two tied tokens hold ~0.32 each: p = 0.5 needs both, nothing more.
    const p = histogram({ temperature: 1, topK: 0, topP: 0.5 });
    expect(p[1]! + p[3]!).toBe(1);
    // A tiny p keeps only the top token: greedy.
    expect(histogram({ temperature: 1, topK: 0, topP: 1e-6 }, 100)[1]).toBe(1);
  });

  it('needs a random source to sample', () => {
    expect(() => pickToken(logits, { temperature: 1, topK: 0, topP: 1 })).toThrow(/random source/);
  });
});

describe('SeededRandom', () => {
  it('repeats its stream for a seed and differs between seeds', () => {
    const stream = (seed: number) => {
      const random = new SeededRandom(seed);
      return Array.from({ length: 5 }, () => random.next());
    };
    expect(stream(7)).toEqual(stream(7));
    expect(stream(7)).not.toEqual(stream(8));
    expect(stream(7).every((x) => x >= 0 && x < 1)).toBe(true);
  });

  it('folds 64-bit seeds so the high half counts', () => {
    expect(foldSeed(5n)).toBe(5);
    expect(foldSeed(5n + (1n << 32n))).not.toBe(foldSeed(5n));
    expect(foldSeed((1n << 64n) - 1n)).toBe(0);
  });
});
