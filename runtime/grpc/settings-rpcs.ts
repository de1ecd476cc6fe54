/**
 * The RPCs for settings and for what nereid does not have: system and CUDA
 * shared memory (every one answers UNIMPLEMENTED: send tensors in
 * `raw_input_contents`), tracing (UNIMPLEMENTED), and LogSettings, which
 * reports the server log's settings and changes them (Triton's logging
 * extension; the HTTP frontend's `/v2/logging` changes the same ones).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { LogSettingValue } from '../logging/log-settings.ts';
import type { Logger } from '../logging/logger.ts';
import { unary, unimplemented } from './grpc-reply.ts';

const SYSTEM_SHM = 'system shared memory is not supported by this server; send tensor data in raw_input_contents and read it from raw_output_contents';
const CUDA_SHM = 'CUDA shared memory is not supported by this server; send tensor data in raw_input_contents and read it from raw_output_contents';
const TRACE = 'tracing is not supported by this server (TraceSetting)';

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

export function settingsRpcs(log: Logger): UntypedServiceImplementation {
  return {
    SystemSharedMemoryStatus: unimplemented(SYSTEM_SHM),
    SystemSharedMemoryRegister: unimplemented(SYSTEM_SHM),
    SystemSharedMemoryUnregister: unimplemented(SYSTEM_SHM),
    CudaSharedMemoryStatus: unimplemented(CUDA_SHM),
    CudaSharedMemoryRegister: unimplemented(CUDA_SHM),
    CudaSharedMemoryUnregister: unimplemented(CUDA_SHM),
    TraceSetting: unimplemented(TRACE),
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
