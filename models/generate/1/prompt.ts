/**
 * The prompt: input `input_ids`, INT64 [n], checked here so that a bad token
 * is reported against the request rather than as a failure deep inside the
 * decoder (whose Gather would also silently accept negative ids, counting
 * from the end of the vocabulary).
 *
 * @example
 * ```ts
 * const prompt = readPrompt(request, options); // BigInt64Array, 1 <= length < contextLength
 * ```
 */
import { NereidError, type InferenceRequest } from 'nereid/model';
import type { GenerateOptions } from './model-options.ts';

export function readPrompt(request: InferenceRequest, options: GenerateOptions): BigInt64Array {
  const tensor = request.requireInput('input_ids');
  const ids = tensor.data as BigInt64Array;
  if (ids.length === 0) throw NereidError.invalidArg("input 'input_ids' is empty: give at least one prompt token");
  if (ids.length >= options.contextLength) {
    throw NereidError.invalidArg(
      `input 'input_ids' has ${ids.length} tokens; the decoder's context holds ${options.contextLength}, ` +
        `so a prompt may have at most ${options.contextLength - 1} to leave room for a generated token`,
    );
  }
  const vocab = BigInt(options.vocabSize);
  const bad = ids.findIndex((id) => id < 0n || id >= vocab);
  if (bad >= 0) {
    throw NereidError.invalidArg(`input 'input_ids' holds token ${ids[bad]} at position ${bad}; token ids are 0 to ${options.vocabSize - 1}`);
  }
  return ids;
}
