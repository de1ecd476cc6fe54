/**
 * Writes the Triton `config.pbtxt` that describes a model built by
 * reference-models.ts, from the same signature the graph was built from, so
 * the config and the `.onnx` file cannot drift apart.
 *
 * The layout imitates the configs in Triton's own examples (one field per
 * line, two-space indent), because these files are what users read first.
 *
 * @example
 * ```ts
 * renderConfig({ name: 'simple', model: addSubModel(...), maxBatchSize: 8,
 *                comment: 'Add/sub example', instanceGroup: { count: 1, kind: 'KIND_CPU' } });
 * ```
 */
import { dataTypeToConfigType } from '../../sdk/datatypes.ts';
import type { InstanceGroupKind } from '../../sdk/model-config.ts';
import type { BuiltModel, TensorSignature } from './reference-models.ts';

export interface ConfigTextOptions {
  /** Omit to let the server take the name from the model's directory, as Triton does. */
  name?: string;
  model: Pick<BuiltModel, 'batch' | 'inputs' | 'outputs'>;
  /** Must be > 0 for a batching model and 0 (the default then) for one without a batch dim. */
  maxBatchSize?: number;
  /** Written as `#` lines at the top; may span several lines. */
  comment?: string;
  instanceGroup?: { count: number; kind: InstanceGroupKind };
  /** Extra pbtxt appended verbatim (dynamic_batching { }, parameters, ...). */
  extra?: string;
}

function quote(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

function tensorBlock(tensor: TensorSignature): string {
  return [
    '  {',
    `    name: ${quote(tensor.name)}`,
    `    data_type: ${dataTypeToConfigType(tensor.datatype)}`,
    `    dims: [ ${tensor.dims.join(', ')} ]`,
    '  }',
  ].join('\n');
}

function tensorList(field: 'input' | 'output', tensors: readonly TensorSignature[]): string {
  return `${field} [\n${tensors.map(tensorBlock).join(',\n')}\n]`;
}

/** The config.pbtxt text, ending in a newline. */
export function renderConfig(options: ConfigTextOptions): string {
  const { name, model, comment, instanceGroup, extra } = options;
  const maxBatchSize = options.maxBatchSize ?? (model.batch ? 8 : 0);
  if (model.batch !== maxBatchSize > 0) {
    throw new Error(
      `renderConfig(${name ?? 'unnamed'}): max_batch_size ${maxBatchSize} does not fit a model ` +
        (model.batch ? 'with a batch dim (needs > 0)' : 'without a batch dim (needs 0)'),
    );
  }
  const lines: string[] = [];
  if (comment) lines.push(...comment.trimEnd().split('\n').map((line) => (line ? `# ${line}` : '#')), '');
  if (name !== undefined) lines.push(`name: ${quote(name)}`);
  lines.push('platform: "onnxruntime_onnx"', `max_batch_size: ${maxBatchSize}`);
  lines.push(tensorList('input', model.inputs), tensorList('output', model.outputs));
  if (instanceGroup) {
    lines.push(`instance_group [\n  {\n    count: ${instanceGroup.count}\n    kind: ${instanceGroup.kind}\n  }\n]`);
  }
  if (extra) lines.push(extra.trimEnd());
  return `${lines.join('\n')}\n`;
}
