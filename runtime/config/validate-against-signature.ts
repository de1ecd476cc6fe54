/**
 * Checks that a completed config agrees with what the model file declares,
 * as Triton's ONNX Runtime backend does when it creates an instance: the
 * number of inputs, every configured tensor present in the file, equal
 * datatypes, and compatible shapes (a batching config needs a variable
 * first dimension in the file; a variable file dimension accepts any
 * configured size for inputs, while outputs must match exactly), and the
 * sequence batcher's control and state tensors present with their types.
 * Messages follow that backend's wording and name model, tensor, expected
 * and found.
 */
import { dataTypeToConfigType } from '../../sdk/datatypes.ts';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig, ModelInput, ModelOutput, SequenceControl } from '../../sdk/model-config.ts';
import type { ModelFileSignature, ModelFileTensor } from '../backends/backend.ts';

function fail(message: string): never {
  throw NereidError.invalidArg(message);
}

/** Triton's shape notation: `[-1,16]`. */
function shapeText(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/** Inputs the server feeds besides the configured ones: one per sequence control tensor and one per implicit state. */
function implicitInputCount(config: ModelConfig): number {
  const batching = config.sequence_batching;
  if (!batching) return 0;
  return (batching.control_input ?? []).length + (batching.state ?? []).length;
}

/** The data type a control tensor carries: from its false/true list, or CORRID's `data_type`. */
function controlDataType(control: SequenceControl): string {
  if (control.int32_false_true?.length) return 'TYPE_INT32';
  if (control.fp32_false_true?.length) return 'TYPE_FP32';
  if (control.bool_false_true?.length) return 'TYPE_BOOL';
  return control.data_type ?? 'TYPE_INVALID';
}

/**
 * The sequence control and state tensors must be in the file, as the
 * ONNX Runtime backend checks: controls with one element per batch row
 * ([1] after the batch dim) and the configured data type, states with
 * their data type.
 */
function checkSequenceTensors(config: ModelConfig, signature: ModelFileSignature): void {
  const batching = config.sequence_batching;
  if (!batching) return;
  const model = config.name;
  const inputs = new Map(signature.inputs.map((t) => [t.name, t]));
  const outputs = new Map(signature.outputs.map((t) => [t.name, t]));
  for (const controlInput of batching.control_input ?? []) {
    const name = controlInput.name;
    const file = inputs.get(name);
    if (!file) fail(`configuration specified sequence control '${name}', but model does not provide that input`);
    const dims = file.shape?.slice((config.max_batch_size ?? 0) > 0 ? 1 : 0);
    if (dims && (dims.length !== 1 || (dims[0] !== 1 && dims[0] !== -1))) {
      fail(`unable to load model '${model}', sequence control '${name}' in model has dims ${shapeText(dims)} but dims [1] is expected`);
    }
    const expected = controlDataType(controlInput.control?.[0] ?? { kind: 'CONTROL_SEQUENCE_START' });
    const provided = dataTypeToConfigType(file.datatype);
    if (provided !== expected) {
      fail(`unable to load model '${model}', sequence control '${name}', the model expects data-type ${provided} but the model configuration specifies data-type ${expected}`);
    }
  }
  for (const state of batching.state ?? []) {
    for (const [name, tensors, direction] of [[state.input_name, inputs, 'input'], [state.output_name, outputs, 'output']] as const) {
      const file = tensors.get(name);
      if (!file) fail(`configuration specified state ${direction} '${name}', but model does not provide that ${direction}`);
      const provided = dataTypeToConfigType(file.datatype);
      if (provided !== state.data_type) {
        fail(`unable to load model '${model}', configuration expects datatype ${state.data_type} for state ${direction} '${name}', model provides ${provided}`);
      }
    }
  }
}

function compareDims(model: string, tensor: string, fileShape: readonly number[], dims: readonly number[], maxBatchSize: number, exact: boolean): void {
  const matches = (expected: readonly number[]): boolean =>
    fileShape.length === expected.length && fileShape.every((dim, i) => (!exact && dim === -1) || dim === expected[i]);
  const prefix = `model '${model}', tensor '${tensor}'`;
  if (maxBatchSize > 0) {
    if (fileShape.length === 0 || fileShape[0] !== -1) {
      fail(
        `${prefix}: for the model to support batching the shape should have at least 1 dimension and the first dimension must be -1; but shape expected by the model is ${shapeText(fileShape)}`,
      );
    }
    const full = [-1, ...dims];
    if (!matches(full)) {
      fail(
        `${prefix}: the model expects ${fileShape.length} dimensions (shape ${shapeText(fileShape)}) but the model configuration specifies ${full.length} dimensions (an initial batch dimension because max_batch_size > 0 followed by the explicit tensor shape, making complete shape ${shapeText(full)})`,
      );
    }
  } else if (!matches(dims)) {
    fail(
      `${prefix}: the model expects ${fileShape.length} dimensions (shape ${shapeText(fileShape)}) but the model configuration specifies ${dims.length} dimensions (shape ${shapeText(dims)})`,
    );
  }
}

function checkTensor(
  config: ModelConfig,
  io: ModelInput | ModelOutput,
  file: ModelFileTensor,
  direction: 'input' | 'output',
): void {
  const model = config.name;
  const expectedType = dataTypeToConfigType(file.datatype);
  if (io.data_type !== expectedType) {
    // Triton's ONNX backend names the file's type as TYPE_<wire name> (so BYTES shows as TYPE_BYTES).
    fail(`unable to load model '${model}', configuration expects datatype ${io.data_type} for ${direction} '${io.name}', model provides TYPE_${file.datatype}`);
  }
  if (file.shape === undefined) return;
  const dims = io.reshape ? (io.reshape.shape ?? []) : (io.dims ?? []);
  const input = direction === 'input' ? (io as ModelInput) : undefined;
  if (input?.allow_ragged_batch) {
    if (input.optional) {
      fail(`unable to load model '${model}', configuration expects model provides input with shape [-1] for ragged input '${io.name}', which is not supported for optional input`);
    }
    // Ragged inputs are concatenated into one flat tensor, so the model must take [-1].
    if (file.shape.length !== 1 || file.shape[0] !== -1) {
      fail(`unable to load model '${model}', configuration expects model provides input with shape [-1] for ragged input '${io.name}', model provides ${shapeText(file.shape)}`);
    }
    return;
  }
  if (file.shape.length > 0) {
    compareDims(model, io.name, file.shape, dims, config.max_batch_size ?? 0, direction === 'output');
    return;
  }
  // A scalar in the file can only be configured as dims of 1.
  if (dims.some((dim) => dim !== 1)) {
    fail(
      `unable to load model '${model}', scalar tensor '${io.name}', should only provide 1 in the model configuration when the model doesn't support batching. Model configuration provided: ${shapeText(dims)}.`,
    );
  }
}

/**
 * Throws NereidError INVALID_ARG when `config` does not fit the model file.
 *
 * @example
 * ```ts
 * validateAgainstSignature(config, await backend.readSignature(modelPath, config, log));
 * // e.g. "unable to load model 'simple', configuration expects datatype TYPE_FP32 for input 'INPUT0', model provides TYPE_INT32"
 * ```
 */
export function validateAgainstSignature(config: ModelConfig, signature: ModelFileSignature): void {
  const model = config.name;
  const inputs = config.input ?? [];
  const expectedInputs = inputs.length + (config.batch_input ?? []).length + implicitInputCount(config);
  if (signature.inputs.length !== expectedInputs) {
    fail(`unable to load model '${model}', configuration expects ${expectedInputs} inputs, model provides ${signature.inputs.length}`);
  }
  checkSequenceTensors(config, signature);
  const fileInputs = new Map(signature.inputs.map((t) => [t.name, t]));
  for (const io of inputs) {
    const file = fileInputs.get(io.name);
    if (!file) fail(`unexpected inference input '${io.name}', allowed inputs are: ${[...fileInputs.keys()].sort().join(', ')}`);
    checkTensor(config, io, file, 'input');
  }
  const fileOutputs = new Map(signature.outputs.map((t) => [t.name, t]));
  const batchOutputs = new Set((config.batch_output ?? []).flatMap((b) => b.target_name ?? []));
  for (const io of config.output ?? []) {
    const file = fileOutputs.get(io.name);
    if (!file) fail(`unexpected inference output '${io.name}', allowed outputs are: ${[...fileOutputs.keys()].sort().join(', ')}`);
    // A batch output's shape is decided per batch, so it need not match the file.
    if (batchOutputs.has(io.name)) {
      checkTensor(config, io, { ...file, shape: undefined }, 'output');
      continue;
    }
    checkTensor(config, io, file, 'output');
  }
}
