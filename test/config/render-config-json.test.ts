import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { normalizeConfig } from '../../runtime/config/normalize-config.ts';
import { parseModelConfigText } from '../../runtime/config/pbtxt/pbtxt-parser.ts';
import { renderConfigJson, renderConfigJsonText } from '../../runtime/config/render-config-json.ts';

describe('renderConfigJson', () => {
  it('prints every primitive field of ModelConfig with its default, in declaration order', () => {
    expect(renderConfigJsonText({ name: 'm' })).toBe(
      '{"name":"m","platform":"","backend":"","runtime":"","max_batch_size":0,"input":[],"output":[],"batch_input":[],"batch_output":[],' +
        '"instance_group":[],"default_model_filename":"","cc_model_filenames":{},"metric_tags":{},"parameters":{},"model_warmup":[]}',
    );
  });

  it('prints a present sub-message in full but leaves unset sub-messages and oneof members out', () => {
    const config = parseModelConfigText(
      'name: "m" sequence_batching { state { input_name: "in" initial_state { name: "s" zero_data: true } } }',
      'config.pbtxt',
    );
    expect(renderConfigJson(config).sequence_batching).toEqual({
      max_sequence_idle_microseconds: 0,
      control_input: [],
      state: [
        {
          input_name: 'in',
          output_name: '',
          data_type: 'TYPE_INVALID',
          dims: [],
          initial_state: [{ data_type: 'TYPE_INVALID', dims: [], zero_data: true, name: 's' }],
          use_same_buffer_for_input_output: false,
          use_growable_memory: false,
        },
      ],
      iterative_sequence: false,
    });
  });

  it('fills the defaults of message values inside maps and lists', () => {
    const config = parseModelConfigText(
      'name: "m" model_warmup { name: "w" inputs { key: "X" value { dims: [ 2 ] random_data: true } } } parameters { key: "p" }',
      'config.pbtxt',
    );
    const rendered = renderConfigJson(config);
    expect(rendered.model_warmup).toEqual([
      { name: 'w', batch_size: 0, inputs: { X: { data_type: 'TYPE_INVALID', dims: [2], random_data: true } }, count: 0 },
    ]);
    expect(rendered.parameters).toEqual({ p: { string_value: '' } });
  });

  it('renders 64-bit integers as numbers and non-finite floats as protobuf does', () => {
    const config: ModelConfig = {
      name: 'm',
      instance_group: [{ secondary_devices: [{ device_id: 3 }] }],
      model_metrics: { metric_control: [{ histogram_options: { buckets: [NaN, Infinity, -Infinity, 0.5] } }] },
    };
    const text = renderConfigJsonText(config);
    expect(text).toContain('"secondary_devices":[{"kind":"KIND_NVDLA","device_id":3}]');
    expect(text).toContain('"buckets":["NaN","Infinity","-Infinity",0.5]');
  });

  it('drops keys that are not proto fields', () => {
    const config = { name: 'm', extra: 1 } as unknown as ModelConfig;
    expect(renderConfigJson(config)).not.toHaveProperty('extra');
  });

  it('prints the dynamic batcher as Triton does after normalisation', () => {
    const config = normalizeConfig(
      parseModelConfigText(
        'name: "m" platform: "onnxruntime_onnx" max_batch_size: 4 input { name: "X" data_type: TYPE_FP32 dims: [ 3, -1, -1 ] } output { name: "Y" data_type: TYPE_FP32 dims: 10 } dynamic_batching { }',
        'config.pbtxt',
      ),
      { modelName: 'm', gpuAvailable: false },
    );
    // Shape of Triton's /config for an auto-completed ONNX model (dynamic_batching {} plus max_batch_size 4).
    expect(renderConfigJsonText(config)).toBe(
      '{"name":"m","platform":"onnxruntime_onnx","backend":"onnxruntime","runtime":"","version_policy":{"latest":{"num_versions":1}},"max_batch_size":4,' +
        '"input":[{"name":"X","data_type":"TYPE_FP32","format":"FORMAT_NONE","dims":[3,-1,-1],"is_shape_tensor":false,"allow_ragged_batch":false,"optional":false,"is_non_linear_format_io":false}],' +
        '"output":[{"name":"Y","data_type":"TYPE_FP32","dims":[10],"label_filename":"","is_shape_tensor":false,"is_non_linear_format_io":false}],' +
        '"batch_input":[],"batch_output":[],' +
        '"optimization":{"priority":"PRIORITY_DEFAULT","input_pinned_memory":{"enable":true},"output_pinned_memory":{"enable":true},"gather_kernel_buffer_threshold":0,"eager_batching":false},' +
        '"dynamic_batching":{"preferred_batch_size":[4],"max_queue_delay_microseconds":0,"preserve_ordering":false,"priority_levels":0,"default_priority_level":0,"priority_queue_policy":{}},' +
        '"instance_group":[{"name":"m","kind":"KIND_CPU","count":2,"gpus":[],"secondary_devices":[],"profile":[],"passive":false,"host_policy":""}],' +
        '"default_model_filename":"model.onnx","cc_model_filenames":{},"metric_tags":{},"parameters":{},"model_warmup":[]}',
    );
  });
});
