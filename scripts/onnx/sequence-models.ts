/**
 * Stateful models for Triton's sequence batcher, built like the reference
 * models (reference-models.ts): the graph, its config-level signature, and
 * the `sequence_batching` block its config.pbtxt needs.
 *
 * @example
 * ```ts
 * const model = accumulateModel();
 * renderConfig({ name: 'accumulate', model, maxBatchSize: 8, extra: model.sequenceBatching });
 * ```
 */
import { GraphBuilder } from './graph-builder.ts';
import type { BuiltModel } from './reference-models.ts';

/** A built model plus the pbtxt `sequence_batching { ... }` block that drives it. */
export interface SequenceModel extends BuiltModel {
  readonly sequenceBatching: string;
}

export interface AccumulateOptions {
  /** `direct` (default) or `oldest`. */
  strategy?: 'direct' | 'oldest';
  /** max_sequence_idle_microseconds; omitted: Triton's default (1 s). */
  idleMicroseconds?: number;
  /** False: no batch dim (a config with max_batch_size 0, one sequence per instance at a time). Default true. */
  batch?: boolean;
}

/**
 * A running sum per sequence: OUTPUT = (START ? 0 : ACC_IN) + INPUT, and
 * ACC_OUT = OUTPUT, all INT32 [batch, 1] (or [1] with `batch: false`).
 *
 * - START is the CONTROL_SEQUENCE_START control input (int32 0/1), filled by
 *   the server: the model resets its sum when a sequence starts;
 * - ACC_IN / ACC_OUT are implicit state: the server feeds each sequence's
 *   last ACC_OUT back as its next ACC_IN (zeros at the start), row by row,
 *   so sequences batched together keep separate sums.
 *
 * Only INPUT and OUTPUT are the client's; the config lists no other tensor.
 */
export function accumulateModel(options: AccumulateOptions = {}): SequenceModel {
  const g = new GraphBuilder('accumulate');
  const batch = options.batch ?? true;
  const shape = batch ? ['batch', 1] : [1];
  const input = g.input('INPUT', 'INT32', shape);
  const start = g.input('START', 'INT32', shape);
  const previous = g.input('ACC_IN', 'INT32', shape);
  const one = g.initializer('one', 'INT32', [1], Int32Array.of(1));
  const keep = g.op('Sub', [one, start], { name: 'keep' });
  const carried = g.op('Mul', [previous, keep], { name: 'carried' });
  const sum = g.op('Add', [carried, input], { name: 'sum' });
  g.output(g.op('Identity', [sum], { outputs: ['OUTPUT'] }), 'INT32', shape);
  g.output(g.op('Identity', [sum], { outputs: ['ACC_OUT'] }), 'INT32', shape);
  const strategy = options.strategy ?? 'direct';
  const lines = [
    'sequence_batching {',
    ...(options.idleMicroseconds !== undefined ? [`  max_sequence_idle_microseconds: ${options.idleMicroseconds}`] : []),
    `  ${strategy} { }`,
    '  control_input [',
    '    {',
    '      name: "START"',
    '      control [ { kind: CONTROL_SEQUENCE_START int32_false_true: [ 0, 1 ] } ]',
    '    }',
    '  ]',
    '  state [',
    '    {',
    '      input_name: "ACC_IN"',
    '      output_name: "ACC_OUT"',
    '      data_type: TYPE_INT32',
    '      dims: [ 1 ]',
    '    }',
    '  ]',
    '}',
  ];
  return {
    onnx: g.toModelBytes({ docString: 'nereid example: a running sum per sequence, through implicit state' }),
    batch,
    inputs: [{ name: 'INPUT', datatype: 'INT32', dims: [1] }],
    outputs: [{ name: 'OUTPUT', datatype: 'INT32', dims: [1] }],
    sequenceBatching: lines.join('\n'),
  };
}
