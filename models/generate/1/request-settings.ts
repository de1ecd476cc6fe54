/**
 * One request's generation settings. Each may come as a request parameter
 * (how Triton's generate endpoint passes non-tensor fields, and the natural
 * form for KServe JSON `"parameters": {"temperature": 0.7}`) or as an
 * optional 1-element input tensor of the same name (how Triton's
 * TensorRT-LLM models take them); the tensor wins when both are given.
 * Anything missing takes its default; anything invalid is INVALID_ARG naming
 * the setting, where it came from and the accepted range.
 *
 * | name | default | accepted |
 * |---|---|---|
 * | `max_tokens` | config `default_max_tokens` (32) | integer >= 1 |
 * | `temperature` | 0 (greedy) | number >= 0 |
 * | `top_k` | 0 (no limit) | integer >= 0 |
 * | `top_p` | 1 (no limit) | number in (0, 1] |
 * | `seed` | a fresh random seed | integer from 0 to 2^64-1 |
 * | `end_id` | config `end_id` (0) | integer from -1 (no end token) to vocab_size-1 |
 *
 * @example
 * ```ts
 * const settings = readRequestSettings(request, options);
 * settings.temperature; // 0 unless the request asked otherwise
 * ```
 */
import { NereidError, type InferenceRequest } from 'nereid/model';
import type { GenerateOptions } from './model-options.ts';
import { foldSeed, randomSeed } from './random.ts';
import type { SamplingSettings } from './sampling.ts';

export interface RequestSettings extends SamplingSettings {
  readonly maxTokens: number;
  /** The generator's 32-bit seed (a 64-bit `seed` folded; see random.ts). */
  readonly seed: number;
  /** -1: generate until max_tokens or the context is full. */
  readonly endId: number;
}

/** A setting as given, with where it came from (for error messages). */
interface Given {
  readonly value: number | bigint;
  readonly source: string;
}

function given(request: InferenceRequest, name: string): Given | undefined {
  const tensor = request.input(name);
  if (tensor) {
    const source = `input '${name}'`;
    if (tensor.elementCount !== 1) throw NereidError.invalidArg(`${source} must hold exactly one value, got shape [${tensor.shape.join(', ')}]`);
    return { value: (tensor.data as ArrayLike<number | bigint>)[0], source };
  }
  const value = request.parameters[name];
  if (value === undefined) return undefined;
  const source = `parameter '${name}'`;
  // Numbers may arrive as strings (e.g. from clients that send every parameter as text).
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof number !== 'number' || Number.isNaN(number)) {
    throw NereidError.invalidArg(`${source} must be a number, got ${typeof value === 'string' ? `'${value}'` : String(value)}`);
  }
  return { value: number, source };
}

function fail(setting: Given, accepted: string): never {
  throw NereidError.invalidArg(`${setting.source} must be ${accepted}, got ${String(setting.value)}`);
}

function integerSetting(request: InferenceRequest, name: string, fallback: number, min: number, max: number): number {
  const setting = given(request, name);
  if (!setting) return fallback;
  const value = Number(setting.value);
  if (!Number.isInteger(value) || value < min || value > max) {
    fail(setting, max === Infinity ? `an integer >= ${min}` : `an integer from ${min} to ${max}`);
  }
  return value;
}

function readSeed(request: InferenceRequest): number {
  const text = request.parameters.seed;
  // Integer text is read exactly: a uint64 seed beyond 2^53 reaches the model as its decimal text.
  const exact = typeof text === 'string' && /^\s*\d+\s*$/.test(text) && !request.input('seed');
  const setting = exact ? { value: BigInt(text.trim()), source: "parameter 'seed'" } : given(request, 'seed');
  if (!setting) return randomSeed();
  const { value } = setting;
  const valid = typeof value === 'bigint' ? value >= 0n && value < 2n ** 64n : Number.isSafeInteger(value) && value >= 0;
  if (!valid) fail(setting, 'an integer from 0 to 2^64-1');
  return foldSeed(BigInt(value));
}

/** The settings of `request`; throws INVALID_ARG naming the first bad one. */
export function readRequestSettings(request: InferenceRequest, options: GenerateOptions): RequestSettings {
  const maxTokens = integerSetting(request, 'max_tokens', options.defaultMaxTokens, 1, Infinity);

  const temperatureGiven = given(request, 'temperature');
  const temperature = temperatureGiven ? Number(temperatureGiven.value) : 0;
  if (temperatureGiven && !(Number.isFinite(temperature) && temperature >= 0)) fail(temperatureGiven, 'a number >= 0 (0: greedy)');

  const topK = integerSetting(request, 'top_k', 0, 0, Infinity);

  const topPGiven = given(request, 'top_p');
  const topP = topPGiven ? Number(topPGiven.value) : 1;
  if (topPGiven && !(topP > 0 && topP <= 1)) fail(topPGiven, 'a number in (0, 1]');

  return Object.freeze({
    maxTokens,
    temperature,
    topK,
    topP,
    seed: readSeed(request),
    endId: integerSetting(request, 'end_id', options.endId, -1, options.vocabSize - 1),
  });
}
