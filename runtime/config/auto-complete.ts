/**
 * Completes a config from the model file, as Triton's ONNX Runtime backend
 * does when auto-complete is on (the default; `--strict-model-config=true`
 * or `--disable-auto-complete-config` turns it off):
 *
 * - If the config already lists inputs (or batch inputs) and outputs, Triton
 *   changes nothing.
 * - Otherwise it decides batching from the file: the model can batch when
 *   every input and output has a variable (-1) first dimension. A batchable
 *   model with `max_batch_size` 0 or absent gets the server's default max
 *   batch size (4 unless configured); a model that cannot batch but whose
 *   config asks for `max_batch_size > 0` is an error.
 * - Missing `input` / `output` lists are then filled from the file: name,
 *   TYPE_* and dims, without the first (batch) dimension when
 *   `max_batch_size > 0`; a tensor left with no dims becomes `dims: [1]`
 *   (plus an empty reshape when batching).
 *
 * Tensors that `sequence_batching` names as control inputs or implicit
 * state are the server's to feed and read, so they are never added.
 *
 * nereid also fills in `data_type` and `dims` that a listed tensor leaves
 * out, taking them from the file tensor of the same name (Triton would
 * reject such a config instead).
 */
import { dataTypeToConfigType } from '../../sdk/datatypes.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig, ModelInput, ModelOutput } from '../../sdk/model-config.ts';
import type { ModelFileSignature, ModelFileTensor } from '../backends/backend.ts';

export interface AutoCompleteOptions {
  /** `max_batch_size` given to a batchable model whose config sets none (Triton's default-max-batch-size, 4). */
  readonly defaultMaxBatchSize: number;
  /** Triton's `--strict-model-config=true`: complete nothing. */
  readonly strict: boolean;
}

/** Whether every tensor of the file has a variable first dimension, so that it can take a batch. */
function fileCanBatch(signature: ModelFileSignature): boolean {
  return [...signature.inputs, ...signature.outputs].every((t) => t.shape !== undefined && t.shape.length > 0 && t.shape[0] === -1);
}

/** Config dims for a file tensor: the file shape minus the batch dimension. Unknown rank becomes [-1]. */
function configDims(tensor: ModelFileTensor, maxBatchSize: number): { dims: number[]; scalar: boolean } {
  const shape = tensor.shape ?? [-1];
  const dims = shape.slice(maxBatchSize > 0 ? 1 : 0);
  return dims.length > 0 ? { dims, scalar: false } : { dims: [1], scalar: true };
}

function tensorFromFile(tensor: ModelFileTensor, maxBatchSize: number): ModelInput & ModelOutput {
  const { dims, scalar } = configDims(tensor, maxBatchSize);
  const io: ModelInput & ModelOutput = { name: tensor.name, data_type: dataTypeToConfigType(tensor.datatype), dims };
  // A batched scalar: dims [1] for the protocol, an empty shape for the model.
  // (Without batching an empty reshape would be invalid, so Triton leaves it out.)
  if (scalar && maxBatchSize > 0) io.reshape = { shape: [] };
  return io;
}

/** Fills `data_type` and `dims` a listed tensor leaves out from the file tensor of the same name. */
function completeListed<T extends ModelInput | ModelOutput>(listed: T[] | undefined, file: readonly ModelFileTensor[], maxBatchSize: number): void {
  for (const io of listed ?? []) {
    const tensor = file.find((t) => t.name === io.name);
    if (!tensor) continue;
    if (!io.data_type || io.data_type === 'TYPE_INVALID') io.data_type = dataTypeToConfigType(tensor.datatype);
    if (!io.dims?.length && !io.reshape) {
      const { dims, scalar } = configDims(tensor, maxBatchSize);
      io.dims = dims;
      if (scalar && maxBatchSize > 0) io.reshape = { shape: [] };
    }
  }
}

/** The sequence batcher's control inputs and state inputs and outputs: tensors of the model file that the config does not list. */
function implicitTensorNames(config: ModelConfig): Set<string> {
  const batching = config.sequence_batching;
  const names = new Set<string>();
  for (const control of batching?.control_input ?? []) names.add(control.name);
  for (const state of batching?.state ?? []) names.add(state.input_name).add(state.output_name);
  return names;
}

/**
 * Returns `config` completed from the model file `signature` (a copy; the
 * input is not modified). With `strict` it returns an unchanged copy.
 *
 * @example
 * ```ts
 * const completed = autoCompleteConfig({ name: 'm' }, signature, { defaultMaxBatchSize: 4, strict: false });
 * // file inputs [-1, 16] -> max_batch_size 4, input dims [16]
 * ```
 */
export function autoCompleteConfig(config: ModelConfig, signature: ModelFileSignature, options: AutoCompleteOptions): ModelConfig {
  const completed = structuredClone(config);
  if (options.strict) return completed;
  const inputCount = (completed.input?.length ?? 0) + (completed.batch_input?.length ?? 0);
  const outputCount = completed.output?.length ?? 0;
  if (inputCount === 0 || outputCount === 0) {
    if (fileCanBatch(signature)) {
      if (!completed.max_batch_size) completed.max_batch_size = Math.max(options.defaultMaxBatchSize, 0);
    } else if (completed.max_batch_size) {
      throw NereidError.invalidArg(
        `autofill failed for model '${completed.name}': model does not support batching while non-zero max_batch_size is specified`,
      );
    }
    const maxBatchSize = completed.max_batch_size ?? 0;
    // Sequence control and state tensors are fed by the server, not listed as the model's inputs and outputs.
    const implicit = implicitTensorNames(completed);
    if (inputCount === 0) completed.input = signature.inputs.filter((t) => !implicit.has(t.name)).map((t) => tensorFromFile(t, maxBatchSize));
    if (outputCount === 0) completed.output = signature.outputs.filter((t) => !implicit.has(t.name)).map((t) => tensorFromFile(t, maxBatchSize));
  }
  const maxBatchSize = completed.max_batch_size ?? 0;
  completeListed(completed.input, signature.inputs, maxBatchSize);
  completeListed(completed.output, signature.outputs, maxBatchSize);
  // As Triton's ONNX Runtime backend: a model that batches gets the dynamic batcher unless a scheduler is chosen.
  if (maxBatchSize > 1 && !completed.dynamic_batching && !completed.sequence_batching && !completed.ensemble_scheduling) {
    completed.dynamic_batching = {};
  }
  return completed;
}
