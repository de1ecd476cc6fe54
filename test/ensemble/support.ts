/** Helpers for ensemble tests: config text for ensembles, and the step models they use. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tensor } from '../../sdk/tensor.ts';
import { addSubModel, identityModel, writeFixture } from '../support/onnx-fixtures.ts';
import { writeScriptModel } from '../script/support.ts';

export interface StepText {
  model: string;
  version?: number;
  inputs: Record<string, string>;
  outputs: Record<string, string>;
}

export interface TensorText {
  name: string;
  type?: string;
  dims?: number[];
}

const mapText = (kind: string, map: Record<string, string>): string =>
  Object.entries(map)
    .map(([key, value]) => `${kind} { key: "${key}" value: "${value}" }`)
    .join(' ');

const tensorText = (t: TensorText): string => `{ name: "${t.name}" data_type: ${t.type ?? 'TYPE_INT32'} dims: [ ${(t.dims ?? [16]).join(', ')} ] }`;

/** config.pbtxt of an ensemble (INT32 [16] tensors unless told). */
export function ensembleConfig(name: string, inputs: TensorText[], outputs: TensorText[], steps: StepText[], maxBatchSize = 8): string {
  return [
    `name: "${name}"`,
    'platform: "ensemble"',
    `max_batch_size: ${maxBatchSize}`,
    `input [ ${inputs.map(tensorText).join(', ')} ]`,
    `output [ ${outputs.map(tensorText).join(', ')} ]`,
    'ensemble_scheduling { step [',
    steps
      .map((s) => `  { model_name: "${s.model}" model_version: ${s.version ?? -1} ${mapText('input_map', s.inputs)} ${mapText('output_map', s.outputs)} }`)
      .join(',\n'),
    '] }',
  ].join('\n');
}

/** Writes an ensemble directory (config and an empty version folder, as Triton expects). */
export async function writeEnsemble(repo: string, name: string, config: string): Promise<void> {
  await mkdir(join(repo, name, '1'), { recursive: true });
  await writeFile(join(repo, name, 'config.pbtxt'), config);
}

/**
 * INT32 [16] in and out: OUTPUT0 = INPUT0 * `factor` (request parameter,
 * default 1) after sleeping `sleep_ms`; fails, naming the request id, when
 * the `fail` parameter names this model.
 */
export const SCALE_SOURCE = (name: string): string => `
  import { InferenceResponse, NereidError, Tensor, type InferenceRequest } from 'nereid/model';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  export async function execute(requests: InferenceRequest[]) {
    return Promise.all(requests.map(async (request) => {
      await sleep(Number(request.parameters.sleep_ms ?? 0));
      if (request.parameters.fail === '${name}') {
        return new InferenceResponse({ error: new NereidError('INVALID_ARG', 'told to fail request ' + request.id) });
      }
      const input = request.requireInput('INPUT0');
      const factor = Number(request.parameters.factor ?? 1);
      const out = (input.data as Int32Array).map((v) => v * factor);
      return new InferenceResponse({ outputs: [new Tensor('OUTPUT0', 'INT32', input.shape, out)] });
    }));
  }`;

export function scaleConfig(name: string): string {
  return [
    `name: "${name}"`,
    'backend: "typescript"',
    'max_batch_size: 8',
    'input [ { name: "INPUT0" data_type: TYPE_INT32 dims: [ 16 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_INT32 dims: [ 16 ] } ]',
    'instance_group [ { count: 1 kind: KIND_CPU } ]',
  ].join('\n');
}

/** `simple` (add/sub, INT32 [16], dynamic batching) and `identity` (INT32 [16]). */
export async function writeOnnxSteps(repo: string): Promise<void> {
  await writeFixture(repo, 'simple', addSubModel('INT32', { batch: true, dims: [16] }), {
    instanceGroup: { count: 1, kind: 'KIND_CPU' },
    extra: 'dynamic_batching { max_queue_delay_microseconds: 20000 }',
  });
  await writeFixture(repo, 'identity', identityModel('INT32', { batch: true, dims: [16] }));
}

export async function writeScaleModel(repo: string, name: string): Promise<void> {
  await writeScriptModel(repo, name, { source: SCALE_SOURCE(name), config: scaleConfig(name) });
}

/** simple -> identity: OUT_SUM = identity(INPUT0 + INPUT1), DIFF = INPUT0 - INPUT1. */
export const CHAIN = ensembleConfig(
  'chain',
  [{ name: 'INPUT0' }, { name: 'INPUT1' }],
  [{ name: 'OUT_SUM' }, { name: 'DIFF' }],
  [
    { model: 'simple', inputs: { INPUT0: 'INPUT0', INPUT1: 'INPUT1' }, outputs: { OUTPUT0: 'sum', OUTPUT1: 'DIFF' } },
    { model: 'identity', inputs: { INPUT0: 'sum' }, outputs: { OUTPUT0: 'OUT_SUM' } },
  ],
);

export function int32(name: string, values: number[], batch = 1): Tensor {
  const data = new Int32Array(16 * batch).map((_, i) => values[i % values.length]!);
  return new Tensor(name, 'INT32', [batch, 16], data);
}

export const values = (tensor: Tensor | undefined): number[] => Array.from((tensor?.data ?? []) as Int32Array);
