/**
 * The server log: one line per event on stderr, Triton-like levels, and the
 * settings of Triton's logging extension (log-settings.ts), read on every
 * line so that `POST /v2/logging` or gRPC `LogSettings` apply at once.
 * Children carry a prefix such as the model name and share their root's
 * settings.
 *
 * Line formats (`log_format`):
 * - `default`: `I 2026-12-06T14:20:01.123Z message` (level letter, then the time);
 * - `ISO8601`: `2026-12-06T14:20:01Z I message` (time to the second first, as Triton's).
 */
import { LogSettings } from './log-settings.ts';

export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

export interface Logger {
  error(message: string, detail?: unknown): void;
  warn(message: string): void;
  info(message: string): void;
  /** Logged only when the verbose level is at least `level` (default 1). */
  verbose(message: string, level?: number): void;
  /** A logger whose lines start with `prefix`. */
  child(prefix: string): Logger;
  /** What is logged and how: shared by this logger, its root and every child. */
  readonly settings: LogSettings;
}

export interface LoggerOptions {
  verboseLevel?: number;
  /** Suppress info lines (tests). */
  quiet?: boolean;
  write?: (line: string) => void;
  /** Settings to share (a server's frontends change them); by default new ones from `verboseLevel` and `quiet`. */
  settings?: LogSettings;
}

export function createLogger(options: LoggerOptions = {}, prefix = ''): Logger {
  const settings = options.settings ?? new LogSettings({ verboseLevel: options.verboseLevel ?? 0, info: !options.quiet });
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (tag: string, message: string) => {
    const time = new Date().toISOString();
    write(settings.format === 'ISO8601' ? `${time.slice(0, 19)}Z ${tag} ${prefix}${message}` : `${tag} ${time} ${prefix}${message}`);
  };
  return {
    settings,
    error(message, detail) {
      if (!settings.error) return;
      const stack = detail instanceof Error && detail.stack ? `\n${detail.stack}` : '';
      emit('E', message + stack);
    },
    warn(message) {
      if (settings.warning) emit('W', message);
    },
    info(message) {
      if (settings.info) emit('I', message);
    },
    verbose(message, level = 1) {
      if (settings.verboseLevel >= level) emit('V', message);
    },
    child(childPrefix) {
      return createLogger({ ...options, settings }, `${prefix}${childPrefix} `);
    },
  };
}
