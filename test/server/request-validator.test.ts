import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { Tensor } from '../../sdk/tensor.ts';
import { RequestValidator } from '../../runtime/server/request-validator.ts';

const simple: ModelConfig = {
  name: 'simple',
  max_batch_size: 8,
  input: [
    { name: 'INPUT0', data_type: 'TYPE_INT32', dims: [16] },
    { name: 'INPUT1', data_type: 'TYPE_INT32', dims: [16] },
  ],
  output: [
    { name: 'OUTPUT0', data_type: 'TYPE_INT32', dims: [16] },
    { name: 'OUTPUT1', data_type: 'TYPE_INT32', dims: [16] },
  ],
};

const int32 = (name: string, shape: number[]) => new Tensor(name, 'INT32', shape, new Int32Array(shape.reduce((a, b) => a * b, 1)));

describe('RequestValidator', () => {
  const validator = new RequestValidator(simple);

  it('accepts a valid batched request and asks for every output by default', () => {
    const exec = validator.validate({ model: 'simple', inputs: [int32('INPUT0', [2, 16]), int32('INPUT1', [2, 16])] });
    expect(exec.batchSize).toBe(2);
    expect(exec.outputs).toEqual(['OUTPUT0', 'OUTPUT1']);
  });

  it('keeps the requested outputs only', () => {
    const exec = validator.validate({
      model: 'simple',
      inputs: [int32('INPUT0', [1, 16]), int32('INPUT1', [1, 16])],
      outputs: [{ name: 'OUTPUT1' }],
    });
    expect(exec.outputs).toEqual(['OUTPUT1']);
  });

  it.each([
    ['unknown input', [int32('INPUT0', [1, 16]), int32('INPUTX', [1, 16])], /unexpected inference input 'INPUTX' for model 'simple'/],
    ['missing input', [int32('INPUT0', [1, 16])], /missing required input\(s\) \[INPUT1\]/],
    ['wrong datatype', [new Tensor('INPUT0', 'FP32', [1, 16], new Float32Array(16)), int32('INPUT1', [1, 16])], /'INPUT0' data-type is 'FP32', but model 'simple' expects 'INT32'/],
    ['wrong shape', [int32('INPUT0', [1, 8]), int32('INPUT1', [1, 16])], /unexpected shape for input 'INPUT0' for model 'simple'. Expected \[-1,16\], got \[1,8\]/],
    ['batch too big', [int32('INPUT0', [9, 16]), int32('INPUT1', [9, 16])], /batch-size must be <= 8 and >= 1 for 'simple'/],
    ['no batch dim', [int32('INPUT0', [16]), int32('INPUT1', [16])], /Expected \[-1,16\], got \[16\]/],
    ['batch mismatch', [int32('INPUT0', [1, 16]), int32('INPUT1', [2, 16])], /must share the batch size/],
    ['duplicate input', [int32('INPUT0', [1, 16]), int32('INPUT0', [1, 16])], /appears more than once/],
  ])('rejects %s', (_, inputs, message) => {
    expect(() => validator.validate({ model: 'simple', inputs })).toThrow(message);
  });

  it('rejects unknown outputs', () => {
    expect(() =>
      validator.validate({ model: 'simple', inputs: [int32('INPUT0', [1, 16]), int32('INPUT1', [1, 16])], outputs: [{ name: 'NOPE' }] }),
    ).toThrow(/unexpected inference output 'NOPE' for model 'simple'/);
  });

  it('applies reshape and allows optional inputs to be left out', () => {
    const config: ModelConfig = {
      name: 'r',
      max_batch_size: 0,
      input: [
        { name: 'X', data_type: 'TYPE_FP32', dims: [2, 3], reshape: { shape: [6] } },
        { name: 'Y', data_type: 'TYPE_FP32', dims: [1], optional: true },
      ],
      output: [{ name: 'Z', data_type: 'TYPE_FP32', dims: [6] }],
    };
    const exec = new RequestValidator(config).validate({ model: 'r', inputs: [new Tensor('X', 'FP32', [2, 3], new Float32Array(6))] });
    expect(exec.inputs[0]!.shape).toEqual([6]);
    expect(exec.batchSize).toBe(0);
  });

  it('matches -1 dims against any size', () => {
    const config: ModelConfig = {
      name: 'v',
      max_batch_size: 4,
      input: [{ name: 'X', data_type: 'TYPE_FP32', dims: [-1] }],
      output: [{ name: 'Y', data_type: 'TYPE_FP32', dims: [-1] }],
    };
    const exec = new RequestValidator(config).validate({ model: 'v', inputs: [new Tensor('X', 'FP32', [3, 7], new Float32Array(21))] });
    expect(exec.batchSize).toBe(3);
  });
});
