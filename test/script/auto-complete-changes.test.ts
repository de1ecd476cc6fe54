/**
 * What a model.ts autoCompleteConfig may change, as Triton's
 * pb_utils.ModelConfig allows: add or fill in tensors, raise max_batch_size,
 * add dynamic_batching, set decoupled; nothing the config file decides.
 */
import { describe, expect, it } from 'vitest';
import { checkAutoCompleteChanges } from '../../runtime/backends/script/auto-complete-changes.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';

const FILE: ModelConfig = {
  name: 'm',
  backend: 'typescript',
  max_batch_size: 4,
  input: [{ name: 'IN', data_type: 'TYPE_FP32', dims: [3], reshape: { shape: [1, 3] } }],
  output: [{ name: 'OUT', data_type: 'TYPE_INVALID', dims: [] }],
  instance_group: [{ count: 1, kind: 'KIND_CPU' }],
  parameters: { memory_limit_mb: { string_value: '64' } },
} as ModelConfig;

/** The file's config with `change` applied to a copy. */
const changed = (change: (config: Record<string, any>) => void, base: ModelConfig = FILE): ModelConfig => {
  const copy = structuredClone(base) as Record<string, any>;
  change(copy);
  return copy as ModelConfig;
};
const check = (returned: ModelConfig, base: ModelConfig = FILE) => () => checkAutoCompleteChanges(base, returned);

describe('checkAutoCompleteChanges', () => {
  it('accepts what Triton allows: new tensors, open tensors filled in, a higher max_batch_size, dynamic_batching, decoupled', () => {
    expect(
      check(
        changed((c) => {
          c.input.push({ name: 'MASK', data_type: 'TYPE_BOOL', dims: [-1], optional: true });
          c.output[0] = { name: 'OUT', data_type: 'TYPE_FP32', dims: [3] };
          c.output.push({ name: 'SCORE', data_type: 'TYPE_FP32', dims: [1] });
          c.max_batch_size = 16;
          c.dynamic_batching = {};
          c.model_transaction_policy = { decoupled: true };
        }),
      ),
    ).not.toThrow();
    // Key order and an unchanged object returned as is.
    expect(check(structuredClone(FILE))).not.toThrow();
  });

  it.each<[string, (c: Record<string, any>) => void, RegExp]>([
    ['an instance group', (c) => (c.instance_group[0].count = 3), /autoCompleteConfig changed 'instance_group': it may set only input, output, max_batch_size/],
    ['a parameter', (c) => (c.parameters.memory_limit_mb.string_value = '4096'), /changed 'parameters'/],
    ['a lower max_batch_size', (c) => (c.max_batch_size = 2), /lowered max_batch_size from 4, which the config sets, to 2/],
    ['declared dims', (c) => (c.input[0].dims = [4]), /changed dims of input 'IN' from \[3\], which the config sets, to \[4\]/],
    ['a declared data type', (c) => (c.input[0].data_type = 'TYPE_INT32'), /changed data_type of input 'IN' from "TYPE_FP32"/],
    ['another field of a declared input', (c) => delete c.input[0].reshape, /changed reshape of input 'IN'/],
    ['a removed input', (c) => (c.input = []), /removed input 'IN', which the config declares/],
    ['a new input with more than Triton allows', (c) => c.input.push({ name: 'X', data_type: 'TYPE_FP32', dims: [1], reshape: { shape: [] } }), /added input 'X' with 'reshape': a new input has only name, data_type, dims, optional/],
    ['a new output without dims', (c) => c.output.push({ name: 'Y', data_type: 'TYPE_FP32' }), /added output 'Y' without 'dims'/],
    ['a transaction policy field other than decoupled', (c) => (c.model_transaction_policy = { other: 1 }), /fields other than 'decoupled'/],
  ])('refuses %s', (_what, change, message) => {
    expect(check(changed(change))).toThrow(message);
  });

  it('refuses to contradict the scheduling and the decoupled policy the config chooses', () => {
    const sequence = changed((c) => (c.sequence_batching = {}));
    expect(check(changed((c) => (c.dynamic_batching = {}), sequence), sequence)).toThrow(/added dynamic_batching to a model whose config chooses sequence_batching/);
    const batched = changed((c) => (c.dynamic_batching = { max_queue_delay_microseconds: 100 }));
    expect(check(changed((c) => (c.dynamic_batching = {}), batched), batched)).toThrow(/changed the dynamic_batching the config sets/);
    const coupled = changed((c) => (c.model_transaction_policy = { decoupled: false }));
    expect(check(changed((c) => (c.model_transaction_policy = { decoupled: true }), coupled), coupled)).toThrow(/changed model_transaction_policy.decoupled, which the config sets to false/);
  });
});
