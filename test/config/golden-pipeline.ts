/**
 * Runs one golden case directory through the config pipeline the model
 * loader uses: read (config.pbtxt or config.json) -> auto-complete (when the
 * case gives a model file signature) -> normalize -> validate -> check
 * against the signature.
 *
 * A case directory holds:
 * - `config.pbtxt` or `config.json` (neither: the config is empty, as when a
 *   model directory has no config file);
 * - `context.json` (optional): {@link GoldenContext};
 * - `expected.json`: `{ "config": {...} }` (the normalised result) or
 *   `{ "error": "exact message" }`, where `{dir}` stands for the case
 *   directory as the runner names it; optionally `"json"`, the exact text
 *   `/v2/models/{m}/config` must return.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { ModelFileSignature } from '../../runtime/backends/backend.ts';
import { autoCompleteConfig } from '../../runtime/config/auto-complete.ts';
import { parseConfigJson } from '../../runtime/config/config-json.ts';
import { readModelConfig } from '../../runtime/config/load-model-config.ts';
import { normalizeConfig } from '../../runtime/config/normalize-config.ts';
import { validateAgainstSignature, validateConfig } from '../../runtime/config/validate-config.ts';

export interface GoldenContext {
  /** Directory name of the model; defaults to the case directory name. */
  modelName?: string;
  gpuAvailable?: boolean;
  gpuIds?: number[];
  knownBackends?: string[];
  /** The backend the registry resolves for a config that names none (the loader fills it in). */
  backend?: string;
  /** What the model file declares; turns on auto-complete and the signature check. */
  signature?: ModelFileSignature;
  strict?: boolean;
  defaultMaxBatchSize?: number;
}

export interface GoldenExpectation {
  config?: ModelConfig;
  error?: string;
  json?: string;
}

/** The backends a nereid server registers, for the known-backend rule. */
export const DEFAULT_KNOWN_BACKENDS = ['onnxruntime', 'python', 'typescript'];

export function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

/** The case directory as error messages name it (relative to the working directory). */
export function caseLabel(caseDir: string): string {
  return relative(process.cwd(), caseDir) || '.';
}

export async function runGoldenCase(caseDir: string, caseName: string): Promise<ModelConfig> {
  const context = existsSync(join(caseDir, 'context.json')) ? readJson<GoldenContext>(join(caseDir, 'context.json')) : {};
  const modelName = context.modelName ?? caseName;
  const label = caseLabel(caseDir);
  const jsonFile = join(caseDir, 'config.json');
  let raw: ModelConfig | undefined = existsSync(jsonFile)
    ? parseConfigJson(readFileSync(jsonFile, 'utf8'), join(label, 'config.json'))
    : await readModelConfig(label);
  // As the loader does: a config without a name takes the directory's before the backend completes it.
  raw = { ...(raw ?? {}), name: raw?.name || modelName } as ModelConfig;
  if (context.backend && !raw.backend) raw.backend = context.backend;
  if (context.signature) {
    raw = autoCompleteConfig(raw, context.signature, { defaultMaxBatchSize: context.defaultMaxBatchSize ?? 4, strict: context.strict ?? false });
  }
  const gpuAvailable = context.gpuAvailable ?? false;
  const config = normalizeConfig(raw, { modelName, gpuAvailable, gpuIds: context.gpuIds });
  validateConfig(config, { modelName, knownBackends: context.knownBackends ?? DEFAULT_KNOWN_BACKENDS, gpuAvailable, gpuIds: context.gpuIds });
  if (context.signature) validateAgainstSignature(config, context.signature);
  return config;
}
