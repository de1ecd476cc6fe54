/**
 * The generate model's settings, read once from the config's `parameters`
 * in `initialize` (Triton's model parameters are always strings). A bad
 * value fails the model's load with a message naming the parameter.
 *
 * The decoder's vocabulary and context length are repeated here because a
 * model.ts cannot read another model's config; test/generate checks that
 * they match what scripts/onnx/decoder-weights.ts builds.
 *
 * @example
 * ```ts
 * const options = readModelOptions(args.modelConfig);
 * options.decoderModel; // 'generate_decoder'
 * ```
 */
import { ConfigParameters, type ModelConfig } from 'nereid/model';

export interface GenerateOptions {
  /** The ONNX decoder called once per token: input_ids INT64 [1, n] -> logits FP32 [1, vocab]. */
  readonly decoderModel: string;
  /** Token ids are 0..vocabSize-1. */
  readonly vocabSize: number;
  /** The longest sequence (prompt + generated) the decoder accepts. */
  readonly contextLength: number;
  /** The end token when a request names none; -1: none. */
  readonly endId: number;
  /** max_tokens when a request gives none. */
  readonly defaultMaxTokens: number;
}

/** The options in `config`, with the bundled decoder's values as defaults. */
export function readModelOptions(config: ModelConfig): GenerateOptions {
  const parameters = new ConfigParameters(config);
  const vocabSize = parameters.integer('vocab_size', 64, { min: 1, max: 1 << 24 });
  const contextLength = parameters.integer('context_length', 128, { min: 2, max: 1 << 20 });
  return Object.freeze({
    decoderModel: parameters.text('decoder_model', 'generate_decoder'),
    vocabSize,
    contextLength,
    endId: parameters.integer('end_id', 0, { min: -1, max: vocabSize - 1 }),
    defaultMaxTokens: parameters.integer('default_max_tokens', 32, { min: 1, max: contextLength }),
  });
}
