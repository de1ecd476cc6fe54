import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { graphOptimizationLevel, ortSessionOptions } from '../../runtime/backends/onnx/session-options.ts';
import { parseBoolParameter, parseIntParameter } from '../../runtime/config/string-parameters.ts';

const CPU = { kind: 'KIND_CPU', deviceId: 0 } as const;

function withParameters(parameters: Record<string, string>, extra: Partial<ModelConfig> = {}): ModelConfig {
  const entries = Object.entries(parameters).map(([key, value]) => [key, { string_value: value }]);
  return { name: 'm', parameters: Object.fromEntries(entries), ...extra };
}

describe('ortSessionOptions (Triton onnxruntime backend semantics)', () => {
  it('defaults: CPU provider, all graph optimizations, sequential, ORT picks threads and memory settings', () => {
    expect(ortSessionOptions({ name: 'm' }, CPU)).toEqual({
      executionProviders: [{ name: 'cpu' }],
      graphOptimizationLevel: 'all',
      executionMode: 'sequential',
    });
  });

  it('maps optimization.graph.level: -1 basic, 1 extended, 2 disabled, 0 and others all', () => {
    expect(graphOptimizationLevel(-1)).toBe('basic');
    expect(graphOptimizationLevel(1)).toBe('extended');
    expect(graphOptimizationLevel(2)).toBe('disabled');
    expect(graphOptimizationLevel(0)).toBe('all');
    expect(graphOptimizationLevel(undefined)).toBe('all');
    expect(graphOptimizationLevel(7)).toBe('all');
    expect(ortSessionOptions({ name: 'm', optimization: { graph: { level: 1 } } }, CPU).graphOptimizationLevel).toBe('extended');
  });

  it('maps every parameter', () => {
    const config = withParameters({
      intra_op_thread_count: '3',
      inter_op_thread_count: ' 2 ',
      execution_mode: '1',
      enable_mem_arena: 'false',
      enable_mem_pattern: 'On',
    });
    expect(ortSessionOptions(config, CPU)).toEqual({
      executionProviders: [{ name: 'cpu' }],
      graphOptimizationLevel: 'all',
      executionMode: 'parallel',
      intraOpNumThreads: 3,
      interOpNumThreads: 2,
      enableCpuMemArena: false,
      enableMemPattern: true,
    });
  });

  it('leaves thread counts to ORT when they are 0 or negative, as Triton does', () => {
    const options = ortSessionOptions(withParameters({ intra_op_thread_count: '0', inter_op_thread_count: '-4' }), CPU);
    expect(options).not.toHaveProperty('intraOpNumThreads');
    expect(options).not.toHaveProperty('interOpNumThreads');
  });

  it('rejects bad values with a message naming the model and parameter', () => {
    expect(() => ortSessionOptions(withParameters({ execution_mode: '2' }), CPU)).toThrow(
      "model 'm': parameter 'execution_mode' must be 0 (sequential) or 1 (parallel), got '2'",
    );
    expect(() => ortSessionOptions(withParameters({ intra_op_thread_count: 'four' }), CPU)).toThrow(
      "model 'm': parameter 'intra_op_thread_count' must be an integer, got 'four'",
    );
    expect(() => ortSessionOptions(withParameters({ enable_mem_arena: 'maybe' }), CPU)).toThrow(/parameter 'enable_mem_arena' must be a boolean/);
    try {
      ortSessionOptions(withParameters({ execution_mode: 'x' }), CPU);
    } catch (error) {
      expect((error as { code: string }).code).toBe('INVALID_ARG');
    }
  });

  it('parses booleans and integers like Triton', () => {
    for (const text of ['true', 'TRUE', '1', 'on']) expect(parseBoolParameter('m', 'k', text)).toBe(true);
    for (const text of ['false', 'False', '0', 'off']) expect(parseBoolParameter('m', 'k', text)).toBe(false);
    expect(parseIntParameter('m', 'k', '+7')).toBe(7);
    expect(() => parseIntParameter('m', 'k', '1.5')).toThrow(/must be an integer/);
  });

  it('uses only the CUDA provider, on the instance device, for KIND_GPU (no silent CPU fallback)', () => {
    expect(ortSessionOptions({ name: 'm' }, { kind: 'KIND_GPU', deviceId: 1 }).executionProviders).toEqual([{ name: 'cuda', deviceId: 1 }]);
  });

  it('runs KIND_MODEL on CPU, as Triton does', () => {
    expect(ortSessionOptions({ name: 'm' }, { kind: 'KIND_MODEL', deviceId: 0 }).executionProviders).toEqual([{ name: 'cpu' }]);
  });
});
