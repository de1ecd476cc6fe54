/**
 * A tiny seeded pseudo-random generator (mulberry32) for model weights.
 *
 * Why not Math.random: the bundled `.onnx` files are committed, so their
 * weights must come out bit-identical on every machine and every run. Only
 * 32-bit integer arithmetic and exact float scaling are used here (no
 * Math.log/sin, whose last bits may differ between engines), so the stream
 * depends on nothing but the seed.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * rng.nextFloat();                              // 0 <= x < 1, same every run
 * rng.uniformFloat32(64 * 128, -0.1, 0.1);      // Float32Array of weights
 * ```
 */
export class Rng {
  #state: number;

  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new Error(`Rng seed must be an integer, got ${seed}`);
    this.#state = seed >>> 0;
  }

  /** The next 32-bit unsigned integer of the stream. */
  nextUint32(): number {
    // mulberry32: a Weyl sequence step followed by an xorshift-multiply mix.
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** A float in [0, 1): a 32-bit integer scaled by 2^-32, which is exact in a double. */
  nextFloat(): number {
    return this.nextUint32() / 4294967296;
  }

  /** An integer in [lo, hi] inclusive; the range must fit in 32 bits. */
  nextInt(lo: number, hi: number): number {
    const span = hi - lo + 1;
    if (!Number.isInteger(lo) || !Number.isInteger(hi) || span <= 0 || span > 4294967296) {
      throw new Error(`Rng.nextInt: bad range [${lo}, ${hi}]`);
    }
    // The slight modulo bias is irrelevant for test data and keeps the stream simple.
    return lo + (this.nextUint32() % span);
  }

  /** `length` floats drawn uniformly from [lo, hi), rounded to float32. */
  uniformFloat32(length: number, lo: number, hi: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = lo + (hi - lo) * this.nextFloat();
    return out;
  }

  /**
   * Glorot/Xavier-uniform weights for a layer with `fanIn` inputs and `fanOut`
   * outputs: keeps activations in a sane range through stacked layers.
   * Math.sqrt is correctly rounded by IEEE 754, so this stays deterministic.
   */
  glorotFloat32(fanIn: number, fanOut: number, length = fanIn * fanOut): Float32Array {
    const limit = Math.sqrt(6 / (fanIn + fanOut));
    return this.uniformFloat32(length, -limit, limit);
  }
}
