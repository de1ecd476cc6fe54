/**
 * The control tensors a sequence model asks for in `sequence_batching {
 * control_input [...] }`, built per request as Triton's sequence batcher
 * builds them:
 *
 * - CONTROL_SEQUENCE_START / _END: the true value on the first / last
 *   request of the sequence, else the false value;
 * - CONTROL_SEQUENCE_READY: true for a request, false for the filler rows
 *   the direct strategy puts in empty slots (the model must ignore them);
 * - CONTROL_SEQUENCE_CORRID: the correlation id in the configured data type
 *   (32-bit types keep the low 32 bits; a string id in a numeric tensor and
 *   a filler row read 0; a uint64 id in a STRING tensor reads as its digits).
 *
 * Each tensor has shape [1] per request, [1, 1] when the model batches
 * (max_batch_size > 0), so a batch of B requests feeds [B, 1].
 * Config validation (validate-scheduling.ts) has already checked the lists.
 *
 * @example
 * ```ts
 * const controls = SequenceControls.fromConfig(config);
 * controls.tensors({ start: true, end: false, ready: true, id: 42n }); // [START [1,1] = 1, ...]
 * ```
 */
import type { DataType } from '../../sdk/datatypes.ts';
import { configTypeToDataType } from '../../sdk/datatypes.ts';
import type { ModelConfig, SequenceControl } from '../../sdk/model-config.ts';
import { Tensor } from '../../sdk/tensor.ts';
import type { CorrelationId } from './sequence-request.ts';

/** What a row of a batch tells the model through its control tensors. */
export interface ControlValues {
  readonly start: boolean;
  readonly end: boolean;
  readonly ready: boolean;
  /** Undefined for a filler row. */
  readonly id: CorrelationId | undefined;
}

interface BooleanControl {
  readonly name: string;
  readonly kind: 'CONTROL_SEQUENCE_START' | 'CONTROL_SEQUENCE_END' | 'CONTROL_SEQUENCE_READY';
  readonly datatype: 'INT32' | 'FP32' | 'BOOL';
  readonly values: readonly [number, number];
}

interface CorridControl {
  readonly name: string;
  readonly datatype: DataType;
}

function booleanControl(name: string, control: SequenceControl): BooleanControl {
  const kind = control.kind as BooleanControl['kind'];
  if (control.int32_false_true?.length) return { name, kind, datatype: 'INT32', values: [control.int32_false_true[0]!, control.int32_false_true[1]!] };
  if (control.fp32_false_true?.length) return { name, kind, datatype: 'FP32', values: [control.fp32_false_true[0]!, control.fp32_false_true[1]!] };
  const [no, yes] = control.bool_false_true ?? [false, true];
  return { name, kind, datatype: 'BOOL', values: [no ? 1 : 0, yes ? 1 : 0] };
}

function scalarTensor(name: string, datatype: DataType, shape: readonly number[], value: number | bigint | string): Tensor {
  switch (datatype) {
    case 'BYTES':
      return Tensor.fromStrings(name, shape, [String(value)]);
    case 'UINT64':
      return new Tensor(name, datatype, shape, BigUint64Array.of(BigInt.asUintN(64, BigInt(value))));
    case 'INT64':
      return new Tensor(name, datatype, shape, BigInt64Array.of(BigInt.asIntN(64, BigInt(value))));
    case 'UINT32':
      return new Tensor(name, datatype, shape, Uint32Array.of(Number(BigInt.asUintN(32, BigInt(value)))));
    case 'INT32':
      return new Tensor(name, datatype, shape, Int32Array.of(typeof value === 'number' ? value : Number(BigInt.asIntN(32, BigInt(value)))));
    case 'FP32':
      return new Tensor(name, datatype, shape, Float32Array.of(Number(value)));
    default:
      return new Tensor(name, 'BOOL', shape, Uint8Array.of(Number(value)));
  }
}

export class SequenceControls {
  /** Names of every control input, which the config's `input` list does not name. */
  readonly names: ReadonlySet<string>;
  readonly #booleans: readonly BooleanControl[];
  readonly #corrid: CorridControl | undefined;
  readonly #shape: readonly number[];

  private constructor(booleans: BooleanControl[], corrid: CorridControl | undefined, batching: boolean) {
    this.#booleans = booleans;
    this.#corrid = corrid;
    this.#shape = batching ? [1, 1] : [1];
    this.names = new Set([...booleans.map((control) => control.name), ...(corrid ? [corrid.name] : [])]);
  }

  static fromConfig(config: ModelConfig): SequenceControls {
    const booleans: BooleanControl[] = [];
    let corrid: CorridControl | undefined;
    for (const input of config.sequence_batching?.control_input ?? []) {
      for (const control of input.control ?? []) {
        const kind = control.kind ?? 'CONTROL_SEQUENCE_START';
        if (kind === 'CONTROL_SEQUENCE_CORRID') {
          corrid = { name: input.name, datatype: configTypeToDataType(control.data_type ?? 'TYPE_UINT64') ?? 'UINT64' };
        } else {
          booleans.push(booleanControl(input.name, { ...control, kind }));
        }
      }
    }
    return new SequenceControls(booleans, corrid, (config.max_batch_size ?? 0) > 0);
  }

  /**
   * The control tensors for one row. Every call builds fresh arrays: a backend
   * may take an input's buffer (wire-tensors.ts), so none can be shared.
   */
  tensors(values: ControlValues): Tensor[] {
    const tensors = this.#booleans.map((control) => {
      const on = control.kind === 'CONTROL_SEQUENCE_START' ? values.start : control.kind === 'CONTROL_SEQUENCE_END' ? values.end : values.ready;
      return scalarTensor(control.name, control.datatype, this.#shape, control.values[on ? 1 : 0]);
    });
    const corrid = this.#corrid;
    if (corrid) {
      const id = values.id;
      const value = corrid.datatype === 'BYTES' ? (id === undefined ? '' : String(id)) : typeof id === 'bigint' ? id : 0;
      tensors.push(scalarTensor(corrid.name, corrid.datatype, this.#shape, value));
    }
    return tensors;
  }
}
