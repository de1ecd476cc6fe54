/**
 * Model config -> ONNX Runtime session options, with the Triton ONNX Runtime
 * backend's parameter names and semantics (onnxruntime_backend README and
 * `ModelState` in its src/onnxruntime.cc):
 *
 * | config                                   | ORT session option        | Triton semantics                                 |
 * |------------------------------------------|---------------------------|--------------------------------------------------|
 * | `optimization { graph { level } }`       | `graphOptimizationLevel`  | -1 basic, 1 extended, 2 disabled, else/absent all |
 * | parameters `intra_op_thread_count`       | `intraOpNumThreads`       | set only when > 0 (0: ORT picks, one per core)   |
 * | parameters `inter_op_thread_count`       | `interOpNumThreads`       | set only when > 0                                |
 * | parameters `execution_mode`              | `executionMode`           | 0 sequential (default), 1 parallel, else error   |
 * | parameters `enable_mem_arena`            | `enableCpuMemArena`       | boolean; ORT default when absent                 |
 * | parameters `enable_mem_pattern`          | `enableMemPattern`        | boolean; ORT default when absent                 |
 * | instance kind KIND_GPU + device id       | `[{ name: 'cuda', deviceId }]` | CPU otherwise (Triton also runs KIND_MODEL on CPU) |
 *
 * Parameter values are `string_value`s. Integers parse like Triton's
 * TryParseModelStringParameter; booleans like its ParseBoolValue
 * (true/false, 1/0, on/off, any case). A bad value is an INVALID_ARG that
 * names the model and the parameter.
 *
 * Pure: no ORT import, the result is plain data that crosses to the worker by
 * structured clone. The GPU entry deliberately lists only `cuda`: with
 * `['cuda', 'cpu']` onnxruntime-common would silently drop an unavailable
 * CUDA provider and run on CPU.
 *
 * @example
 * ```ts
 * ortSessionOptions({ name: 'm', parameters: { execution_mode: { string_value: '1' } } }, { kind: 'KIND_CPU', deviceId: 0 });
 * // { executionProviders: [{ name: 'cpu' }], graphOptimizationLevel: 'all', executionMode: 'parallel' }
 * ```
 */
import { NereidError } from '../../../sdk/errors.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';
import { parseBoolParameter, parseIntParameter } from '../../config/string-parameters.ts';
import type { InstanceSpec } from '../backend.ts';

export type OrtExecutionProvider = { readonly name: 'cpu' } | { readonly name: 'cuda'; readonly deviceId: number };

/** The subset of ORT's `InferenceSession.SessionOptions` nereid sets; structurally assignable to it. */
export interface OrtSessionOptions {
  readonly executionProviders: readonly OrtExecutionProvider[];
  readonly graphOptimizationLevel: 'disabled' | 'basic' | 'extended' | 'all';
  readonly executionMode: 'sequential' | 'parallel';
  readonly intraOpNumThreads?: number;
  readonly interOpNumThreads?: number;
  readonly enableCpuMemArena?: boolean;
  readonly enableMemPattern?: boolean;
}

/** Triton's `optimization.graph.level` -> ORT's level name. */
export function graphOptimizationLevel(level: number | undefined): OrtSessionOptions['graphOptimizationLevel'] {
  switch (level) {
    case -1:
      return 'basic';
    case 1:
      return 'extended';
    case 2:
      return 'disabled';
    default:
      // Triton: 0, absent or any other value keeps ORT_ENABLE_ALL.
      return 'all';
  }
}

/** The ORT session options for one instance of `config`. */
export function ortSessionOptions(config: ModelConfig, spec: Pick<InstanceSpec, 'kind' | 'deviceId'>): OrtSessionOptions {
  const model = config.name;
  const parameters = config.parameters ?? {};
  const read = (key: string): string | undefined => {
    const entry = Object.hasOwn(parameters, key) ? parameters[key] : undefined;
    return entry === undefined ? undefined : String(entry.string_value ?? '');
  };

  const intraText = read('intra_op_thread_count');
  const interText = read('inter_op_thread_count');
  const intra = intraText === undefined ? 0 : parseIntParameter(model, 'intra_op_thread_count', intraText);
  const inter = interText === undefined ? 0 : parseIntParameter(model, 'inter_op_thread_count', interText);

  const modeText = read('execution_mode');
  const mode = modeText === undefined ? 0 : parseIntParameter(model, 'execution_mode', modeText);
  if (mode !== 0 && mode !== 1) {
    throw NereidError.invalidArg(`model '${model}': parameter 'execution_mode' must be 0 (sequential) or 1 (parallel), got '${modeText}'`);
  }

  const arenaText = read('enable_mem_arena');
  const patternText = read('enable_mem_pattern');

  const deviceId = spec.deviceId;
  if (spec.kind === 'KIND_GPU' && !(Number.isSafeInteger(deviceId) && deviceId >= 0)) {
    throw NereidError.invalidArg(`model '${model}': GPU device id must be a non-negative integer, got ${deviceId}`);
  }

  return {
    executionProviders: spec.kind === 'KIND_GPU' ? [{ name: 'cuda', deviceId }] : [{ name: 'cpu' }],
    graphOptimizationLevel: graphOptimizationLevel(config.optimization?.graph?.level),
    executionMode: mode === 1 ? 'parallel' : 'sequential',
    ...(intra > 0 ? { intraOpNumThreads: intra } : {}),
    ...(inter > 0 ? { interOpNumThreads: inter } : {}),
    ...(arenaText === undefined ? {} : { enableCpuMemArena: parseBoolParameter(model, 'enable_mem_arena', arenaText) }),
    ...(patternText === undefined ? {} : { enableMemPattern: parseBoolParameter(model, 'enable_mem_pattern', patternText) }),
  };
}
