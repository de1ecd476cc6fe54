/**
 * A small seeded pseudo-random generator (mulberry32) for sampling.
 *
 * Why not Math.random: the same `seed` must give the same tokens on every
 * run, and a test must be able to replay a generation. A copy of the
 * algorithm the build scripts use for weights (scripts/onnx/prng.ts) rather
 * than an import of it: a model bundle may only import from its own
 * directory and the nereid sdk.
 *
 * @example
 * ```ts
 * const random = new SeededRandom(42);
 * random.next(); // 0 <= x < 1, the same every run for seed 42
 * ```
 */
export class SeededRandom {
  #state: number;

  /** `seed` is taken modulo 2^32 (see `foldSeed` for 64-bit seeds). */
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  /** A float in [0, 1) with 32 random bits. */
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/**
 * A 64-bit seed (Triton's `random_seed` is UINT64) folded to the generator's
 * 32 bits: the high half is xored into the low half, so seeds that differ
 * only above bit 31 still give different streams.
 */
export function foldSeed(seed: bigint): number {
  const value = BigInt.asUintN(64, seed);
  return Number(BigInt.asUintN(32, value ^ (value >> 32n)));
}

/** A seed for a request that gave none: a fresh, unreproducible one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 4294967296);
}
