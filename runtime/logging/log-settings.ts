/**
 * The server log's settings, as Triton's logging extension names them
 * (`GET/POST /v2/logging`, gRPC `LogSettings`): which levels are written, the
 * verbose level and the line format. One object is shared by the root logger
 * and every child, and read on every line, so a change applies at once to
 * every model and frontend.
 *
 * `log_file` is reported (always "": nereid writes its log to stderr) and may
 * not be changed; Triton itself no longer lets the API change it.
 *
 * @example
 * ```ts
 * const settings = new LogSettings({ verboseLevel: 1 });
 * settings.update({ log_info: false, log_format: 'ISO8601' });
 * settings.toTriton(); // { log_file: '', log_info: false, log_warning: true, log_error: true, log_verbose_level: 1, log_format: 'ISO8601' }
 * ```
 */
import { NereidError } from '../../sdk/errors.ts';
import type { LogSettingsMap } from '../../sdk/server-answers.ts';

export const LOG_FORMATS = ['default', 'ISO8601'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** A setting's value as Triton's logging extension carries it. */
export type LogSettingValue = LogSettingsMap[string];

export interface LogSettingsInit {
  info?: boolean;
  warning?: boolean;
  error?: boolean;
  verboseLevel?: number;
  format?: LogFormat;
}

const NAMES = ['log_file', 'log_info', 'log_warning', 'log_error', 'log_verbose_level', 'log_format'] as const;

export class LogSettings {
  info: boolean;
  warning: boolean;
  error: boolean;
  verboseLevel: number;
  format: LogFormat;

  constructor(init: LogSettingsInit = {}) {
    this.info = init.info ?? true;
    this.warning = init.warning ?? true;
    this.error = init.error ?? true;
    this.verboseLevel = init.verboseLevel ?? 0;
    this.format = init.format ?? 'default';
  }

  /** Every setting, under Triton's names. */
  toTriton(): LogSettingsMap {
    return {
      log_file: '',
      log_info: this.info,
      log_warning: this.warning,
      log_error: this.error,
      log_verbose_level: this.verboseLevel,
      log_format: this.format,
    };
  }

  /**
   * Applies the settings named in `changes` (Triton's names); the others stay.
   * All or nothing: a bad name or value is an INVALID_ARG naming the setting
   * and what it takes, and changes none.
   */
  update(changes: Readonly<Record<string, unknown>>): void {
    const next = new LogSettings(this);
    for (const [name, value] of Object.entries(changes)) {
      switch (name) {
        case 'log_info':
          next.info = requireBoolean(name, value);
          break;
        case 'log_warning':
          next.warning = requireBoolean(name, value);
          break;
        case 'log_error':
          next.error = requireBoolean(name, value);
          break;
        case 'log_verbose_level':
          if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > 0xffffffff) {
            throw NereidError.invalidArg(`log setting 'log_verbose_level' must be an integer >= 0, got ${JSON.stringify(value)}`);
          }
          next.verboseLevel = value;
          break;
        case 'log_format':
          if (!LOG_FORMATS.includes(value as LogFormat)) {
            throw NereidError.invalidArg(`log setting 'log_format' must be one of ${LOG_FORMATS.map((f) => `"${f}"`).join(', ')}, got ${JSON.stringify(value)}`);
          }
          next.format = value as LogFormat;
          break;
        case 'log_file':
          if (value !== '') {
            throw NereidError.invalidArg(`log setting 'log_file' cannot be changed: this server writes its log to stderr (redirect it to keep a file), got ${JSON.stringify(value)}`);
          }
          break;
        default:
          throw NereidError.invalidArg(`unknown log setting '${name}'; the settings are ${NAMES.join(', ')}`);
      }
    }
    Object.assign(this, next);
  }
}

function requireBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw NereidError.invalidArg(`log setting '${name}' must be a boolean, got ${JSON.stringify(value)}`);
  return value;
}
