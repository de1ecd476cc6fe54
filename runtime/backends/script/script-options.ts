/**
 * Per-model settings of the TypeScript backend, read from the config's
 * `parameters` (string values, as Triton's parameters always are):
 *
 * | parameter | default | meaning |
 * |---|---|---|
 * | `memory_limit_mb` | 128 | heap limit of each instance's isolate; payloads a script reads count too |
 * | `execute_timeout_ms` | 30000 | wall-clock limit of one `execute` (awaits included); a decoupled request's stream ends with an error after this long without a response |
 * | `slice_timeout_ms` | 1000 | limit of one synchronous stretch of script code on the server thread |
 * | `inline_tensor_bytes` | 65536 | tensors up to this size are copied into the isolate; larger ones stay on the host until read |
 * | `enable_webassembly` | false | gives the isolate `WebAssembly`; its memories are not counted against `memory_limit_mb` (V8 allocates them outside the isolate's limit), so only for trusted models |
 */
import { NereidError } from '../../../sdk/errors.ts';
import type { ModelConfig } from '../../../sdk/model-config.ts';
import { parseBoolParameter } from '../../config/string-parameters.ts';

export interface ScriptOptions {
  readonly memoryLimitMb: number;
  readonly executeTimeoutMs: number;
  readonly sliceTimeoutMs: number;
  readonly inlineTensorBytes: number;
  readonly webAssembly: boolean;
}

function integerParameter(config: ModelConfig, key: string, fallback: number, min: number): number {
  const text = config.parameters?.[key]?.string_value;
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min) {
    throw NereidError.invalidArg(`model '${config.name}': parameter '${key}' must be an integer >= ${min}, got '${text}'`);
  }
  return value;
}

function booleanParameter(config: ModelConfig, key: string, fallback: boolean): boolean {
  const text = config.parameters?.[key]?.string_value;
  return text === undefined || text === '' ? fallback : parseBoolParameter(config.name, key, text);
}

export function scriptOptions(config: ModelConfig): ScriptOptions {
  return Object.freeze({
    memoryLimitMb: integerParameter(config, 'memory_limit_mb', 128, 8),
    executeTimeoutMs: integerParameter(config, 'execute_timeout_ms', 30_000, 1),
    sliceTimeoutMs: integerParameter(config, 'slice_timeout_ms', 1_000, 1),
    inlineTensorBytes: integerParameter(config, 'inline_tensor_bytes', 64 * 1024, 0),
    webAssembly: booleanParameter(config, 'enable_webassembly', false),
  });
}
