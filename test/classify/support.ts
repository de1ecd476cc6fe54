/**
 * What the mlp_classifier tests share: a repository holding copies of the
 * bundled `mlp` and `mlp_classifier`, deterministic example signals, and an
 * independent reference for the classifier: the same preprocessing written
 * again here (not imported from the model), then `mlp` called directly, then
 * top-k by sorting. Agreement with the model therefore checks the model's
 * preprocessing and post-processing, not just that it forwards tensors.
 */
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Server } from '../../runtime/server/create-server.ts';
import type { InferResponse } from '../../sdk/inference.ts';
import { Tensor } from '../../sdk/tensor.ts';

export const MODEL = 'mlp_classifier';
const MODELS = join(import.meta.dirname, '..', '..', 'models');

/** The bundled config's standardization and defaults (a test checks the loaded config still says so). */
export const BUNDLED = Object.freeze({ mean: [0.5], std: [0.25], policy: 'resample' as const, defaultTopK: 3, maxLength: 16384 });
export const LABELS: readonly string[] = JSON.parse(await readFile(join(MODELS, MODEL, 'labels.json'), 'utf8')) as string[];

export interface Preprocessing {
  mean: readonly number[];
  std: readonly number[];
  policy: 'resample' | 'pad_truncate';
}

/** Copies models/mlp and models/mlp_classifier into `repo`. */
export async function copyBundledModels(repo: string): Promise<void> {
  for (const name of ['mlp', MODEL]) await cp(join(MODELS, name), join(repo, name), { recursive: true });
}

/** A copy of the classifier named `name`, its config's parameters changed by `edit` (config text in, text out). */
export async function copyClassifierAs(repo: string, name: string, edit: (config: string) => string): Promise<void> {
  await cp(join(MODELS, MODEL), join(repo, name), { recursive: true });
  const file = join(repo, name, 'config.pbtxt');
  const config = (await readFile(file, 'utf8')).replace(`name: "${MODEL}"`, `name: "${name}"`);
  await writeFile(file, edit(config));
}

/** Sets parameter `key` of a config's text to `value` (the parameter must be there). */
export function setParameter(config: string, key: string, value: string): string {
  const pattern = new RegExp(`(key: "${key}"\\s*value: \\{ string_value: )"[^"]*"`);
  if (!pattern.test(config)) throw new Error(`the config has no parameter '${key}'`);
  return config.replace(pattern, `$1"${value}"`);
}

/** Deterministic pseudo-random numbers in [0, 1) (mulberry32), so failures reproduce. */
export function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A sensor-like trace of `length` values: a sine of a seeded frequency plus
 * noise, around 0.5. Every value is exactly representable in FP32, so the
 * same numbers sent as FP32 and as text are the same numbers.
 */
export function signal(length: number, seed: number): number[] {
  const next = random(seed);
  const frequency = 1 + next() * 6;
  const phase = next() * Math.PI;
  return Array.from({ length }, (_, i) => Math.fround(0.5 + 0.3 * Math.sin(phase + (frequency * 2 * Math.PI * i) / Math.max(length, 2)) + 0.1 * (next() - 0.5)));
}

/** `rows` (all of one length) as the `features` input, [rows, n]. */
export function featuresInput(rows: readonly (readonly number[])[]): Tensor {
  return new Tensor('features', 'FP32', [rows.length, rows[0]!.length], Float32Array.from(rows.flat()));
}

/** `rows` as the `text` input, [rows, 1], comma-separated. */
export function textInput(rows: readonly (readonly number[])[], separator = ', '): Tensor {
  return Tensor.fromStrings('text', [rows.length, 1], rows.map((row) => row.join(separator)));
}

/** The 64 values mlp gets for `values`: written from the description in the model's config, not from its code. */
export function referenceRow(values: readonly number[], { mean, std, policy }: Preprocessing): number[] {
  const at = (list: readonly number[], i: number) => (list.length === 1 ? list[0]! : list[i]!);
  return Array.from({ length: 64 }, (_, i) => {
    let raw: number;
    if (policy === 'pad_truncate') {
      if (i >= values.length) return 0;
      raw = values[i]!;
    } else if (values.length === 1) {
      raw = values[0]!;
    } else {
      const x = (i * (values.length - 1)) / 63;
      const low = Math.floor(x);
      const high = Math.min(low + 1, values.length - 1);
      raw = values[low]! * (1 - (x - low)) + values[high]! * (x - low);
    }
    return (raw - at(mean, i)) / at(std, i);
  });
}

/** What the classifier should answer for one row. */
export interface Classified {
  labels: string[];
  scores: number[];
  classIds: number[];
}

/** The reference answer for `rows`: preprocessed here, classified by calling `mlp` directly, top k by sorting. */
export async function referenceClassify(
  server: Server,
  rows: readonly (readonly number[])[],
  k: number,
  preprocessing: Preprocessing = BUNDLED,
): Promise<Classified[]> {
  const input = Float32Array.from(rows.flatMap((row) => referenceRow(row, preprocessing)));
  const response = await server.infer({ model: 'mlp', inputs: [new Tensor('input', 'FP32', [rows.length, 64], input)] });
  const probabilities = response.outputs.find((t) => t.name === 'probabilities')!.data as Float32Array;
  return rows.map((_, row) => {
    const scores = Array.from(probabilities.subarray(row * 10, row * 10 + 10));
    const order = scores.map((score, id) => ({ score, id })).sort((a, b) => b.score - a.score || a.id - b.id).slice(0, k);
    return { labels: order.map((o) => LABELS[o.id]!), scores: order.map((o) => o.score), classIds: order.map((o) => o.id) };
  });
}

/** The classifier's response, row by row. */
export function classified(response: InferResponse): Classified[] {
  const output = (name: string) => {
    const tensor = response.outputs.find((t) => t.name === name);
    if (!tensor) throw new Error(`no output '${name}' (outputs: ${response.outputs.map((t) => t.name).join(', ')})`);
    return tensor;
  };
  const labels = output('labels');
  const [rows, k] = labels.shape.length === 2 ? labels.shape : [1, labels.shape[0]!];
  const strings = labels.strings();
  const scores = output('scores').data as Float32Array;
  const ids = output('class_ids').data as Int32Array;
  return Array.from({ length: rows! }, (_, row) => ({
    labels: strings.slice(row * k!, (row + 1) * k!),
    scores: Array.from(scores.subarray(row * k!, (row + 1) * k!)),
    classIds: Array.from(ids.subarray(row * k!, (row + 1) * k!)),
  }));
}
