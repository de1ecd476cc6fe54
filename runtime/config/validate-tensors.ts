/**
 * Rules for the declared tensors: `input`, `output`, `batch_input` and
 * `batch_output`. Messages follow Triton's wording ("model input 'X' must
 * specify 'dims' for <model>") so that users can search for them.
 */
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig, ModelInput, ModelOutput } from '../../sdk/model-config.ts';

/** A dimension of -1: any size at request time. */
const WILDCARD_DIM = -1;
const TENSORRT_PLATFORM = 'tensorrt_plan';

/** Element count of a shape; -1 when a dimension is variable, 0 for an empty shape (as Triton counts). */
function elementCount(shape: readonly number[]): number {
  if (shape.length === 0) return 0;
  let count = 1;
  for (const dim of shape) {
    if (dim === WILDCARD_DIM) return -1;
    count *= dim;
  }
  return count;
}

/** Products of the fixed dimensions between variable ones: [2, 4, -1, 6] -> [8, 6]. */
function trunkCounts(shape: readonly number[]): number[] {
  const counts: number[] = [];
  let current = 1;
  for (const dim of shape) {
    if (dim === WILDCARD_DIM) {
      counts.push(current);
      current = 1;
    } else {
      current *= dim;
    }
  }
  counts.push(current);
  return counts;
}

/** Shape rules shared by inputs and outputs; returns an error text or undefined. */
function checkShape(io: ModelInput | ModelOutput, maxBatchSize: number, prefix: string): string | undefined {
  if (!io.name) return `${prefix}must specify 'name'`;
  const named = `${prefix}'${io.name}' `;
  if (!io.data_type || io.data_type === 'TYPE_INVALID') return `${named}must specify 'data_type'`;
  const dims = io.dims ?? [];
  if (dims.length === 0) return `${named}must specify 'dims'`;
  const reshape = io.reshape?.shape;
  // Without batching an empty reshape would make the tensor a scalar, which Triton does not support.
  if (io.reshape && (reshape ?? []).length === 0 && maxBatchSize === 0) {
    return `${named}cannot have empty reshape for non-batching model as scalar tensors are not supported`;
  }
  if (dims.some((dim) => dim < 1 && dim !== WILDCARD_DIM)) {
    return `${named}dimension must be integer >= 1, or ${WILDCARD_DIM} to indicate a variable-size dimension`;
  }
  if (!io.reshape) return undefined;
  const shape = reshape ?? [];
  if (shape.some((dim) => dim < 1 && dim !== WILDCARD_DIM)) {
    return `${named}reshape dimensions must be integer >= 1, or ${WILDCARD_DIM} to indicate a variable-size dimension`;
  }
  const dimsCount = elementCount(dims);
  const reshapeCount = elementCount(shape);
  // An empty reshape (a scalar) matches dims whose element count is 1.
  if (dimsCount !== reshapeCount && (reshapeCount !== 0 || dimsCount !== 1)) {
    return `${named}has different size for dims and reshape`;
  }
  if (dimsCount === -1) {
    const dimTrunks = trunkCounts(dims);
    const reshapeTrunks = trunkCounts(shape);
    if (dimTrunks.length !== reshapeTrunks.length) {
      return `${named}has different number of variable-size dimensions for dims and reshape`;
    }
    if (dimTrunks.some((count, index) => count !== reshapeTrunks[index])) return `${named}has different size for dims and reshape`;
  }
  return undefined;
}

function checkNonLinearFormat(io: ModelInput | ModelOutput, platform: string, kind: 'input' | 'output'): string | undefined {
  if (!io.is_non_linear_format_io) return undefined;
  if (platform !== TENSORRT_PLATFORM) return 'Non-linear IO format is only supported for the TensorRT platform';
  if ((io.dims ?? []).length !== 3) return `Non-linear IO format ${kind} requires 3 dims`;
  return undefined;
}

function checkInput(io: ModelInput, maxBatchSize: number, platform: string): string | undefined {
  const shapeError = checkShape(io, maxBatchSize, 'model input ');
  if (shapeError) return shapeError;
  if ((io.format === 'FORMAT_NHWC' || io.format === 'FORMAT_NCHW') && io.dims.length !== 3) return 'model input NHWC/NCHW require 3 dims';
  if (platform !== TENSORRT_PLATFORM && io.is_shape_tensor) return 'shape tensors are only supported for TensorRT platform';
  return checkNonLinearFormat(io, platform, 'input');
}

function checkOutput(io: ModelOutput, maxBatchSize: number, platform: string): string | undefined {
  const shapeError = checkShape(io, maxBatchSize, 'model output ');
  if (shapeError) return shapeError;
  if (platform !== TENSORRT_PLATFORM && io.is_shape_tensor) return 'shape tensors are only supported for TensorRT platform';
  return checkNonLinearFormat(io, platform, 'output');
}

function checkUnique(names: readonly string[], prefix: string): string | undefined {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) return `${prefix}'${name}' is declared more than once`;
    seen.add(name);
  }
  return undefined;
}

function checkBatchTensors(config: ModelConfig): string | undefined {
  const inputs = new Set((config.input ?? []).map((io) => io.name));
  const outputs = new Set((config.output ?? []).map((io) => io.name));
  for (const batchInput of config.batch_input ?? []) {
    const kind = batchInput.kind ?? 'BATCH_ELEMENT_COUNT';
    const sources = batchInput.source_input ?? [];
    if (sources.length !== 1) return `batch input kind '${kind}' expects 1 source input, got ${sources.length}`;
    if (batchInput.data_type !== 'TYPE_INT32' && batchInput.data_type !== 'TYPE_FP32') {
      return 'batch input data type must be TYPE_INT32 or TYPE_FP32';
    }
    const unknown = sources.find((source) => !inputs.has(source));
    if (unknown !== undefined) return `unknown source input name '${unknown}'`;
  }
  for (const batchOutput of config.batch_output ?? []) {
    const kind = batchOutput.kind ?? 'BATCH_SCATTER_WITH_INPUT_SHAPE';
    const sources = batchOutput.source_input ?? [];
    if (sources.length !== 1) return `batch output kind '${kind}' expects 1 source input, got ${sources.length}`;
    const unknown = sources.find((source) => !inputs.has(source));
    if (unknown !== undefined) return `unknown source input name '${unknown}'`;
    const targets = new Set<string>();
    for (const target of batchOutput.target_name ?? []) {
      if (!outputs.has(target)) return `unknown target output name '${target}'`;
      if (targets.has(target)) return `target output name '${target}' can only be specified once`;
      targets.add(target);
    }
  }
  return undefined;
}

/** Validates every declared tensor of `config`; throws INVALID_ARG naming the model. */
export function validateTensors(config: ModelConfig): void {
  const maxBatchSize = config.max_batch_size ?? 0;
  const platform = config.platform ?? '';
  const inputs = config.input ?? [];
  const outputs = config.output ?? [];
  const error =
    inputs.map((io) => checkInput(io, maxBatchSize, platform)).find((e) => e !== undefined) ??
    checkUnique(inputs.map((io) => io.name), 'model input ') ??
    outputs.map((io) => checkOutput(io, maxBatchSize, platform)).find((e) => e !== undefined) ??
    checkUnique(outputs.map((io) => io.name), 'model output ') ??
    checkBatchTensors(config);
  if (error) throw NereidError.invalidArg(`${error} for ${config.name}`);
}
