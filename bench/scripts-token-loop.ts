/**
 * A token loop through BLS: `generate` (a model.ts that calls the ONNX
 * `generate_decoder` once per token, appending the argmax) for 64 tokens,
 * against the same 64 decoder calls made directly with `server.infer()` on the
 * same growing sequences. The difference, divided by 64, is what the script
 * layer adds per step.
 *
 * 64 steps are forced: the maximum-tokens parameter is 64 and the end id is
 * -1, which no argmax can produce. The parameter names are read from
 * models/generate/1/*.ts (`max_tokens` and `end_id` expected).
 *
 * `generate` streams (one response per token); the loop alone is measured
 * on a copy loaded as `generate_whole` without `decoupled` (one response with
 * every token), and the difference between the two is what streaming costs
 * per token.
 *
 * Skipped, with the reason, when either model is missing from the repository.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DataType } from '../sdk/datatypes.ts';
import type { InferRequest, Parameters } from '../sdk/inference.ts';
import { Tensor } from '../sdk/tensor.ts';
import type { Server } from '../runtime/server/create-server.ts';
import { InnerCallTimer } from './inner-calls.ts';
import { interleavedPairs, type InterleavedResult } from './paired-loop.ts';
import type { Report } from './scripts-report.ts';
import { summarize } from './stats.ts';

const GENERATE = 'generate';
const DECODER = 'generate_decoder';
const STEPS = 64;
const PROMPT = [1, 5, 9, 3];

type IdArray = BigInt64Array | Int32Array;

function ids(datatype: DataType, values: readonly number[]): IdArray {
  return datatype === 'INT64' ? BigInt64Array.from(values, BigInt) : Int32Array.from(values);
}

/** Parameter names the generate model reads, found in its source. */
function parameterNames(source: string): { maxTokens: string; endId: string } | string {
  const find = (pattern: RegExp): string | undefined => source.match(pattern)?.[1];
  const maxTokens = find(/['"`]?(max_(?:new_)?tokens)['"`]?/) ?? find(/['"`](max[_a-z]*tokens?)['"`]/);
  const endId = find(/['"`]?(end_(?:token_)?id)['"`]?/) ?? find(/['"`]((?:end|eos|stop)[_a-z]*id)['"`]/);
  if (!maxTokens || !endId) return `could not find the max-tokens / end-id parameter names in models/${GENERATE}/1/*.ts`;
  return { maxTokens, endId };
}

function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

export async function benchTokenLoop(report: Report, server: Server, repository: string, durationMs: number): Promise<void> {
  const section = 'token-loop';
  report.print(`\n[${section}] ${GENERATE} (${STEPS} tokens through BLS) vs ${STEPS} direct server.infer() calls of ${DECODER}, c=1\n`);
  const source = join(repository, GENERATE, '1', 'model.ts');
  if (!existsSync(source) || !existsSync(join(repository, DECODER))) {
    report.skip(section, `models/${GENERATE}/1/model.ts or models/${DECODER} is not in the repository yet`);
    return;
  }
  for (const model of [GENERATE, DECODER]) {
    if (!server.isModelReady(model)) {
      report.skip(section, `model '${model}' is in the repository but did not load`);
      return;
    }
  }
  const versionDir = join(repository, GENERATE, '1');
  const sources = readdirSync(versionDir).filter((file) => file.endsWith('.ts')).map((file) => readFileSync(join(versionDir, file), 'utf8'));
  const names = parameterNames(sources.join('\n'));
  if (typeof names === 'string') {
    report.skip(section, names);
    return;
  }

  // The decoder: token ids in, logits of the last position out.
  const decoder = server.modelMetadata(DECODER);
  const idInput = decoder.inputs[0]!;
  const decoderRequest = (sequence: readonly number[]): InferRequest => ({
    model: DECODER,
    inputs: [new Tensor(idInput.name, idInput.datatype, [1, sequence.length], ids(idInput.datatype, sequence))],
  });
  const directLoop = async (): Promise<number[]> => {
    const sequence = [...PROMPT];
    for (let step = 0; step < STEPS; step++) {
      const response = await server.infer(decoderRequest(sequence));
      sequence.push(argmax(response.outputs[0]!.data as Float32Array));
    }
    return sequence.slice(PROMPT.length);
  };

  // generate: the prompt in, the tokens out.
  const generate = server.modelMetadata(GENERATE);
  const promptInput = generate.inputs[0]!;
  const parameters: Parameters = { [names.maxTokens]: STEPS, [names.endId]: -1 };
  const generateRequest = (): InferRequest => ({
    model: GENERATE,
    parameters,
    inputs: [new Tensor(promptInput.name, promptInput.datatype, promptInput.shape.length > 1 ? [1, PROMPT.length] : [PROMPT.length], ids(promptInput.datatype, PROMPT))],
  });

  /** The tokens of one generation, read from its stream (one response per token when the model is decoupled, else one response). */
  const runGenerate = async (): Promise<number[]> => {
    const tokens: number[] = [];
    for await (const item of server.inferStream(generateRequest())) {
      if (item.error) throw item.error;
      const tokenOutput = item.response?.outputs.find((o) => o.datatype === 'INT64' || o.datatype === 'INT32');
      if (tokenOutput) tokens.push(...Array.from(tokenOutput.data as IdArray, Number));
    }
    return tokens;
  };

  // Same tokens both ways, and really STEPS of them (else the comparison is not per step).
  const expected = await directLoop();
  const produced = await runGenerate();
  const generated = produced.length === STEPS + PROMPT.length ? produced.slice(PROMPT.length) : produced;
  if (generated.length !== STEPS) {
    report.skip(section, `${GENERATE} returned ${generated.length} tokens, not ${STEPS} (parameters ${JSON.stringify(parameters)})`);
    return;
  }
  if (generated.join() !== expected.join()) {
    report.note(`warning: ${GENERATE}'s tokens differ from the direct argmax loop's; the per-step comparison still holds only if its sequences grow alike`);
  }

  await benchWholeLoop(report, section, server, versionDir, generateRequest, directLoop, durationMs);

  const timer = new InnerCallTimer(server, DECODER);
  let pairs: InterleavedResult;
  try {
    pairs = await interleavedPairs(
      { name: `${DECODER} x${STEPS} direct`, call: directLoop },
      { name: `${GENERATE} ${STEPS} tokens`, call: () => timer.track(runGenerate) },
      { durationMs, onMeasureStart: () => timer.reset() },
    );
  } finally {
    timer.restore();
  }
  const direct = report.row(section, `${DECODER} x${STEPS} direct`, 1, pairs.a);
  const bls = report.row(section, `${GENERATE} ${STEPS} tokens`, 1, pairs.b);
  report.figure({ section, name: 'direct decoder step, p50 / 64', value: direct.p50 / STEPS, unit: 'µs' });
  report.figure({ section, name: 'added per step, streamed (median pair diff / 64)', value: pairs.medianDifference / STEPS, unit: 'µs', target: 50 });
  report.figure({ section, name: 'added per step (p50 diff / 64)', value: (bls.p50 - direct.p50) / STEPS, unit: 'µs' });
  report.figure({
    section,
    name: 'script layer own time per step, p50',
    value: summarize(timer.ownTimes, 1).p50 / STEPS,
    unit: 'µs',
    note: `(generate latency - time in its ${timer.innerCalls} decoder calls) / ${STEPS}`,
  });
  report.figure({ section, name: 'generate / direct loop, p50', value: bls.p50 / direct.p50, unit: 'x' });
}

/**
 * The loop without streaming: `generate` loaded again as `generate_whole`
 * (its files, its config without `decoupled`: one response with every token)
 * against the same direct decoder calls.
 */
async function benchWholeLoop(
  report: Report,
  section: string,
  server: Server,
  versionDir: string,
  generateRequest: () => InferRequest,
  directLoop: () => Promise<number[]>,
  durationMs: number,
): Promise<void> {
  const WHOLE = `${GENERATE}_whole`;
  const config = server.modelConfig(GENERATE);
  const policy = { ...(config.model_transaction_policy as object), decoupled: false };
  const files: Record<string, Uint8Array> = {};
  for (const file of readdirSync(versionDir)) files[`1/${file}`] = readFileSync(join(versionDir, file));
  await server.loadModel(WHOLE, { config: JSON.stringify({ ...config, name: WHOLE, model_transaction_policy: policy }), files });
  try {
    const whole = (): Promise<unknown> => server.infer({ ...generateRequest(), model: WHOLE });
    const pairs = await interleavedPairs({ name: `${DECODER} x${STEPS} direct`, call: directLoop }, { name: `${WHOLE} ${STEPS} tokens`, call: whole }, { durationMs });
    report.row(section, `${WHOLE} ${STEPS} tokens`, 1, pairs.b);
    report.figure({ section, name: 'added per step, one response (median pair diff / 64)', value: pairs.medianDifference / STEPS, unit: 'µs', target: 50 });
  } finally {
    await server.unloadModel(WHOLE);
  }
}
