/** Writes TypeScript models into a test repository. */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Tensor } from '../../sdk/tensor.ts';

export interface ScriptModelFiles {
  /** The model.ts source. */
  source: string;
  /** config.pbtxt; omitted: a config with backend "typescript" and the given tensors. */
  config?: string;
  /** Extra files, relative to the model directory. */
  files?: Record<string, string>;
}

/** A request's inputs for a model of fp32Config: INPUT0 FP32 [1, n]. */
export function fp32Inputs(values: number[]): Tensor[] {
  return [new Tensor('INPUT0', 'FP32', [1, values.length], new Float32Array(values))];
}

/** FP32 [-1] in (INPUT0) and out (OUTPUT0), batching up to 8: the shape most test scripts use. */
export function fp32Config(name: string, extra = ''): string {
  return [
    `name: "${name}"`,
    'backend: "typescript"',
    'max_batch_size: 8',
    'input [ { name: "INPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'output [ { name: "OUTPUT0" data_type: TYPE_FP32 dims: [ -1 ] } ]',
    'instance_group [ { count: 1 kind: KIND_CPU } ]',
    extra,
  ].join('\n');
}

export async function writeScriptModel(repo: string, name: string, model: ScriptModelFiles): Promise<string> {
  const dir = join(repo, name);
  await mkdir(join(dir, '1'), { recursive: true });
  await writeFile(join(dir, '1', 'model.ts'), model.source);
  if (model.config !== null) await writeFile(join(dir, 'config.pbtxt'), model.config ?? fp32Config(name));
  for (const [path, text] of Object.entries(model.files ?? {})) {
    await mkdir(join(dir, path, '..'), { recursive: true });
    await writeFile(join(dir, path), text);
  }
  return dir;
}

/**
 * Works for `work_ms` (request parameter) in 10 ms steps, stopping early when
 * its request is cancelled (answering CANCELLED); logs which of the two
 * happened: 'noticed the cancellation of <id>' or 'finished <id>'.
 */
export const PATIENT_MODEL = `
  import { InferenceResponse, NereidError, log, type InferenceRequest } from 'nereid/model';
  const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
  export async function execute(requests: InferenceRequest[]) {
    const request = requests[0]!;
    const until = performance.now() + Number(request.parameters.work_ms ?? 0);
    while (performance.now() < until) {
      if (request.isCancelled()) {
        log.info('noticed the cancellation of ' + request.id);
        return requests.map(() => new InferenceResponse({ error: new NereidError('CANCELLED', 'stopped early: the request was cancelled') }));
      }
      await sleep(10);
    }
    log.info('finished ' + request.id);
    return requests.map((r) => new InferenceResponse({ outputs: [r.requireInput('INPUT0').rename('OUTPUT0')] }));
  }`;
