/** OutputCheck: a model.ts's outputs against its config's declared outputs. */
import { describe, expect, it } from 'vitest';
import { OutputCheck } from '../../runtime/backends/script/output-check.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { Tensor } from '../../sdk/tensor.ts';

const fp32 = (name: string, shape: number[]) => new Tensor(name, 'FP32', shape, new Float32Array(shape.reduce((a, b) => a * b, 1)));
const config = (extra: Partial<ModelConfig>): ModelConfig =>
  ({
    name: 'm',
    max_batch_size: 8,
    output: [
      { name: 'Y', data_type: 'TYPE_FP32', dims: [-1, 3] },
      { name: 'R', data_type: 'TYPE_FP32', dims: [6], reshape: { shape: [2, 3] } },
    ],
    ...extra,
  }) as ModelConfig;

describe('OutputCheck', () => {
  it('accepts outputs as declared: -1 any size, the batch size first, a reshape as the produced shape', () => {
    const check = new OutputCheck(config({}));
    expect(check.problem(fp32('Y', [2, 7, 3]), 2)).toBeUndefined();
    expect(check.problem(fp32('R', [1, 2, 3]), 1)).toBeUndefined();
  });

  it('names the output and what the config expects', () => {
    const check = new OutputCheck(config({}));
    expect(check.problem(new Tensor('Y', 'INT32', [1, 1, 3], new Int32Array(3)), 1)).toBe("output 'Y' is INT32, but the config declares TYPE_FP32");
    expect(check.problem(fp32('Y', [5, 1, 3]), 1)).toBe("output 'Y' has shape [5,1,3], but the config expects [1,-1,3] (the request's batch size first)");
    expect(check.problem(fp32('Y', [1, 3]), 1)).toMatch(/has shape \[1,3\]/);
    expect(check.problem(fp32('BOGUS', [1]), 1)).toBe("output 'BOGUS' is not in the config (it declares 'Y', 'R')");
  });

  it('takes an implicit state\'s output as declared (sequence batching)', () => {
    const check = new OutputCheck(config({ sequence_batching: { state: [{ input_name: 'S_IN', output_name: 'S_OUT', data_type: 'TYPE_INT32', dims: [2] }] } } as Partial<ModelConfig>));
    expect(check.problem(new Tensor('S_OUT', 'INT32', [1, 2], new Int32Array(2)), 1)).toBeUndefined();
    expect(check.problem(new Tensor('S_OUT', 'INT32', [1, 3], new Int32Array(3)), 1)).toMatch(/output 'S_OUT' has shape \[1,3\]/);
  });

  it('checks no batch dimension without batching, and nothing when the config declares no outputs', () => {
    expect(new OutputCheck(config({ max_batch_size: 0 })).problem(fp32('Y', [4, 3]), 0)).toBeUndefined();
    expect(new OutputCheck(config({ output: [] })).problem(fp32('ANY', [9]), 1)).toBeUndefined();
  });
});
