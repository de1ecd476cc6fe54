/**
 * The data flow of an ensemble, compiled once per loaded version: for each
 * step, which ensemble tensors it reads and writes; for each tensor, which
 * steps read it. A `Plan` is that graph pruned to the steps a set of
 * requested outputs needs (as Triton prunes: a step none of whose outputs
 * leads to a requested output does not run). Plans are cached per output set.
 */
import type { EnsembleStep, ModelConfig } from '../../sdk/model-config.ts';

export interface CompiledStep {
  readonly index: number;
  readonly model: string;
  /** undefined: the latest version (model_version -1 or unset). */
  readonly version: string | undefined;
  /** [step model input name, ensemble tensor name] */
  readonly inputs: readonly (readonly [string, string])[];
  /** Step model output name -> ensemble tensor name. */
  readonly outputs: ReadonlyMap<string, string>;
  /** The step outputs to ask for (output_map keys). */
  readonly requested: readonly { name: string }[];
}

export interface Plan {
  /** The steps to run, by index into EnsembleGraph.steps. */
  readonly steps: readonly CompiledStep[];
  /** How many times each tensor is read: by planned steps, plus once when it is a requested output. */
  readonly uses: ReadonlyMap<string, number>;
  /** Ensemble tensor -> planned steps that read it. */
  readonly consumers: ReadonlyMap<string, readonly CompiledStep[]>;
  /** Tensors planned steps read that no planned step produces: the ensemble inputs they need. */
  readonly external: readonly string[];
}

function compileStep(step: EnsembleStep, index: number): CompiledStep {
  const outputs = new Map(Object.entries(step.output_map ?? {}));
  const version = step.model_version !== undefined && step.model_version > 0 ? String(step.model_version) : undefined;
  return {
    index,
    model: step.model_name,
    version,
    inputs: Object.entries(step.input_map ?? {}),
    outputs,
    requested: [...outputs.keys()].map((name) => ({ name })),
  };
}

export class EnsembleGraph {
  readonly steps: readonly CompiledStep[];
  /** Ensemble tensor -> the step producing it. */
  readonly #producer = new Map<string, CompiledStep>();
  readonly #plans = new Map<string, Plan>();

  constructor(config: ModelConfig) {
    this.steps = (config.ensemble_scheduling?.step ?? []).map(compileStep);
    for (const step of this.steps) for (const tensor of step.outputs.values()) this.#producer.set(tensor, step);
  }

  /** The plan producing `outputs` (requested ensemble output names). */
  plan(outputs: readonly string[]): Plan {
    const key = outputs.join('\0');
    let plan = this.#plans.get(key);
    if (!plan) {
      plan = this.#build(outputs);
      // Output sets are bounded by the config's outputs; cap the cache anyway.
      if (this.#plans.size < 64) this.#plans.set(key, plan);
    }
    return plan;
  }

  #build(outputs: readonly string[]): Plan {
    // Walk back from the requested outputs to every step they depend on.
    const needed = new Set<CompiledStep>();
    const pending = [...outputs];
    while (pending.length > 0) {
      const step = this.#producer.get(pending.pop()!);
      if (!step || needed.has(step)) continue;
      needed.add(step);
      for (const [, tensor] of step.inputs) pending.push(tensor);
    }
    const steps = this.steps.filter((step) => needed.has(step));
    const uses = new Map<string, number>();
    const consumers = new Map<string, CompiledStep[]>();
    for (const step of steps) {
      for (const [, tensor] of step.inputs) {
        uses.set(tensor, (uses.get(tensor) ?? 0) + 1);
        const list = consumers.get(tensor) ?? [];
        list.push(step);
        consumers.set(tensor, list);
      }
    }
    const produced = new Set(steps.flatMap((step) => [...step.outputs.values()]));
    const external = [...consumers.keys()].filter((tensor) => !produced.has(tensor));
    for (const output of outputs) uses.set(output, (uses.get(output) ?? 0) + 1);
    return { steps, uses, consumers, external };
  }
}
