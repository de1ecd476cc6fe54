/**
 * A model.ts builds its outputs itself, so nothing else holds them to its
 * config (an ONNX model's outputs come from a graph checked at load). This
 * checks each output a response carries: declared in the config (an output,
 * or the output of an implicit state), of the declared datatype, and of the
 * declared shape (`-1` matches any size; with
 * `max_batch_size` > 0 the first dimension is the request's batch size; a
 * `reshape` is the shape the model produces). A model whose config declares
 * no outputs is not checked.
 *
 * @example
 * ```ts
 * const check = new OutputCheck(config);
 * check.problem(tensor, 1); // "output 'Y' is INT32, but the config declares TYPE_FP32"
 * ```
 */
import { configTypeToDataType, type DataType } from '../../../sdk/datatypes.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';
import { formatShape } from '../../../sdk/shape.ts';
import type { Tensor } from '../../../sdk/tensor.ts';

interface Declared {
  readonly datatype: DataType | undefined;
  readonly configType: string;
  /** The shape the model produces, without the batch dimension. */
  readonly dims: readonly number[];
}

export class OutputCheck {
  readonly #declared = new Map<string, Declared>();
  readonly #batched: boolean;

  constructor(config: ModelConfig) {
    this.#batched = (config.max_batch_size ?? 0) > 0;
    for (const output of config.output ?? []) {
      this.#declared.set(output.name, { datatype: configTypeToDataType(output.data_type), configType: output.data_type, dims: output.reshape?.shape ?? output.dims });
    }
    // Implicit state (sequence batching) comes back as an output too.
    for (const state of config.sequence_batching?.state ?? []) {
      this.#declared.set(state.output_name, { datatype: configTypeToDataType(state.data_type), configType: state.data_type, dims: state.dims });
    }
  }

  /** What is wrong with `tensor` as an output of a request of `batchSize`; undefined when nothing is. */
  problem(tensor: Tensor, batchSize: number): string | undefined {
    if (this.#declared.size === 0) return undefined;
    const declared = this.#declared.get(tensor.name);
    if (!declared) return `output '${tensor.name}' is not in the config (it declares ${[...this.#declared.keys()].map((name) => `'${name}'`).join(', ')})`;
    if (declared.datatype !== undefined && tensor.datatype !== declared.datatype) {
      return `output '${tensor.name}' is ${tensor.datatype}, but the config declares ${declared.configType}`;
    }
    const expected = this.#batched ? [batchSize, ...declared.dims] : declared.dims;
    const fits = tensor.shape.length === expected.length && expected.every((size, i) => size === -1 || size === tensor.shape[i]);
    return fits ? undefined : `output '${tensor.name}' has shape ${formatShape(tensor.shape)}, but the config expects ${formatShape(expected)}${this.#batched ? ' (the request\'s batch size first)' : ''}`;
  }
}
