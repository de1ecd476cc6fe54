/**
 * KServe v2 model metadata from a completed config: served versions,
 * platform (falling back to the backend name, as Triton does), and tensors
 * with the -1 batch dimension in front when the model batches.
 */
import type { ModelConfig, ModelInput, ModelOutput } from '../../sdk/model-config.ts';
import { wireDatatype } from './model-version.ts';
import type { ModelMetadata, TensorMetadata } from './server-api.ts';

export function describeModel(config: ModelConfig, versions: readonly number[]): ModelMetadata {
  const batched = (config.max_batch_size ?? 0) > 0;
  const describe = (tensor: ModelInput | ModelOutput, kind: string): TensorMetadata => ({
    name: tensor.name,
    datatype: wireDatatype(tensor.data_type, `${kind} '${tensor.name}' of model '${config.name}'`),
    shape: batched ? [-1, ...tensor.dims] : [...tensor.dims],
  });
  return {
    name: config.name,
    versions: versions.map(String),
    platform: config.platform || config.backend || '',
    inputs: (config.input ?? []).map((input) => describe(input, 'input')),
    outputs: (config.output ?? []).map((output) => describe(output, 'output')),
  };
}
