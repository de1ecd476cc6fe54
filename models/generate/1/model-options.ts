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
import { NereidError, type ModelConfig } from 'nereid/model';

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

function parameter(config: ModelConfig, key: string, fallback: string): string {
  const value = config.parameters?.[key]?.string_value;
  return value === undefined || value.trim() === '' ? fallback : value.trim();
}

function integer(config: ModelConfig, key: string, fallback: number, min: number, max: number): number {
  const text = parameter(config, key, String(fallback));
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < min || value > max) {
    throw NereidError.invalidArg(`model '${config.name}': parameter '${key}' must be an integer from ${min} to ${max}, got '${text}'`);
  }
  return value;
}

/** The options in `config`, with the bundled decoder's values as defaults. */
export function readModelOptions(config: ModelConfig): GenerateOptions {
  const vocabSize = integer(config, 'vocab_size', 64, 1, 1 << 24);
  const contextLength = integer(config, 'context_length', 128, 2, 1 << 20);
  return Object.freeze({
    decoderModel: parameter(config, 'decoder_model', 'generate_decoder'),
    vocabSize,
    contextLength,
    endId: integer(config, 'end_id', 0, -1, vocabSize - 1),
    defaultMaxTokens: integer(config, 'default_max_tokens', 32, 1, contextLength),
  });
}
