/**
 * Streams tokens from the bundled `generate` model (a decoupled model.ts
 * that sends each token as it is picked) with either client of the sdk:
 * gRPC (`ModelStreamInfer`) or HTTP (`generate_stream`, server-sent events).
 *
 * @example
 * ```ts
 * const client = new GrpcClient('127.0.0.1:8001');
 * for await (const token of streamTokens(client, [3, 15, 27], { maxTokens: 8 })) process.stdout.write(`${token} `);
 * ```
 */
import { Tensor, type InferenceClient } from '../../sdk/client/index.ts';

export interface GenerateSettings {
  /** Tokens to generate at most (the model's `max_tokens`). */
  maxTokens?: number;
  /** Sampling temperature; 0 (the default) is greedy. */
  temperature?: number;
  /** Seed of the sampler, for repeatable sampled output. */
  seed?: number;
  /** The token that ends generation; -1: none. */
  endId?: number;
  signal?: AbortSignal;
}

/** The tokens `generate` produces for `prompt`, each as soon as the server sends it. */
export async function* streamTokens(client: InferenceClient, prompt: readonly number[], settings: GenerateSettings = {}): AsyncGenerator<number> {
  const parameters: Record<string, number> = {};
  if (settings.maxTokens !== undefined) parameters.max_tokens = settings.maxTokens;
  if (settings.temperature !== undefined) parameters.temperature = settings.temperature;
  if (settings.seed !== undefined) parameters.seed = settings.seed;
  if (settings.endId !== undefined) parameters.end_id = settings.endId;
  const request = {
    model: 'generate',
    inputs: [new Tensor('input_ids', 'INT64', [prompt.length], BigInt64Array.from(prompt, BigInt))],
    parameters,
  };
  for await (const response of client.inferStream(request, { signal: settings.signal })) {
    const ids = response.outputs.find((output) => output.name === 'output_ids');
    if (!ids) continue;
    for (const id of ids.data as BigInt64Array) yield Number(id);
  }
}
