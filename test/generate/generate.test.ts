/**
 * The bundled `generate` model end to end: a real server on a temporary
 * repository holding copies of models/generate and models/generate_decoder,
 * the generation loop running in the model's isolate and calling the ONNX
 * decoder through BLS once per token.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type Server } from '../../runtime/server/create-server.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { DECODER_SHAPE } from '../../scripts/onnx/decoder-weights.ts';
import { memoryLogger } from '../server/support.ts';
import { removeTempRepository } from '../support/onnx-fixtures.ts';
import { createGenerateRepository, decoderLogits, errorOf, generate, promptTensor, referenceGreedy } from './support/generate-repository.ts';

const { endId, maxLength } = DECODER_SHAPE;
const PROMPTS = [[1], [2, 8], [3, 15, 27], [40, 41, 42, 43, 44]];

let repo: string;
let server: Server;

beforeAll(async () => {
  repo = await createGenerateRepository();
  // A second copy whose decoder does not exist: every BLS call fails.
  const config = await readFile(join(repo, 'generate', 'config.pbtxt'), 'utf8');
  const broken = join(repo, 'generate_broken');
  await cp(join(repo, 'generate'), broken, { recursive: true });
  await writeFile(
    join(broken, 'config.pbtxt'),
    config.replace('name: "generate"', 'name: "generate_broken"').replace('string_value: "generate_decoder"', 'string_value: "no_such_decoder"'),
  );
  // A copy that is not decoupled: one response with every token.
  const whole = join(repo, 'generate_whole');
  await cp(join(repo, 'generate'), whole, { recursive: true });
  await writeFile(join(whole, 'config.pbtxt'), config.replace('name: "generate"', 'name: "generate_whole"').replace('model_transaction_policy { decoupled: true }', ''));
  server = await createServer({ modelRepository: repo, log: memoryLogger() });
});
afterAll(async () => {
  await server?.close();
  await removeTempRepository(repo);
});

describe('streaming', () => {
  it('sends each token as its own response as soon as it is picked, then the final flag; infer() is refused', async () => {
    const prompt = [3, 15, 27];
    const expected = await referenceGreedy(server, prompt, 12, -1);
    // Decoder calls made so far, from its statistics: each token costs one.
    const decoderCalls = (): number => server.modelStatistics('generate_decoder').model_stats[0]!.inference_stats.success.count;
    const before = decoderCalls();
    const arrivals: { tokens: number; callsSoFar: number; final: boolean }[] = [];
    for await (const item of server.inferStream({ model: 'generate', inputs: [promptTensor(prompt)], parameters: { max_tokens: 12, end_id: -1 } })) {
      arrivals.push({ tokens: item.response?.outputs[0]?.shape[0] ?? 0, callsSoFar: decoderCalls() - before, final: item.final });
    }
    expect(arrivals.map((a) => a.tokens)).toEqual([...expected.map(() => 1), 0]);
    expect(arrivals.map((a) => a.final)).toEqual([...expected.map(() => false), true]);
    // The first token arrived while most decoder calls were still to come: streamed, not collected at the end.
    expect(arrivals[0]!.callsSoFar).toBeLessThanOrEqual(2);
    expect(arrivals.at(-1)!.callsSoFar).toBe(12);
    expect((await errorOf(server.infer({ model: 'generate', inputs: [promptTensor(prompt)] }))).code).toBe('UNSUPPORTED');
  });

  it('answers once with every token when its config is not decoupled', async () => {
    const prompt = [2, 8];
    const response = await server.infer({ model: 'generate_whole', inputs: [promptTensor(prompt)], parameters: { max_tokens: 6, end_id: -1 } });
    expect(Array.from(response.outputs[0]!.data as BigInt64Array, Number)).toEqual(await referenceGreedy(server, prompt, 6, -1));
  });
});

describe('greedy generation', () => {
  it.each(PROMPTS.map((prompt) => [prompt.join(',') as string, prompt]))(
    'equals a greedy loop over the decoder driven from the test (prompt %s)',
    async (_, prompt) => {
      const expected = await referenceGreedy(server, prompt, 32, endId);
      expect(await generate(server, prompt)).toEqual(expected);
      expect(await generate(server, prompt, { temperature: 0 })).toEqual(expected);
    },
  );

  it('stops at the end token, which it does not return', async () => {
    const prompt = [2, 8];
    const tokens = await generate(server, prompt, { max_tokens: 100 });
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens.length).toBeLessThan(100);
    expect(tokens).not.toContain(endId);
    // The decoder's next choice after them is indeed the end token.
    const logits = await decoderLogits(server, [...prompt, ...tokens]);
    expect(logits.indexOf(Math.max(...logits))).toBe(endId);
  });

  it('stops at a chosen end_id, or only at max_tokens with end_id -1', async () => {
    const prompt = [3, 15, 27];
    const full = await generate(server, prompt);
    // Ending on the third token's id gives everything before its first occurrence.
    const stopAt = full[2]!;
    expect(await generate(server, prompt, { end_id: stopAt })).toEqual(full.slice(0, full.indexOf(stopAt)));
    // No end token: exactly max_tokens, the first ones the same as before.
    const long = await generate(server, prompt, { end_id: -1, max_tokens: 60 });
    expect(long).toHaveLength(60);
    expect(long.slice(0, full.length)).toEqual(full);
  });

  it('respects max_tokens, as a parameter or as an input tensor', async () => {
    const prompt = [1];
    const full = await generate(server, prompt);
    expect(full.length).toBeGreaterThan(5);
    expect(await generate(server, prompt, { max_tokens: 5 })).toEqual(full.slice(0, 5));
    expect(await generate(server, prompt, { max_tokens: '3' })).toEqual(full.slice(0, 3));
    const tensor = new Tensor('max_tokens', 'INT32', [1], Int32Array.of(4));
    // The input wins over a parameter of the same name.
    expect(await generate(server, prompt, { max_tokens: 9 }, [tensor])).toEqual(full.slice(0, 4));
  });

  it("stops when the decoder's context is full", async () => {
    const prompt = Array.from({ length: maxLength - 3 }, (_, i) => 1 + (i % 60));
    expect(await generate(server, prompt, { end_id: -1, max_tokens: 32 })).toHaveLength(3);
  });
});

describe('sampling', () => {
  const prompt = [5, 9, 3];

  it('repeats itself for the same seed and differs for another', async () => {
    const settings = { temperature: 1.5, seed: 1234, end_id: -1, max_tokens: 24 };
    const first = await generate(server, prompt, settings);
    expect(first).toHaveLength(24);
    expect(await generate(server, prompt, settings)).toEqual(first);
    expect(await generate(server, prompt, { ...settings, seed: 1235 })).not.toEqual(first);
    // A seed given as a UINT64 input tensor is the same seed.
    const seedTensor = new Tensor('seed', 'UINT64', [1], BigUint64Array.of(1234n));
    expect(await generate(server, prompt, { ...settings, seed: 99 }, [seedTensor])).toEqual(first);
    // Seeds beyond 2^53 (as the decimal text a uint64 parameter arrives as) stay exact, up to 2^64-1.
    const big = await generate(server, prompt, { ...settings, seed: '1152921504606846976' });
    expect(await generate(server, prompt, { ...settings, seed: '1152921504606846977' })).not.toEqual(big);
    expect(await generate(server, prompt, { ...settings, seed: 2n ** 60n })).toEqual(big);
    expect(await generate(server, prompt, { ...settings, seed: '18446744073709551615' })).toHaveLength(24);
    // Sampling at a high temperature leaves the greedy path.
    expect(first).not.toEqual(await generate(server, prompt, { end_id: -1, max_tokens: 24 }));
  });

  it('without a seed, draws a fresh one per request', async () => {
    const settings = { temperature: 2, end_id: -1, max_tokens: 24 };
    const runs = await Promise.all([1, 2, 3].map(() => generate(server, prompt, settings)));
    expect(new Set(runs.map((run) => run.join(','))).size).toBeGreaterThan(1);
  });

  it('top_k 1 and a tiny top_p are greedy at any temperature', async () => {
    const greedy = await generate(server, prompt);
    expect(await generate(server, prompt, { temperature: 3, top_k: 1, seed: 5 })).toEqual(greedy);
    expect(await generate(server, prompt, { temperature: 3, top_p: 1e-9, seed: 5 })).toEqual(greedy);
    const inputs = [new Tensor('temperature', 'FP32', [1], Float32Array.of(3)), new Tensor('top_k', 'INT32', [1], Int32Array.of(1))];
    expect(await generate(server, prompt, {}, inputs)).toEqual(greedy);
  });

  it('temperature near 0 is greedy, and top_k / top_p narrow what is sampled', async () => {
    expect(await generate(server, prompt, { temperature: 1e-4, seed: 8 })).toEqual(await generate(server, prompt));
    const wide = await generate(server, prompt, { temperature: 1, seed: 8, end_id: -1, max_tokens: 32 });
    const narrow = await generate(server, prompt, { temperature: 1, seed: 8, top_k: 2, top_p: 0.9, end_id: -1, max_tokens: 32 });
    expect(narrow).toHaveLength(32);
    expect(narrow).not.toEqual(wide);
  });
});

describe('errors', () => {
  it.each([
    [{ temperature: -0.5 }, "parameter 'temperature' must be a number >= 0 (0: greedy), got -0.5"],
    [{ top_p: 0 }, "parameter 'top_p' must be a number in (0, 1], got 0"],
    [{ top_p: 1.5 }, "parameter 'top_p' must be a number in (0, 1], got 1.5"],
    [{ top_k: -1 }, "parameter 'top_k' must be an integer >= 0, got -1"],
    [{ top_k: 2.5 }, "parameter 'top_k' must be an integer >= 0, got 2.5"],
    [{ max_tokens: 0 }, "parameter 'max_tokens' must be an integer >= 1, got 0"],
    [{ seed: -3 }, "parameter 'seed' must be an integer from 0 to 2^64-1, got -3"],
    [{ end_id: 64 }, "parameter 'end_id' must be an integer from -1 to 63, got 64"],
    [{ temperature: 'hot' }, "parameter 'temperature' must be a number, got 'hot'"],
    [{ temperature: true }, "parameter 'temperature' must be a number, got true"],
  ])('refuses %j with INVALID_ARG naming the parameter', async (parameters, message) => {
    const error = await errorOf(generate(server, [1, 2], parameters));
    expect(error.code).toBe('INVALID_ARG');
    expect(error.message).toBe(`model 'generate': ${message}`);
  });

  it('names an input tensor that holds a bad setting', async () => {
    const error = await errorOf(generate(server, [1], {}, [new Tensor('top_p', 'FP32', [1], Float32Array.of(-1))]));
    expect(error.code).toBe('INVALID_ARG');
    expect(error.message).toContain("input 'top_p' must be a number in (0, 1], got -1");
  });

  it.each([
    [[], "input 'input_ids' is empty"],
    [[1, 64], "input 'input_ids' holds token 64 at position 1; token ids are 0 to 63"],
    [[-1], "input 'input_ids' holds token -1 at position 0"],
    [Array.from({ length: maxLength }, () => 1), "input 'input_ids' has 128 tokens; the decoder's context holds 128"],
  ])('refuses a bad prompt: %j', async (prompt, message) => {
    const error = await errorOf(generate(server, prompt));
    expect(error.code).toBe('INVALID_ARG');
    expect(error.message).toContain(message);
  });

  it('returns the error of a failed BLS call to the decoder, with its code', async () => {
    const error = await errorOf(generate(server, [1, 2], {}, [], 'generate_broken'));
    expect(error.code).toBe('NOT_FOUND');
    expect(error.message).toContain("model 'generate_broken': decoder 'no_such_decoder' failed at step 1: ");
  });
});

describe('latency', () => {
  // A measurement, printed for the record: this shared 2-core VM is too noisy
  // for a timing assertion (single rounds swing by 10x under other load).
  it('reports the cost per token of the loop over calling the decoder directly', async () => {
    const prompt = [7, 7, 7];
    const steps = 64;
    const rounds = 7;
    const settings = { end_id: -1, max_tokens: steps };
    // The decoder alone, called from the test on the very sequences the loop sends.
    const tokens = await generate(server, prompt, settings);
    expect(tokens).toHaveLength(steps);
    const sequences = Array.from({ length: steps }, (_, i) => [...prompt, ...tokens.slice(0, i)]);
    const direct: number[] = [];
    const looped: number[] = [];
    for (let round = 0; round <= rounds; round++) {
      let start = performance.now();
      for (const sequence of sequences) await decoderLogits(server, sequence);
      const directMs = (performance.now() - start) / steps;
      start = performance.now();
      expect(await generate(server, prompt, settings)).toEqual(tokens);
      const loopedMs = (performance.now() - start) / steps;
      // Round 0 warms up the JIT in both the test and the model's isolates.
      if (round > 0) {
        direct.push(directMs);
        looped.push(loopedMs);
      }
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1]!;
    const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
    console.log(
      `generate, ${steps} tokens from a ${prompt.length}-token prompt (median of ${rounds} rounds): ` +
        `decoder via server.infer ${us(median(direct))}/token, generate ${us(median(looped))}/token`,
    );
  });
});
