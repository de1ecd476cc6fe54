/**
 * The decoder's forward pass written out in plain TypeScript, in float64
 * over the float32 weights, independently of the ONNX graph: if ORT's logits
 * match these, the graph computes what decoder-model.ts says it does
 * (embedding, causal multi-head attention, MLP, residuals, last position,
 * the end-token ramp).
 *
 * Deliberately naive (loops, fresh arrays): clarity over speed; one call for
 * a 128-token sequence takes a few milliseconds.
 */
import type { DecoderLayerWeights, DecoderWeights } from '../../../scripts/onnx/decoder-weights.ts';

type Matrix = Float64Array[];

function layerNorm(rows: Matrix, scale: Float32Array, bias: Float32Array, epsilon: number): Matrix {
  return rows.map((row) => {
    const mean = row.reduce((sum, v) => sum + v, 0) / row.length;
    const variance = row.reduce((sum, v) => sum + (v - mean) ** 2, 0) / row.length;
    const inv = 1 / Math.sqrt(variance + epsilon);
    return row.map((v, i) => (v - mean) * inv * scale[i] + bias[i]);
  });
}

/** rows [n, inner] times w [inner, out] (row-major), plus an optional bias [out]. */
function linear(rows: Matrix, w: Float32Array, out: number, bias?: Float32Array): Matrix {
  return rows.map((row) => {
    const result = new Float64Array(out);
    for (let o = 0; o < out; o++) {
      let sum = bias ? bias[o] : 0;
      for (let i = 0; i < row.length; i++) sum += row[i] * w[i * out + o];
      result[o] = sum;
    }
    return result;
  });
}

function add(a: Matrix, b: Matrix): Matrix {
  return a.map((row, r) => row.map((v, i) => v + b[r][i]));
}

function attention(x: Matrix, layer: DecoderLayerWeights, weights: DecoderWeights, causal: boolean): Matrix {
  const { dim, heads, epsilon } = weights.shape;
  const headDim = dim / heads;
  const h = layerNorm(x, layer.ln1Scale, layer.ln1Bias, epsilon);
  const q = linear(h, layer.wq, dim);
  const k = linear(h, layer.wk, dim);
  const v = linear(h, layer.wv, dim);
  const context = x.map(() => new Float64Array(dim));
  for (let head = 0; head < heads; head++) {
    const at = head * headDim;
    for (let i = 0; i < x.length; i++) {
      // Causal: query i attends to keys 0..i only.
      const keys = causal ? i + 1 : x.length;
      const scores = new Float64Array(keys);
      for (let j = 0; j < keys; j++) {
        let dot = 0;
        for (let c = 0; c < headDim; c++) dot += q[i][at + c] * k[j][at + c];
        scores[j] = dot / Math.sqrt(headDim);
      }
      const max = Math.max(...scores);
      const exps = scores.map((s) => Math.exp(s - max));
      const total = exps.reduce((sum, e) => sum + e, 0);
      for (let j = 0; j < keys; j++) {
        const p = exps[j] / total;
        for (let c = 0; c < headDim; c++) context[i][at + c] += p * v[j][at + c];
      }
    }
  }
  return linear(context, layer.wo, dim);
}

function mlp(x: Matrix, layer: DecoderLayerWeights, weights: DecoderWeights): Matrix {
  const { dim, mlpHidden, epsilon } = weights.shape;
  const h = layerNorm(x, layer.ln2Scale, layer.ln2Bias, epsilon);
  const hidden = linear(h, layer.w1, mlpHidden, layer.b1).map((row) => row.map((value) => Math.max(0, value)));
  return linear(hidden, layer.w2, dim, layer.b2);
}

/**
 * The logits [vocab] the decoder gives for the token after `ids`.
 * `causal: false` drops the mask, only to show that the mask matters.
 */
export function referenceLogits(weights: DecoderWeights, ids: readonly number[], { causal = true } = {}): Float64Array {
  const { dim, vocab, maxLength, epsilon } = weights.shape;
  if (ids.length < 1 || ids.length > maxLength) throw new Error(`referenceLogits: length ${ids.length} outside [1, ${maxLength}]`);
  let x: Matrix = ids.map((id, position) => {
    const row = new Float64Array(dim);
    for (let c = 0; c < dim; c++) row[c] = weights.tokenEmbedding[id * dim + c] + weights.positionEmbedding[position * dim + c];
    return row;
  });
  for (const layer of weights.layers) {
    x = add(x, attention(x, layer, weights, causal));
    x = add(x, mlp(x, layer, weights));
  }
  const last = layerNorm([x[x.length - 1]], weights.finalScale, weights.finalBias, epsilon);
  const logits = linear(last, weights.lmHead, vocab, weights.lmBias)[0];
  for (let t = 0; t < vocab; t++) logits[t] += ids.length * weights.endRamp[t];
  return logits;
}

/** Index of the largest value; the lowest index wins a tie (as the generate model's argmax does). */
export function argmax(values: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
