/**
 * Rules for `ensemble_scheduling` that need nothing but the ensemble's own
 * config: the settings ensembles may not have, complete steps, and a data
 * flow in which every ensemble output is written, every tensor is used and
 * each tensor is produced by one step only. (Checks against the composing
 * models' configs happen when the ensemble is loaded, not here.)
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig, ModelEnsembling } from '../../sdk/model-config.ts';

/** One named tensor of the ensemble's data flow graph. */
interface FlowTensor {
  readonly name: string;
  /** Produced by some step (appears as an output_map value). */
  isOutput: boolean;
  ready: boolean;
  /** Tensors this one is computed from (the inputs of the step that produces it). */
  readonly prev: FlowTensor[];
  /** Tensors computed from this one. */
  readonly next: FlowTensor[];
}

function fail(message: string): never {
  throw NereidError.invalidArg(message);
}

function tensor(graph: Map<string, FlowTensor>, name: string, isOutput: boolean): FlowTensor {
  let node = graph.get(name);
  if (!node) {
    node = { name, isOutput, ready: false, prev: [], next: [] };
    graph.set(name, node);
  }
  return node;
}

function buildGraph(ensemble: ModelEnsembling, name: string): Map<string, FlowTensor> {
  const graph = new Map<string, FlowTensor>();
  (ensemble.step ?? []).forEach((step, index) => {
    if (!step.model_name) fail(`must specify 'model_name' in step ${index} of ensemble '${name}'`);
    const inputMap = Object.entries(step.input_map ?? {});
    const outputMap = Object.entries(step.output_map ?? {});
    if (inputMap.length === 0) fail(`must specify 'input_map' in step ${index} of ensemble '${name}'`);
    if (outputMap.length === 0) fail(`must specify 'output_map' in step ${index} of ensemble '${name}'`);
    const produced: FlowTensor[] = [];
    for (const [, tensorName] of outputMap) {
      const existing = graph.get(tensorName);
      if (existing?.isOutput) fail(`ensemble tensor '${tensorName}' can appear in an output map only once for ensemble '${name}' step ${index}`);
      const node = tensor(graph, tensorName, true);
      node.isOutput = true;
      produced.push(node);
    }
    for (const [, tensorName] of inputMap) {
      const source = tensor(graph, tensorName, false);
      for (const output of produced) {
        output.prev.push(source);
        source.next.push(output);
      }
    }
  });
  return graph;
}

/** For an unwritten output, the earliest unready tensor it depends on (or itself). */
function firstUnconnected(output: FlowTensor): FlowTensor {
  const seen = new Set<string>();
  let last = output;
  let prev: FlowTensor[] | undefined = output.prev;
  while (prev && prev.length > 0) {
    const nodes: FlowTensor[] = prev;
    prev = undefined;
    for (const node of nodes) {
      if (!node.ready && !seen.has(node.name)) {
        seen.add(node.name);
        last = node;
        prev = node.prev;
        break;
      }
    }
  }
  return last;
}

/** Validates an ensemble config; call only when `ensemble_scheduling` is set. */
export function validateEnsemble(config: ModelConfig): void {
  const name = config.name;
  const ensemble = config.ensemble_scheduling!;
  if (config.platform !== 'ensemble') fail(`ensemble scheduling cannot be set for model '${name}' whose platform is not ensemble`);
  if ((config.instance_group ?? []).length > 0) fail(`instance group should not be specified for ensemble '${name}'`);
  if (config.optimization) fail(`optimization should not be specified for ensemble '${name}'`);
  if ((config.model_warmup ?? []).length > 0) fail(`model_warmup can not be specified for ensemble '${name}'`);
  if ((ensemble.step ?? []).length === 0) fail(`must specify 'step' for ensemble '${name}'`);

  const graph = buildGraph(ensemble, name);
  // Propagate readiness from the ensemble inputs: a tensor is ready once every tensor it is computed from is.
  const queue: FlowTensor[] = [];
  for (const input of config.input ?? []) {
    const node = graph.get(input.name) ?? fail(`ensemble input '${input.name}' for ensemble '${name}' is not used`);
    node.ready = true;
    queue.push(node);
  }
  for (let i = 0; i < queue.length; i++) {
    for (const next of queue[i]!.next) {
      if (next.ready || !next.prev.every((p) => p.ready)) continue;
      next.ready = true;
      queue.push(next);
    }
  }
  const outputs = new Set<string>();
  for (const output of config.output ?? []) {
    const node = graph.get(output.name) ?? fail(`ensemble output '${output.name}' for ensemble '${name}' is not used`);
    if (!node.ready) {
      const source = firstUnconnected(node);
      const detail = source === node ? '' : `: at least one of its depending tensors, '${source.name}', is not connected`;
      fail(`output '${output.name}' for ensemble '${name}' is not written${detail}`);
    }
    outputs.add(output.name);
  }
  for (const node of graph.values()) {
    if (outputs.has(node.name)) continue;
    if (!node.ready || node.next.length === 0) fail(`ensemble tensor '${node.name}' is unused in ensemble '${name}'`);
  }
}
