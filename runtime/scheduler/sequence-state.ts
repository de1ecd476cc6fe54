/**
 * Implicit state (`sequence_batching { state [ { input_name, output_name,
 * data_type, dims, initial_state } ] }`): the server feeds a sequence's
 * state to the model as input `input_name`, takes output `output_name` back
 * out of the result, and keeps it for that sequence's next request. Neither
 * tensor is in the config's `input` / `output` lists; the client never sends
 * the state and only sees an output it also lists in `output`.
 *
 * State belongs to a sequence, not to a batch slot, so sequences batched
 * together each get their own row. At the start of a sequence the state is
 * zeros, shaped by `initial_state.dims` when given, else by the state's dims
 * with each variable (-1) dim as 1 (Triton's rule); a batching model's state
 * has a leading batch dim of 1. Triton leaves a first state without
 * `initial_state` uninitialised; zeros are the deterministic choice.
 *
 * @example
 * ```ts
 * const states = SequenceStates.fromConfig(config);
 * let state = states.initial();                 // Map { 'ACC_IN' => zeros [1, 1] }
 * const inputs = [...request.inputs, ...state.values()];
 * // ... execute with outputs [...request.outputs, ...states.outputNames] ...
 * state = states.next(result.outputs, request.outputs); // ACC_OUT renamed to ACC_IN
 * ```
 */
import { configTypeToDataType, DATATYPES, type DataType, type NumericArray } from '../../sdk/datatypes.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { elementCount } from '../../sdk/shape.ts';
import { Tensor } from '../../sdk/tensor.ts';

/** A sequence's state: one tensor per state, keyed and named by its `input_name`. */
export type StateTensors = ReadonlyMap<string, Tensor>;

interface StateSpec {
  readonly input: string;
  readonly output: string;
  readonly datatype: DataType;
  readonly initialShape: readonly number[];
}

/** A tensor of zeros (empty strings for BYTES) with fresh storage. */
export function zeroTensor(name: string, datatype: DataType, shape: readonly number[]): Tensor {
  const count = elementCount(shape);
  if (datatype === 'BYTES') return new Tensor(name, datatype, shape, Array.from({ length: count }, () => new Uint8Array(0)));
  return new Tensor(name, datatype, shape, new DATATYPES[datatype].arrayType!(count));
}

function copyTensor(tensor: Tensor, name: string): Tensor {
  const data = tensor.datatype === 'BYTES' ? [...(tensor.data as Uint8Array[])] : (tensor.data as NumericArray).slice();
  return new Tensor(name, tensor.datatype, tensor.shape, data);
}

export class SequenceStates {
  /** The state inputs the server feeds. */
  readonly inputNames: ReadonlySet<string>;
  /** The state outputs the server asks the model for. */
  readonly outputNames: readonly string[];
  readonly #specs: readonly StateSpec[];

  private constructor(specs: StateSpec[]) {
    this.#specs = specs;
    this.inputNames = new Set(specs.map((spec) => spec.input));
    this.outputNames = specs.map((spec) => spec.output);
  }

  static fromConfig(config: ModelConfig): SequenceStates {
    const batch = (config.max_batch_size ?? 0) > 0 ? [1] : [];
    const specs = (config.sequence_batching?.state ?? []).map((state): StateSpec => {
      const dims = state.initial_state?.[0]?.dims ?? state.dims ?? [];
      return {
        input: state.input_name,
        output: state.output_name,
        datatype: configTypeToDataType(state.data_type) ?? 'FP32',
        initialShape: [...batch, ...dims.map((dim) => (dim === -1 ? 1 : dim))],
      };
    });
    return new SequenceStates(specs);
  }

  /** True when the model keeps no implicit state. */
  get empty(): boolean {
    return this.#specs.length === 0;
  }

  /** The state of a sequence that is just starting. Fresh tensors: a backend may take their buffers. */
  initial(): StateTensors {
    return new Map(this.#specs.map((spec) => [spec.input, zeroTensor(spec.input, spec.datatype, spec.initialShape)]));
  }

  /**
   * The state a request's outputs leave for the next request: each state
   * output, renamed to its input. A string names the missing output.
   * Outputs the caller also receives (`returned`) are copied: the next
   * execute may take the state's buffer, and the caller's tensor must stay whole.
   */
  next(outputs: readonly Tensor[], returned: readonly string[]): StateTensors | string {
    const state = new Map<string, Tensor>();
    for (const spec of this.#specs) {
      const tensor = outputs.find((output) => output.name === spec.output);
      if (!tensor) return spec.output;
      state.set(spec.input, returned.includes(spec.output) ? copyTensor(tensor, spec.input) : tensor.rename(spec.input));
    }
    return state;
  }

  /** True when every tensor of `state` still holds its data (a backend may have taken a buffer it was handed). */
  static intact(state: StateTensors): boolean {
    for (const tensor of state.values()) {
      if (tensor.data.length !== elementCount(tensor.shape)) return false;
    }
    return true;
  }
}
