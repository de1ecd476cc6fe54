/**
 * Guards sdk/proto/model_config.proto against drifting from Triton's schema:
 * the gRPC frontend serves this file, and `/config` prints fields in its
 * declaration order, so names, numbers and order must stay Triton's.
 */
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { modelConfigRoot } from '../../runtime/config/model-config-proto.ts';

/** Triton's messages: fields as `name=number` in declaration order. */
const MESSAGES: Record<string, string> = {
  ModelRateLimiter: 'resources=1 priority=2',
  'ModelRateLimiter.Resource': 'name=1 global=2 count=3',
  ModelInstanceGroup: 'name=1 kind=4 count=2 rate_limiter=6 gpus=3 secondary_devices=8 profile=5 passive=7 host_policy=9',
  'ModelInstanceGroup.SecondaryDevice': 'kind=1 device_id=2',
  ModelTensorReshape: 'shape=1',
  ModelInput: 'name=1 data_type=2 format=3 dims=4 reshape=5 is_shape_tensor=6 allow_ragged_batch=7 optional=8 is_non_linear_format_io=9',
  ModelOutput: 'name=1 data_type=2 dims=3 reshape=5 label_filename=4 is_shape_tensor=6 is_non_linear_format_io=7',
  BatchInput: 'kind=1 target_name=2 data_type=3 source_input=4',
  BatchOutput: 'target_name=1 kind=2 source_input=3',
  ModelVersionPolicy: 'latest=1 all=2 specific=3',
  'ModelVersionPolicy.Latest': 'num_versions=1',
  'ModelVersionPolicy.All': '',
  'ModelVersionPolicy.Specific': 'versions=1',
  ModelOptimizationPolicy:
    'graph=1 priority=2 cuda=3 execution_accelerators=4 input_pinned_memory=5 output_pinned_memory=6 gather_kernel_buffer_threshold=7 eager_batching=8',
  'ModelOptimizationPolicy.Graph': 'level=1',
  'ModelOptimizationPolicy.Cuda': 'graphs=1 busy_wait_events=2 graph_spec=3 output_copy_stream=4',
  'ModelOptimizationPolicy.Cuda.GraphSpec': 'batch_size=1 input=2 graph_lower_bound=3',
  'ModelOptimizationPolicy.Cuda.GraphSpec.Shape': 'dim=1',
  'ModelOptimizationPolicy.Cuda.GraphSpec.LowerBound': 'batch_size=1 input=2',
  'ModelOptimizationPolicy.ExecutionAccelerators': 'gpu_execution_accelerator=1 cpu_execution_accelerator=2',
  'ModelOptimizationPolicy.ExecutionAccelerators.Accelerator': 'name=1 parameters=2',
  'ModelOptimizationPolicy.PinnedMemoryBuffer': 'enable=1',
  ModelQueuePolicy: 'timeout_action=1 default_timeout_microseconds=2 allow_timeout_override=3 max_queue_size=4',
  ModelDynamicBatching:
    'preferred_batch_size=1 max_queue_delay_microseconds=2 preserve_ordering=3 priority_levels=4 default_priority_level=5 default_queue_policy=6 priority_queue_policy=7',
  ModelSequenceBatching: 'direct=3 oldest=4 max_sequence_idle_microseconds=1 control_input=2 state=5 iterative_sequence=6',
  'ModelSequenceBatching.Control': 'kind=1 int32_false_true=2 fp32_false_true=3 bool_false_true=5 data_type=4',
  'ModelSequenceBatching.ControlInput': 'name=1 control=2',
  'ModelSequenceBatching.InitialState': 'data_type=1 dims=2 zero_data=3 data_file=4 name=5',
  'ModelSequenceBatching.State':
    'input_name=1 output_name=2 data_type=3 dims=4 initial_state=5 use_same_buffer_for_input_output=6 use_growable_memory=7',
  'ModelSequenceBatching.StrategyDirect': 'max_queue_delay_microseconds=1 minimum_slot_utilization=2',
  'ModelSequenceBatching.StrategyOldest': 'max_candidate_sequences=1 preferred_batch_size=2 max_queue_delay_microseconds=3 preserve_ordering=4',
  ModelEnsembling: 'step=1 max_inflight_requests=2',
  'ModelEnsembling.Step': 'model_name=1 model_version=2 input_map=3 output_map=4 model_namespace=5',
  ModelParameter: 'string_value=1',
  ModelWarmup: 'name=1 batch_size=2 inputs=3 count=4',
  'ModelWarmup.Input': 'data_type=1 dims=2 zero_data=3 random_data=4 input_data_file=5',
  ModelOperations: 'op_library_filename=1',
  ModelTransactionPolicy: 'decoupled=1',
  ModelRepositoryAgents: 'agents=1',
  'ModelRepositoryAgents.Agent': 'name=1 parameters=2',
  ModelResponseCache: 'enable=1',
  ModelMetrics: 'metric_control=1',
  'ModelMetrics.MetricControl': 'metric_identifier=1 histogram_options=2',
  'ModelMetrics.MetricControl.MetricIdentifier': 'family=1',
  'ModelMetrics.MetricControl.HistogramOptions': 'buckets=1',
  ModelConfig:
    'name=1 platform=2 backend=17 runtime=25 version_policy=3 max_batch_size=4 input=5 output=6 batch_input=20 batch_output=21 optimization=12 dynamic_batching=11 sequence_batching=13 ensemble_scheduling=15 instance_group=7 default_model_filename=8 cc_model_filenames=9 metric_tags=10 parameters=14 model_warmup=16 model_operations=18 model_transaction_policy=19 model_repository_agents=23 response_cache=24 model_metrics=26',
};

const ENUMS: Record<string, string> = {
  DataType:
    'TYPE_INVALID=0 TYPE_BOOL=1 TYPE_UINT8=2 TYPE_UINT16=3 TYPE_UINT32=4 TYPE_UINT64=5 TYPE_INT8=6 TYPE_INT16=7 TYPE_INT32=8 TYPE_INT64=9 TYPE_FP16=10 TYPE_FP32=11 TYPE_FP64=12 TYPE_STRING=13 TYPE_BF16=14',
  'ModelInstanceGroup.Kind': 'KIND_AUTO=0 KIND_GPU=1 KIND_CPU=2 KIND_MODEL=3',
  'ModelInstanceGroup.SecondaryDevice.SecondaryDeviceKind': 'KIND_NVDLA=0',
  'ModelInput.Format': 'FORMAT_NONE=0 FORMAT_NHWC=1 FORMAT_NCHW=2',
  'BatchInput.Kind':
    'BATCH_ELEMENT_COUNT=0 BATCH_ACCUMULATED_ELEMENT_COUNT=1 BATCH_ACCUMULATED_ELEMENT_COUNT_WITH_ZERO=2 BATCH_MAX_ELEMENT_COUNT_AS_SHAPE=3 BATCH_ITEM_SHAPE=4 BATCH_ITEM_SHAPE_FLATTEN=5',
  'BatchOutput.Kind': 'BATCH_SCATTER_WITH_INPUT_SHAPE=0',
  'ModelOptimizationPolicy.ModelPriority': 'PRIORITY_DEFAULT=0 PRIORITY_MAX=1 PRIORITY_MIN=2',
  'ModelQueuePolicy.TimeoutAction': 'REJECT=0 DELAY=1',
  'ModelSequenceBatching.Control.Kind': 'CONTROL_SEQUENCE_START=0 CONTROL_SEQUENCE_READY=1 CONTROL_SEQUENCE_END=2 CONTROL_SEQUENCE_CORRID=3',
};

describe('model_config.proto', () => {
  it.each(Object.entries(MESSAGES))('message inference.%s has Triton\'s fields in order', (name, fields) => {
    const type = modelConfigRoot.lookupType(`inference.${name}`);
    expect(type.fieldsArray.map((f) => `${f.name}=${f.id}`).join(' ')).toBe(fields);
  });

  it.each(Object.entries(ENUMS))('enum inference.%s has Triton\'s values', (name, values) => {
    const e = modelConfigRoot.lookupEnum(`inference.${name}`);
    expect(Object.entries(e.values).map(([k, v]) => `${k}=${v}`).join(' ')).toBe(values);
  });

  it('declares nothing beyond those messages and enums', () => {
    const found: string[] = [];
    const walk = (ns: protobuf.NamespaceBase, prefix: string): void => {
      for (const nested of ns.nestedArray) {
        const name = prefix ? `${prefix}.${nested.name}` : nested.name;
        if (nested instanceof protobuf.Type || nested instanceof protobuf.Enum) found.push(name);
        if (nested instanceof protobuf.Namespace || nested instanceof protobuf.Type) walk(nested, name);
      }
    };
    walk(modelConfigRoot.lookup('inference') as protobuf.Namespace, '');
    expect(found.sort()).toEqual([...Object.keys(MESSAGES), ...Object.keys(ENUMS)].sort());
  });

  it('uses Triton\'s scalar types for 64-bit and unsigned fields', () => {
    const type = (message: string, field: string): string => modelConfigRoot.lookupType(`inference.${message}`).fields[field]!.type;
    expect(type('ModelInput', 'dims')).toBe('int64');
    expect(type('ModelConfig', 'max_batch_size')).toBe('int32');
    expect(type('ModelDynamicBatching', 'max_queue_delay_microseconds')).toBe('uint64');
    expect(type('ModelDynamicBatching', 'priority_levels')).toBe('uint64');
    expect(type('ModelInstanceGroup', 'gpus')).toBe('int32');
    expect(type('ModelInstanceGroup.SecondaryDevice', 'device_id')).toBe('int64');
    expect(type('ModelEnsembling.Step', 'model_version')).toBe('int64');
    expect(type('ModelSequenceBatching.Control', 'fp32_false_true')).toBe('float');
    expect(type('ModelMetrics.MetricControl.HistogramOptions', 'buckets')).toBe('double');
    expect((modelConfigRoot.lookupType('inference.ModelDynamicBatching').fields.priority_queue_policy as unknown as protobuf.MapField).keyType).toBe('uint64');
  });

  it('round-trips a config through the binary wire format', () => {
    const type = modelConfigRoot.lookupType('inference.ModelConfig');
    const message = type.fromObject({ name: 'm', max_batch_size: 8, input: [{ name: 'X', data_type: 11, dims: [-1, 3] }], dynamic_batching: {} });
    const decoded = type.toObject(type.decode(type.encode(message).finish()), { enums: String, longs: Number });
    expect(decoded).toEqual({ name: 'm', max_batch_size: 8, input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1, 3] }], dynamic_batching: {} });
  });
});
