/**
 * The RPCs for what nereid does not have: system and CUDA shared memory
 * (every one answers UNIMPLEMENTED: send tensors in `raw_input_contents`)
 * and tracing (UNIMPLEMENTED). LogSettings reports the log settings the
 * server runs with; changing them at run time is UNIMPLEMENTED (a request
 * that sets a value to what it already is succeeds).
 */
import type { UntypedServiceImplementation } from '@grpc/grpc-js';
import { NereidError } from '../../sdk/errors.ts';
import type { Logger } from '../logging/logger.ts';
import { unary, unimplemented } from './grpc-reply.ts';

const SYSTEM_SHM = 'system shared memory is not supported by this server; send tensor data in raw_input_contents and read it from raw_output_contents';
const CUDA_SHM = 'CUDA shared memory is not supported by this server; send tensor data in raw_input_contents and read it from raw_output_contents';
const TRACE = 'tracing is not supported by this server (TraceSetting)';

interface LogSettingValue {
  parameter_choice?: string;
  bool_param?: boolean;
  uint32_param?: number;
  string_param?: string;
}

/** The log settings, as Triton names them, of a server logging at `verboseLevel`. */
export function currentLogSettings(verboseLevel: number): Record<string, LogSettingValue> {
  return {
    log_file: { string_param: '' },
    log_info: { bool_param: true },
    log_warning: { bool_param: true },
    log_error: { bool_param: true },
    log_verbose_level: { uint32_param: verboseLevel },
    log_format: { string_param: 'default' },
  };
}

function sameValue(a: LogSettingValue, b: LogSettingValue): boolean {
  const choice = a.parameter_choice;
  return choice !== undefined && (b as Record<string, unknown>)[choice] === (a as Record<string, unknown>)[choice];
}

export function settingsRpcs(log: Logger, verboseLevel: number): UntypedServiceImplementation {
  return {
    SystemSharedMemoryStatus: unimplemented(SYSTEM_SHM),
    SystemSharedMemoryRegister: unimplemented(SYSTEM_SHM),
    SystemSharedMemoryUnregister: unimplemented(SYSTEM_SHM),
    CudaSharedMemoryStatus: unimplemented(CUDA_SHM),
    CudaSharedMemoryRegister: unimplemented(CUDA_SHM),
    CudaSharedMemoryUnregister: unimplemented(CUDA_SHM),
    TraceSetting: unimplemented(TRACE),
    LogSettings: unary(log, 'LogSettings', (request: { settings: Record<string, LogSettingValue> }) => {
      const current = currentLogSettings(verboseLevel);
      for (const [key, value] of Object.entries(request.settings)) {
        const now = current[key];
        if (!now) throw NereidError.invalidArg(`unknown log setting '${key}'; expected one of ${Object.keys(current).join(', ')}`);
        if (!sameValue(value, now)) {
          throw NereidError.unsupported(`changing log settings at run time is not supported by this server (setting '${key}'); start it with --log-verbose N instead`);
        }
      }
      return { settings: current };
    }),
  };
}
