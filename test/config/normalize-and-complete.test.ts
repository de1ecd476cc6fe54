/**
 * Properties of normalizeConfig and autoCompleteConfig that golden files
 * cannot show: purity, idempotence and the context options.
 */
import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../sdk/model-config.ts';
import type { ModelFileSignature } from '../../runtime/backends/backend.ts';
import { autoCompleteConfig } from '../../runtime/config/auto-complete.ts';
import { normalizeConfig } from '../../runtime/config/normalize-config.ts';

const RAW: ModelConfig = {
  name: 'm',
  platform: 'onnxruntime_onnx',
  max_batch_size: 4,
  input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }],
  output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [3] }],
  dynamic_batching: {},
};

const SIGNATURE: ModelFileSignature = {
  inputs: [{ name: 'X', datatype: 'FP32', shape: [-1, 3] }],
  outputs: [{ name: 'Y', datatype: 'FP32', shape: [-1, 3] }],
};

describe('normalizeConfig', () => {
  it('does not modify its input and is idempotent', () => {
    const raw = structuredClone(RAW);
    const once = normalizeConfig(raw, { modelName: 'm', gpuAvailable: false });
    expect(raw).toEqual(RAW);
    expect(normalizeConfig(once, { modelName: 'm', gpuAvailable: false })).toStrictEqual(once);
  });

  it('takes the name from the directory when the config has none', () => {
    expect(normalizeConfig({ ...RAW, name: '' }, { modelName: 'dir', gpuAvailable: false }).name).toBe('dir');
  });

  it('uses defaultInstanceCount instead of the per-backend rule', () => {
    const config = normalizeConfig(RAW, { modelName: 'm', gpuAvailable: false, defaultInstanceCount: 3 });
    expect(config.instance_group?.map((g) => g.count)).toEqual([3]);
  });

  it('gives CPU groups of other backends one instance', () => {
    const config = normalizeConfig({ ...RAW, platform: '', backend: 'typescript' }, { modelName: 'm', gpuAvailable: false });
    expect(config.instance_group?.map((g) => [g.kind, g.count])).toEqual([['KIND_CPU', 1]]);
  });

  it('fills default_model_filename from the context when the backend is not in Triton\'s table', () => {
    const config = normalizeConfig({ ...RAW, platform: '', backend: 'typescript' }, { modelName: 'm', gpuAvailable: false, defaultModelFilename: 'model.ts' });
    expect(config.default_model_filename).toBe('model.ts');
  });

  it('leaves ensembles without instance groups or optimization', () => {
    const config = normalizeConfig(
      { name: 'e', platform: 'ensemble', ensemble_scheduling: { step: [] } },
      { modelName: 'e', gpuAvailable: true },
    );
    expect(config.instance_group).toEqual([]);
    expect(config).not.toHaveProperty('optimization');
  });
});

describe('autoCompleteConfig', () => {
  it('does not modify its input', () => {
    const raw: ModelConfig = { name: 'm' };
    const completed = autoCompleteConfig(raw, SIGNATURE, { defaultMaxBatchSize: 4, strict: false });
    expect(raw).toEqual({ name: 'm' });
    expect(completed).toEqual({
      name: 'm',
      max_batch_size: 4,
      input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }],
      output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [3] }],
      dynamic_batching: {},
    });
  });

  it('adds dynamic_batching {} to a model that batches beyond 1 and has no scheduler, as Triton does', () => {
    const complete = (config: ModelConfig, defaultMaxBatchSize = 8) => autoCompleteConfig(config, SIGNATURE, { defaultMaxBatchSize, strict: false });
    expect(complete({ name: 'm' }).dynamic_batching).toEqual({});
    expect(complete({ name: 'm' }, 1)).not.toHaveProperty('dynamic_batching');
    expect(complete({ name: 'm', max_batch_size: 0 }, 0)).not.toHaveProperty('dynamic_batching');
    expect(complete({ name: 'm', sequence_batching: {} })).not.toHaveProperty('dynamic_batching');
    expect(complete({ name: 'm', dynamic_batching: { max_queue_delay_microseconds: 100 } }).dynamic_batching).toEqual({ max_queue_delay_microseconds: 100 });
  });

  it('completes nothing when strict', () => {
    expect(autoCompleteConfig({ name: 'm' }, SIGNATURE, { defaultMaxBatchSize: 4, strict: true })).toEqual({ name: 'm' });
  });

  it('treats a file tensor of unknown rank as variable and not batchable', () => {
    const signature: ModelFileSignature = { inputs: [{ name: 'X', datatype: 'INT64', shape: undefined }], outputs: [{ name: 'Y', datatype: 'BOOL', shape: [-1] }] };
    expect(autoCompleteConfig({ name: 'm' }, signature, { defaultMaxBatchSize: 4, strict: false })).toEqual({
      name: 'm',
      input: [{ name: 'X', data_type: 'TYPE_INT64', dims: [-1] }],
      output: [{ name: 'Y', data_type: 'TYPE_BOOL', dims: [-1] }],
    });
  });

  it('fills only the missing list when the other is given', () => {
    const completed = autoCompleteConfig(
      { name: 'm', output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [3] }] },
      SIGNATURE,
      { defaultMaxBatchSize: 4, strict: false },
    );
    expect(completed.input).toEqual([{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }]);
    expect(completed.output).toEqual([{ name: 'Y', data_type: 'TYPE_FP32', dims: [3] }]);
    expect(completed.max_batch_size).toBe(4);
  });

  it('leaves a config that lists inputs and outputs alone, max_batch_size included', () => {
    const raw: ModelConfig = { name: 'm', input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [3] }], output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [3] }] };
    expect(autoCompleteConfig(raw, SIGNATURE, { defaultMaxBatchSize: 4, strict: false })).toEqual(raw);
  });
});
