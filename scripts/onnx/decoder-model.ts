/**
 * A small decoder-only transformer as an ONNX graph (opset 17, standard ops
 * only), for token-by-token generation tests and the `generate` example:
 *
 * ```
 * input_ids INT64 [batch, seq]
 *   x = token_embedding[input_ids] + position_embedding[0..seq-1]
 *   layers x { x += Attention(LayerNorm(x))  (causal, multi-head, no biases)
 *              x += W2 Relu(W1 LayerNorm(x) + b1) + b2 }
 *   h = LayerNorm(x[:, seq-1])                (the last position only)
 *   logits = h lm_head + lm_bias + seq * end_ramp
 * logits FP32 [batch, vocab]
 * ```
 *
 * Why only the last position's logits: a generation loop needs nothing else,
 * and each step's output stays vocab floats however long the sequence is.
 * There is no KV cache; every step recomputes the whole sequence (at most
 * `maxLength` = 128 tokens of width 32, a few dozen microseconds).
 * Every row of a batch must have the same length (there is no padding mask).
 * A sequence longer than `maxLength` fails in the positional Gather.
 *
 * The causal mask is built from the positions themselves (Greater on a Range
 * against its transpose) rather than stored, so the file holds weights only.
 *
 * @example
 * ```ts
 * const decoder = decoderModel();            // DECODER_SHAPE, DECODER_SEED
 * await ort.InferenceSession.create(decoder.onnx);
 * ```
 */
import { attr } from './attributes.ts';
import { decoderWeights, DECODER_SEED, DECODER_SHAPE, type DecoderLayerWeights, type DecoderShape } from './decoder-weights.ts';
import { GraphBuilder } from './graph-builder.ts';
import type { BuiltModel } from './reference-models.ts';
import { int64Tensor } from './tensor-proto.ts';

/** Masked attention scores: far enough below any real score that Softmax gives exactly 0. */
const MASKED_SCORE = -1e9;

export interface DecoderModelOptions {
  shape?: Readonly<DecoderShape>;
  seed?: number;
}

/** Names the graph's ops and constants by layer, so the file is readable in Netron. */
class DecoderGraph {
  readonly g: GraphBuilder;
  readonly shape: Readonly<DecoderShape>;
  #maskedScore: string | undefined;

  constructor(shape: Readonly<DecoderShape>) {
    this.g = new GraphBuilder('generate_decoder');
    this.shape = shape;
  }

  weight(name: string, dims: number[], data: Float32Array): string {
    return this.g.initializer(name, 'FP32', dims, data);
  }

  layerNorm(prefix: string, x: string, scale: Float32Array, bias: Float32Array): string {
    const { dim, epsilon } = this.shape;
    const s = this.weight(`${prefix}.scale`, [dim], scale);
    const b = this.weight(`${prefix}.bias`, [dim], bias);
    return this.g.op('LayerNormalization', [x, s, b], {
      name: prefix,
      attributes: { axis: attr.int(-1), epsilon: attr.float(epsilon) },
    });
  }

  /** [B, T, D] -> [B, H, T, Dh], or [B, H, Dh, T] for keys (so scores are one MatMul). */
  splitHeads(x: string, name: string, keys: boolean): string {
    const { heads, dim } = this.shape;
    const shape = this.g.initializerProto(int64Tensor(`${name}.heads_shape`, [0, 0, heads, dim / heads]));
    const split = this.g.op('Reshape', [x, shape], { name: `${name}.split` });
    return this.g.op('Transpose', [split], {
      name: `${name}.transpose`,
      attributes: { perm: attr.ints(keys ? [0, 2, 3, 1] : [0, 2, 1, 3]) },
    });
  }

  attention(prefix: string, x: string, layer: DecoderLayerWeights, future: string): string {
    const { g } = this;
    const { dim, heads } = this.shape;
    const h = this.layerNorm(`${prefix}.ln1`, x, layer.ln1Scale, layer.ln1Bias);
    const project = (name: string, w: Float32Array, input: string) =>
      g.op('MatMul', [input, this.weight(`${prefix}.${name}.weight`, [dim, dim], w)], { name: `${prefix}.${name}` });
    const q = this.splitHeads(project('q', layer.wq, h), `${prefix}.q`, false);
    const k = this.splitHeads(project('k', layer.wk, h), `${prefix}.k`, true);
    const v = this.splitHeads(project('v', layer.wv, h), `${prefix}.v`, false);
    const scale = this.g.initializer(`${prefix}.score_scale`, 'FP32', [], Float32Array.of(1 / Math.sqrt(dim / heads)));
    const scores = g.op('Mul', [g.op('MatMul', [q, k], { name: `${prefix}.scores` }), scale], { name: `${prefix}.scale` });
    const masked = g.op('Where', [future, this.maskedScore(), scores], { name: `${prefix}.causal_mask` });
    const weights = g.op('Softmax', [masked], { name: `${prefix}.softmax`, attributes: { axis: attr.int(-1) } });
    const context = g.op('MatMul', [weights, v], { name: `${prefix}.context` });
    const merged = g.op('Transpose', [context], { name: `${prefix}.merge`, attributes: { perm: attr.ints([0, 2, 1, 3]) } });
    const flat = g.op('Reshape', [merged, g.initializerProto(int64Tensor(`${prefix}.merged_shape`, [0, 0, dim]))], {
      name: `${prefix}.flatten`,
    });
    return project('o', layer.wo, flat);
  }

  mlp(prefix: string, x: string, layer: DecoderLayerWeights): string {
    const { g } = this;
    const { dim, mlpHidden } = this.shape;
    const h = this.layerNorm(`${prefix}.ln2`, x, layer.ln2Scale, layer.ln2Bias);
    const up = g.op('MatMul', [h, this.weight(`${prefix}.fc1.weight`, [dim, mlpHidden], layer.w1)], { name: `${prefix}.fc1` });
    const hidden = g.op('Relu', [g.op('Add', [up, this.weight(`${prefix}.fc1.bias`, [mlpHidden], layer.b1)])], {
      name: `${prefix}.relu`,
    });
    const down = g.op('MatMul', [hidden, this.weight(`${prefix}.fc2.weight`, [mlpHidden, dim], layer.w2)], { name: `${prefix}.fc2` });
    return g.op('Add', [down, this.weight(`${prefix}.fc2.bias`, [dim], layer.b2)]);
  }

  /** One shared scalar for every layer's mask. */
  maskedScore(): string {
    this.#maskedScore ??= this.g.initializer('masked_score', 'FP32', [], Float32Array.of(MASKED_SCORE));
    return this.#maskedScore;
  }
}

/** The decoder of `models/generate_decoder`; same options, same bytes. */
export function decoderModel(options: DecoderModelOptions = {}): BuiltModel {
  const shape = options.shape ?? DECODER_SHAPE;
  const weights = decoderWeights(shape, options.seed ?? DECODER_SEED);
  const { vocab, dim, maxLength } = shape;
  const d = new DecoderGraph(shape);
  const { g } = d;

  const ids = g.input('input_ids', 'INT64', ['batch', 'seq']);
  const zero = g.initializerProto(int64Tensor('zero', [0], true));
  const one = g.initializerProto(int64Tensor('one', [1], true));
  const seq = g.op('Gather', [g.op('Shape', [ids], { name: 'ids_shape' }), one], { name: 'seq_length' });
  const positions = g.op('Range', [zero, seq, one], { name: 'positions' });

  const tokens = g.op('Gather', [d.weight('token_embedding', [vocab, dim], weights.tokenEmbedding), ids], { name: 'embed_tokens' });
  const placed = g.op('Gather', [d.weight('position_embedding', [maxLength, dim], weights.positionEmbedding), positions], {
    name: 'embed_positions',
  });
  let x = g.op('Add', [tokens, placed], { name: 'embed' });

  // future[i][j] = j > i: query i must not see key j. Broadcasts over [batch, heads].
  const rows = g.op('Unsqueeze', [positions, g.initializerProto(int64Tensor('axis_1', [1]))], { name: 'mask_rows' });
  const columns = g.op('Unsqueeze', [positions, g.initializerProto(int64Tensor('axis_0', [0]))], { name: 'mask_columns' });
  const future = g.op('Greater', [columns, rows], { name: 'future' });

  weights.layers.forEach((layer, index) => {
    const prefix = `layer${index}`;
    x = g.op('Add', [x, d.attention(`${prefix}.attn`, x, layer, future)], { name: `${prefix}.attn_residual` });
    x = g.op('Add', [x, d.mlp(`${prefix}.mlp`, x, layer)], { name: `${prefix}.mlp_residual` });
  });

  const lastIndex = g.op('Sub', [seq, one], { name: 'last_index' });
  const last = g.op('Gather', [x, lastIndex], { name: 'last_position', attributes: { axis: attr.int(1) } });
  const h = d.layerNorm('final_ln', last, weights.finalScale, weights.finalBias);
  const projected = g.op('MatMul', [h, d.weight('lm_head.weight', [dim, vocab], weights.lmHead)], { name: 'lm_head' });
  const biased = g.op('Add', [projected, d.weight('lm_head.bias', [vocab], weights.lmBias)], { name: 'lm_bias' });
  // The end token's logit rises with the length, so generation ends (see decoder-weights.ts).
  const length = g.op('Cast', [seq], { name: 'seq_length_float', attributes: { to: attr.elemType('FP32') } });
  const ramp = g.op('Mul', [length, d.weight('end_ramp', [vocab], weights.endRamp)], { name: 'end_bias' });
  g.op('Add', [biased, ramp], { name: 'logits', outputs: ['logits'] });
  g.output('logits', 'FP32', ['batch', vocab]);

  return {
    onnx: g.toModelBytes({
      docString: 'nereid generate_decoder: a tiny decoder-only transformer with deterministic random weights (gibberish by design)',
    }),
    batch: true,
    inputs: [{ name: 'input_ids', datatype: 'INT64', dims: [-1] }],
    outputs: [{ name: 'logits', datatype: 'FP32', dims: [vocab] }],
  };
}
