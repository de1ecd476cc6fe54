import { describe, expect, it } from 'vitest';
import { NereidError } from '../../sdk/errors.ts';
import { parseConfigJson } from '../../runtime/config/config-json.ts';
import { parseModelConfigText } from '../../runtime/config/pbtxt/pbtxt-parser.ts';

const SOURCE = "load request 'config'";

function jsonError(input: unknown): string {
  try {
    parseConfigJson(input, SOURCE);
  } catch (error) {
    expect(error).toBeInstanceOf(NereidError);
    expect((error as NereidError).code).toBe('INVALID_ARG');
    return (error as NereidError).message;
  }
  throw new Error('expected an error');
}

describe('JSON config reader', () => {
  it('reads the same object as the pbtxt parser', () => {
    const pbtxt = parseModelConfigText(
      'name: "m" max_batch_size: 8 input [ { name: "X" data_type: TYPE_FP32 dims: [ -1, 3 ] } ] parameters { key: "k" value { string_value: "v" } } version_policy { specific { versions: [ 2 ] } }',
      'config.pbtxt',
    );
    const json = parseConfigJson(
      '{"name":"m","max_batch_size":8,"input":[{"name":"X","data_type":"TYPE_FP32","dims":[-1,3]}],"parameters":{"k":{"string_value":"v"}},"version_policy":{"specific":{"versions":["2"]}}}',
      SOURCE,
    );
    expect(json).toStrictEqual(pbtxt);
  });

  it('accepts an already parsed value', () => {
    expect(parseConfigJson({ name: 'm', max_batch_size: 2 }, SOURCE)).toEqual({ name: 'm', max_batch_size: 2 });
  });

  it('accepts JSON names, quoted integers, enum numbers and case-insensitive enum names', () => {
    const config = parseConfigJson(
      { maxBatchSize: '4', instanceGroup: [{ kind: 'kind_gpu', gpus: ['0', 1] }], input: [{ name: 'X', dataType: 13 }] },
      SOURCE,
    );
    expect(config).toEqual({ max_batch_size: 4, instance_group: [{ kind: 'KIND_GPU', gpus: [0, 1] }], input: [{ name: 'X', data_type: 'TYPE_STRING' }] });
  });

  it('treats null as an unset field', () => {
    expect(parseConfigJson({ name: 'm', dynamic_batching: null, input: null }, SOURCE)).toEqual({ name: 'm' });
  });

  it('reads non-finite floats written as protobuf writes them', () => {
    const config = parseConfigJson({ model_metrics: { metric_control: [{ histogram_options: { buckets: ['NaN', 'Infinity', '-Infinity', '1.5', 2] } }] } }, SOURCE);
    const buckets = config.model_metrics!.metric_control![0]!.histogram_options!.buckets!;
    expect(buckets[0]).toBeNaN();
    expect(buckets.slice(1)).toEqual([Infinity, -Infinity, 1.5, 2]);
  });

  it('checks integer map keys', () => {
    expect(parseConfigJson({ dynamic_batching: { priority_queue_policy: { '2': {} } } }, SOURCE)).toEqual({
      dynamic_batching: { priority_queue_policy: { '2': {} } },
    });
    expect(jsonError({ dynamic_batching: { priority_queue_policy: { high: {} } } })).toBe(
      `${SOURCE}: dynamic_batching.priority_queue_policy["high"]: map 'priority_queue_policy' expects integer keys, got "high"`,
    );
  });

  it('names the JSON path in errors', () => {
    expect(jsonError('{"name": "m",}')).toMatch(new RegExp(`^${SOURCE}: invalid JSON: `));
    expect(jsonError([])).toBe(`${SOURCE}: expected an object for message inference.ModelConfig, got an array`);
    expect(jsonError({ input: [{ name: 'X', dims: [1, 'two'] }] })).toBe(`${SOURCE}: input[0].dims[1]: field 'dims' expects an integer, got string "two"`);
    expect(jsonError({ input: { name: 'X' } })).toBe(`${SOURCE}: input: field 'input' expects a list, got an object`);
    expect(jsonError({ response_cache: { enable: 'true' } })).toBe(`${SOURCE}: response_cache.enable: field 'enable' expects a boolean, got string "true"`);
    expect(jsonError({ max_batch_size: 2 ** 31 })).toBe(`${SOURCE}: max_batch_size: field 'max_batch_size': integer 2147483648 is out of range for type int32`);
    expect(jsonError({ optimization: { priority: 7 } })).toBe(
      `${SOURCE}: optimization.priority: unknown value 7 for enum inference.ModelOptimizationPolicy.ModelPriority of field 'priority'`,
    );
    expect(jsonError({ parameters: { k: 'v' } })).toBe(`${SOURCE}: parameters["k"]: expected an object for message inference.ModelParameter, got string "v"`);
  });

  it('refuses two members of a oneof and a field given under both its names', () => {
    expect(jsonError({ dynamic_batching: {}, sequence_batching: {} })).toBe(
      `${SOURCE}: sequence_batching: field 'sequence_batching' is specified along with field 'dynamic_batching', another member of oneof 'scheduling_choice'`,
    );
    expect(jsonError({ max_batch_size: 1, maxBatchSize: 2 })).toBe(
      `${SOURCE}: maxBatchSize: non-repeated field 'max_batch_size' is specified more than once in message inference.ModelConfig`,
    );
  });
});
