/**
 * The shape and the deterministic weights of the small decoder-only language
 * model behind `models/generate_decoder` (graph: decoder-model.ts).
 *
 * The weights are seeded pseudo-random numbers, not trained: the model
 * speaks gibberish. One thing is built in on purpose: the end token's logit
 * grows linearly with the sequence length (`endSlope` per token, starting at
 * `-endOffset`), so greedy decoding reaches the end token after a few dozen
 * tokens and generation ends deterministically instead of always running to
 * max_tokens. Sampling at a high temperature ends sooner or later too, since
 * the end token eventually dominates the distribution.
 *
 * Kept apart from the graph so a test can run an independent forward pass
 * over the very same numbers (test/generate/support/reference-decoder.ts).
 *
 * @example
 * ```ts
 * const weights = decoderWeights(DECODER_SHAPE);
 * weights.tokenEmbedding; // Float32Array, vocab x dim, row-major
 * ```
 */
import { Rng } from './prng.ts';

export interface DecoderShape {
  /** Token ids are 0..vocab-1. */
  vocab: number;
  /** Width of the residual stream. */
  dim: number;
  /** Attention heads per layer; `dim` must divide evenly. */
  heads: number;
  /** Transformer blocks (attention + MLP each). */
  layers: number;
  /** Hidden width of each block's MLP. */
  mlpHidden: number;
  /** Rows of the positional embedding: the longest sequence the model accepts. */
  maxLength: number;
  /** The end-of-sequence token. */
  endId: number;
  /** Added to the end token's logit per token of the sequence so far. */
  endSlope: number;
  /** Subtracted from the end token's logit (so a short sequence rarely ends). */
  endOffset: number;
  /**
   * Multiplies the output projection: larger logits make the sampled
   * distribution peaked enough that temperature and top-p visibly matter.
   */
  logitScale: number;
  /** LayerNormalization epsilon. */
  epsilon: number;
}

/**
 * The bundled decoder: 64 tokens, width 32, 2 heads, 2 blocks, context 128.
 * With these end settings greedy decoding of short prompts (1 to 7 tokens)
 * emits the end token after 10 to 31 tokens (measured over 40 prompts), so
 * it ends well inside a max_tokens of 32 and far from the 128-token context.
 */
export const DECODER_SHAPE: Readonly<DecoderShape> = Object.freeze({
  vocab: 64,
  dim: 32,
  heads: 2,
  layers: 2,
  mlpHidden: 64,
  maxLength: 128,
  endId: 0,
  endSlope: 0.3,
  endOffset: 3,
  logitScale: 3,
  epsilon: 1e-5,
});

export const DECODER_SEED = 0x64656364; // 'decd'

/** One transformer block; matrices are [in, out], row-major, as MatMul takes them. */
export interface DecoderLayerWeights {
  ln1Scale: Float32Array;
  ln1Bias: Float32Array;
  /** [dim, dim] each: query, key, value and output projections (no biases). */
  wq: Float32Array;
  wk: Float32Array;
  wv: Float32Array;
  wo: Float32Array;
  ln2Scale: Float32Array;
  ln2Bias: Float32Array;
  /** [dim, mlpHidden] and [mlpHidden]. */
  w1: Float32Array;
  b1: Float32Array;
  /** [mlpHidden, dim] and [dim]. */
  w2: Float32Array;
  b2: Float32Array;
}

export interface DecoderWeights {
  shape: Readonly<DecoderShape>;
  /** [vocab, dim] */
  tokenEmbedding: Float32Array;
  /** [maxLength, dim] */
  positionEmbedding: Float32Array;
  layers: DecoderLayerWeights[];
  finalScale: Float32Array;
  finalBias: Float32Array;
  /** [dim, vocab] */
  lmHead: Float32Array;
  /** [vocab]: small random biases, and -endOffset at endId. */
  lmBias: Float32Array;
  /** [vocab]: endSlope at endId, 0 elsewhere; times the sequence length, added to the logits. */
  endRamp: Float32Array;
}

/** Throws unless `shape` describes a model the graph builder can make. */
export function checkDecoderShape(shape: DecoderShape): void {
  const positive = ['vocab', 'dim', 'heads', 'layers', 'mlpHidden', 'maxLength'] as const;
  for (const key of positive) {
    if (!Number.isInteger(shape[key]) || shape[key] < 1) throw new Error(`decoder: ${key} must be a positive integer, got ${shape[key]}`);
  }
  if (shape.dim % shape.heads !== 0) throw new Error(`decoder: dim ${shape.dim} is not divisible by heads ${shape.heads}`);
  if (!Number.isInteger(shape.endId) || shape.endId < 0 || shape.endId >= shape.vocab) {
    throw new Error(`decoder: endId ${shape.endId} is outside the vocabulary [0, ${shape.vocab})`);
  }
}

/** LayerNorm scale near 1 and bias near 0: the identity, slightly perturbed so each channel differs. */
function layerNorm(rng: Rng, dim: number): { scale: Float32Array; bias: Float32Array } {
  const scale = rng.uniformFloat32(dim, 0.8, 1.2);
  const bias = rng.uniformFloat32(dim, -0.1, 0.1);
  return { scale, bias };
}

/** The weights for `shape`, drawn in a fixed order from one seeded stream. */
export function decoderWeights(shape: Readonly<DecoderShape> = DECODER_SHAPE, seed = DECODER_SEED): DecoderWeights {
  checkDecoderShape(shape);
  const { vocab, dim, mlpHidden, maxLength } = shape;
  const rng = new Rng(seed);
  const tokenEmbedding = rng.uniformFloat32(vocab * dim, -1, 1);
  const positionEmbedding = rng.uniformFloat32(maxLength * dim, -0.5, 0.5);
  const layers: DecoderLayerWeights[] = [];
  for (let layer = 0; layer < shape.layers; layer++) {
    const ln1 = layerNorm(rng, dim);
    const wq = rng.glorotFloat32(dim, dim);
    const wk = rng.glorotFloat32(dim, dim);
    const wv = rng.glorotFloat32(dim, dim);
    const wo = rng.glorotFloat32(dim, dim);
    const ln2 = layerNorm(rng, dim);
    const w1 = rng.glorotFloat32(dim, mlpHidden);
    const b1 = rng.uniformFloat32(mlpHidden, -0.1, 0.1);
    const w2 = rng.glorotFloat32(mlpHidden, dim);
    const b2 = rng.uniformFloat32(dim, -0.1, 0.1);
    layers.push({ ln1Scale: ln1.scale, ln1Bias: ln1.bias, wq, wk, wv, wo, ln2Scale: ln2.scale, ln2Bias: ln2.bias, w1, b1, w2, b2 });
  }
  const final = layerNorm(rng, dim);
  const lmHead = rng.glorotFloat32(dim, vocab).map((w) => w * shape.logitScale);
  const lmBias = rng.uniformFloat32(vocab, -0.1, 0.1);
  lmBias[shape.endId] = -shape.endOffset;
  const endRamp = new Float32Array(vocab);
  endRamp[shape.endId] = shape.endSlope;
  return {
    shape,
    tokenEmbedding,
    positionEmbedding,
    layers,
    finalScale: final.scale,
    finalBias: final.bias,
    lmHead,
    lmBias,
    endRamp,
  };
}
