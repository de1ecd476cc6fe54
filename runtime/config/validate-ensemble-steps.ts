/**
 * Rules for an ensemble that need the configs of its composing models, checked
 * when the ensemble loads (after its steps): every step model is available,
 * the ensemble's max_batch_size fits each step's, each step maps exactly its
 * model's inputs and only its model's outputs, and every ensemble tensor has
 * one datatype and a compatible shape wherever it appears (the ensemble's own
 * inputs and outputs, the step producing it, the steps consuming it).
 * Messages use Triton's wording (ensemble_utils.cc).
 *
 * Decoupled steps: as Triton, the ensemble's own `model_transaction_policy {
 * decoupled }` is not something its author declares but follows from its
 * steps: validateEnsembleSteps sets it (true when a step on the data flow is
 * decoupled, false otherwise) on the config it checks, which must not be
 * frozen yet. A decoupled step fires the steps after it once per response,
 * so every step's inputs, and the ensemble's outputs, must descend from one
 * decoupled step at most (or none): responses of two decoupled steps cannot
 * be paired.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { EnsembleStep, ModelConfig } from '../../sdk/model-config.ts';

/** One appearance of an ensemble tensor: which model declares it, and how. */
interface TensorSite {
  readonly model: string;
  readonly type: string;
  readonly dims: readonly number[];
  /** `dims` with a leading -1 when the model batches. */
  readonly fullDims: readonly number[];
}

function fail(message: string): never {
  throw NereidError.invalidArg(message);
}

function site(model: string, batching: boolean, type: string, dims: readonly number[]): TensorSite {
  return { model, type, dims, fullDims: batching ? [-1, ...dims] : dims };
}

function dimsCompatible(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((dim, i) => dim === -1 || b[i] === -1 || dim === b[i]);
}

const formatDims = (dims: readonly number[]): string => `[${dims.join(',')}]`;

/**
 * A batching ensemble may feed a non-batching step whose first dim is the
 * batch, so shapes match when either the dims or the batch-expanded dims do.
 */
function checkConsistent(ensemble: string, tensor: string, a: TensorSite, b: TensorSite): void {
  const prefix = `in ensemble ${ensemble}, ensemble tensor ${tensor}: `;
  if (a.type !== b.type) {
    fail(`${prefix}inconsistent data type: ${a.type} is inferred from model ${a.model} while ${b.type} is inferred from model ${b.model}`);
  }
  if (!dimsCompatible(a.dims, b.dims) && !dimsCompatible(a.fullDims, b.fullDims)) {
    fail(
      `${prefix}inconsistent shape: ${formatDims(a.fullDims)} is inferred from model ${a.model} while ${formatDims(b.fullDims)} is inferred from model ${b.model}`,
    );
  }
}

function record(sites: Map<string, TensorSite>, ensemble: string, tensor: string, found: TensorSite): void {
  const existing = sites.get(tensor);
  if (existing) checkConsistent(ensemble, tensor, existing, found);
  else sites.set(tensor, found);
}

function checkStepMaps(ensemble: string, step: EnsembleStep, model: ModelConfig, sites: Map<string, TensorSite>): void {
  const batching = (model.max_batch_size ?? 0) > 0;
  const inputMap = Object.entries(step.input_map ?? {});
  const outputMap = Object.entries(step.output_map ?? {});
  const inputs = new Map((model.input ?? []).map((input) => [input.name, input]));
  const outputs = new Map((model.output ?? []).map((output) => [output.name, output]));
  for (const [modelInput, tensor] of inputMap) {
    if (!inputs.has(modelInput)) {
      fail(`in ensemble ${ensemble}, ensemble tensor ${tensor} is mapping to non-existing input ${modelInput} in model ${step.model_name}`);
    }
  }
  for (const input of inputs.values()) {
    const mapped = inputMap.filter(([modelInput]) => modelInput === input.name);
    if (mapped.length === 0 && !input.optional) {
      fail(`in ensemble ${ensemble}, input ${input.name} in model ${model.name} is not mapped to any ensemble tensors`);
    }
    for (const [, tensor] of mapped) record(sites, ensemble, tensor, site(step.model_name, batching, input.data_type, input.reshape?.shape ?? input.dims));
  }
  for (const [modelOutput, tensor] of outputMap) {
    const output = outputs.get(modelOutput);
    if (!output) fail(`in ensemble ${ensemble}, ensemble tensor ${tensor} is mapped from non-existing output ${modelOutput} in model ${step.model_name}`);
    record(sites, ensemble, tensor, site(step.model_name, batching, output.data_type, output.reshape?.shape ?? output.dims));
  }
  const targets = outputMap.map(([, tensor]) => tensor);
  const repeated = targets.find((tensor, i) => targets.indexOf(tensor) !== i);
  if (repeated !== undefined) fail(`in ensemble ${ensemble}, multiple outputs in model ${model.name} are mapped to the same ensemble tensor ${repeated}`);
}

/**
 * Checks `config` (an ensemble that passed validateEnsemble) against its step
 * models. `steps` maps each step model name to the config it is served with;
 * a name it lacks is a step model that is not available.
 */
export function validateEnsembleSteps(config: ModelConfig, steps: ReadonlyMap<string, ModelConfig>): void {
  const ensemble = config.name;
  const stepList = config.ensemble_scheduling?.step ?? [];
  const missing = [...new Set(stepList.map((step) => step.model_name))].filter((name) => !steps.has(name));
  if (missing.length > 0) fail(`ensemble ${ensemble} contains models that are not available: ${missing.join(', ')}`);

  const batching = (config.max_batch_size ?? 0) > 0;
  const sites = new Map<string, TensorSite>();
  for (const input of config.input ?? []) {
    sites.set(input.name, site(ensemble, batching, input.data_type, input.reshape?.shape ?? input.dims));
  }
  for (const output of config.output ?? []) {
    sites.set(output.name, site(ensemble, batching, output.data_type, output.reshape?.shape ?? output.dims));
  }
  for (const step of stepList) {
    const model = steps.get(step.model_name)!;
    const stepMax = model.max_batch_size ?? 0;
    // A batching ensemble can include non-batching models as long as the expanded shapes agree.
    if (stepMax !== 0 && stepMax < (config.max_batch_size ?? 0)) {
      fail(
        `ensemble ${ensemble} allows maximum batch size ${config.max_batch_size}, but it contains model ${step.model_name} which only allows maximum batch size to be ${stepMax}`,
      );
    }
    checkStepMaps(ensemble, step, model, sites);
  }
  const decoupled = checkDecoupledLineage(config, steps);
  if (decoupled || config.model_transaction_policy?.decoupled !== undefined) {
    config.model_transaction_policy = { ...config.model_transaction_policy, decoupled };
  }
}

/**
 * Follows the data flow from the ensemble inputs, labelling each tensor with
 * the decoupled step it descends from (0: none; a step's outputs take the
 * label of its inputs, a decoupled step's a new one). Fails when a step's
 * inputs, or the ensemble outputs, carry different labels. Returns whether
 * any decoupled step was reached.
 */
function checkDecoupledLineage(config: ModelConfig, steps: ReadonlyMap<string, ModelConfig>): boolean {
  const ensemble = config.name;
  const mixed = (model: string): never => fail(`in ensemble ${ensemble}, step of model '${model}' receives inputs originated from different decoupled models`);
  const label = new Map<string, number>((config.input ?? []).map((input) => [input.name, 0]));
  let pending = (config.ensemble_scheduling?.step ?? []).map((step, index) => ({ step, index }));
  let decoupled = false;
  for (let progress = true; progress; ) {
    progress = false;
    pending = pending.filter(({ step, index }) => {
      const inputs = Object.values(step.input_map ?? {});
      if (!inputs.every((tensor) => label.has(tensor))) return true;
      const labels = new Set(inputs.map((tensor) => label.get(tensor)!));
      if (labels.size > 1) mixed(step.model_name);
      const isDecoupled = steps.get(step.model_name)?.model_transaction_policy?.decoupled === true;
      decoupled ||= isDecoupled;
      const outputLabel = isDecoupled ? index + 1 : ([...labels][0] ?? 0);
      for (const tensor of Object.values(step.output_map ?? {})) label.set(tensor, outputLabel);
      progress = true;
      return false;
    });
  }
  const outputLabels = new Set((config.output ?? []).filter((output) => label.has(output.name)).map((output) => label.get(output.name)));
  if (outputLabels.size > 1) mixed(ensemble);
  return decoupled;
}

/** The distinct model names an ensemble config's steps use (empty for any other config). */
export function ensembleStepModels(config: ModelConfig | undefined): string[] {
  if (!config || config.platform !== 'ensemble') return [];
  return [...new Set((config.ensemble_scheduling?.step ?? []).map((step) => step.model_name).filter(Boolean))];
}
