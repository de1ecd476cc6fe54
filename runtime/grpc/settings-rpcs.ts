/**
 * The RPCs for settings and for what nereid does not have: system and CUDA
 * shared memory (every one answers UNIMPLEMENTED: send tensors in
 * `raw_input_contents`); TraceSetting, which reports and changes the trace
 * settings (Triton's trace extension, as `/v2[/models/{m}]/trace/setting`);
 * and LogSettings, which reports and changes the server log's settings
 * (Triton's logging extension, as `/v2/logging`).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { LogSettingValue } from '../logging/log-settings.ts';
import type { Logger } from '../logging/logger.ts';
import type { InferenceServer } from '../server/server-api.ts';
import { answerTraceSetting } from '../tracing/trace-requests.ts';
import { unary, unimplemented } from './grpc-reply.ts';

const SYSTEM_SHM = 'system shared memory is not supported by this server; send tensor data in raw_input_contents and read it from raw_output_contents';
const CUDA_SHM = 'CUDA shared memory is not supported by this server; send tensor data in raw_input_contents and read it from raw_output_contents';

/** `LogSettingsRequest.SettingValue` / `LogSettingsResponse.SettingValue`: a oneof. */
interface SettingValueMessage {
  parameter_choice?: string;
  bool_param?: boolean;
  uint32_param?: number;
  string_param?: string;
}

function fromMessage(name: string, message: SettingValueMessage): LogSettingValue {
  switch (message.parameter_choice) {
    case 'bool_param':
      return message.bool_param!;
    case 'uint32_param':
      return message.uint32_param!;
    case 'string_param':
      return message.string_param!;
    default:
      throw NereidError.invalidArg(`log setting '${name}' has no value (set bool_param, uint32_param or string_param)`);
  }
}

function toMessage(value: LogSettingValue): SettingValueMessage {
  if (typeof value === 'boolean') return { bool_param: value };
  if (typeof value === 'number') return { uint32_param: value };
  return { string_param: value };
}

/** `TraceSettingRequest` / `TraceSettingResponse`: each setting a list of strings (none: clear it). */
interface TraceSettingMessage {
  settings?: Record<string, { value?: string[] }>;
  model_name?: string;
}

export function settingsRpcs(server: InferenceServer, log: Logger): UntypedServiceImplementation {
  return {
    SystemSharedMemoryStatus: unimplemented(SYSTEM_SHM),
    SystemSharedMemoryRegister: unimplemented(SYSTEM_SHM),
    SystemSharedMemoryUnregister: unimplemented(SYSTEM_SHM),
    CudaSharedMemoryStatus: unimplemented(CUDA_SHM),
    CudaSharedMemoryRegister: unimplemented(CUDA_SHM),
    CudaSharedMemoryUnregister: unimplemented(CUDA_SHM),
    TraceSetting: unary(log, 'TraceSetting', (request: TraceSettingMessage) => {
      const changes: Record<string, string[]> = {};
      for (const [name, setting] of Object.entries(request.settings ?? {})) changes[name] = setting.value ?? [];
      // No settings: a read (tritonclient's get_trace_settings); a setting with no values clears it.
      const current = answerTraceSetting(server, request.model_name || undefined, Object.keys(changes).length > 0 ? changes : undefined);
      const settings: Record<string, { value: string[] }> = {};
      for (const [name, value] of Object.entries(current)) settings[name] = { value: Array.isArray(value) ? value : [value] };
      return { settings };
    }),
    LogSettings: unary(log, 'LogSettings', (request: { settings?: Record<string, SettingValueMessage> }) => {
      const changes: Record<string, LogSettingValue> = {};
      for (const [name, message] of Object.entries(request.settings ?? {})) changes[name] = fromMessage(name, message);
      log.settings.update(changes);
      const settings: Record<string, SettingValueMessage> = {};
      for (const [name, value] of Object.entries(log.settings.toTriton())) settings[name] = toMessage(value);
      return { settings };
    }),
  };
}
