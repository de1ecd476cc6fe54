/**
 * A temporary model repository holding copies of the bundled `generate` and
 * `generate_decoder` models, and small helpers to call them.
 */
import { cp } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from '../../../runtime/server/create-server.ts';
import type { Parameters } from '../../../sdk/inference.ts';
import { Tensor } from '../../../sdk/tensor.ts';
import { createTempRepository } from '../../support/onnx-fixtures.ts';
import { argmax } from './reference-decoder.ts';
export { errorOf } from '../../support/rejection.ts';

const MODELS_DIR = fileURLToPath(new URL('../../../models/', import.meta.url));

/** A fresh repository with `generate` and `generate_decoder` copied from models/. */
export async function createGenerateRepository(): Promise<string> {
  const repo = await createTempRepository('nereid-generate-');
  for (const name of ['generate', 'generate_decoder']) {
    await cp(join(MODELS_DIR, name), join(repo, name), { recursive: true });
  }
  return repo;
}

export function promptTensor(ids: readonly number[]): Tensor {
  return new Tensor('input_ids', 'INT64', [ids.length], BigInt64Array.from(ids, BigInt));
}

/**
 * Runs `generate` (or `model`, a copy of it) on `prompt` and returns the
 * generated token ids, read from its stream (one response per token; a copy
 * configured without decoupled answers once with all of them). Rejects with
 * the stream's error.
 */
export async function generate(server: Server, prompt: readonly number[], parameters: Parameters = {}, extraInputs: Tensor[] = [], model = 'generate'): Promise<number[]> {
  const tokens: number[] = [];
  for await (const item of server.inferStream({ model, inputs: [promptTensor(prompt), ...extraInputs], parameters })) {
    if (item.error) throw item.error;
    if (!item.response) continue;
    const output = item.response.outputs.find((tensor) => tensor.name === 'output_ids');
    if (!output) throw new Error('generate answered without output_ids');
    if (output.datatype !== 'INT64' || output.shape.length !== 1) throw new Error(`output_ids is ${output.datatype} ${output.shape}`);
    tokens.push(...Array.from(output.data as BigInt64Array, Number));
  }
  return tokens;
}

/** The decoder's logits for one sequence, called directly (no generate model in between). */
export async function decoderLogits(server: Server, ids: readonly number[]): Promise<Float32Array> {
  const response = await server.infer({
    model: 'generate_decoder',
    inputs: [new Tensor('input_ids', 'INT64', [1, ids.length], BigInt64Array.from(ids, BigInt))],
  });
  return response.outputs[0]!.data as Float32Array;
}

/** Greedy decoding driven from the test through `server.infer()`: what `generate` must reproduce. */
export async function referenceGreedy(server: Server, prompt: readonly number[], maxTokens: number, endId: number, context = 128): Promise<number[]> {
  const sequence = [...prompt];
  const generated: number[] = [];
  while (generated.length < maxTokens && sequence.length < context) {
    const next = argmax(await decoderLogits(server, sequence));
    if (next === endId) break;
    sequence.push(next);
    generated.push(next);
  }
  return generated;
}

