/**
 * The server log: one line per event on stderr, Triton-like levels, and a
 * verbosity knob (`--log-verbose N`). Children carry a prefix such as the model name.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'verbose';

export interface Logger {
  error(message: string, detail?: unknown): void;
  warn(message: string): void;
  info(message: string): void;
  /** Logged only when the verbose level is at least `level` (default 1). */
  verbose(message: string, level?: number): void;
  /** A logger whose lines start with `prefix`. */
  child(prefix: string): Logger;
}

export interface LoggerOptions {
  verboseLevel?: number;
  /** Suppress info lines (tests). */
  quiet?: boolean;
  write?: (line: string) => void;
}

export function createLogger(options: LoggerOptions = {}, prefix = ''): Logger {
  const verboseLevel = options.verboseLevel ?? 0;
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const emit = (tag: string, message: string) => write(`${tag} ${new Date().toISOString()} ${prefix}${message}`);
  return {
    error(message, detail) {
      const stack = detail instanceof Error && detail.stack ? `\n${detail.stack}` : '';
      emit('E', message + stack);
    },
    warn(message) {
      emit('W', message);
    },
    info(message) {
      if (!options.quiet) emit('I', message);
    },
    verbose(message, level = 1) {
      if (verboseLevel >= level) emit('V', message);
    },
    child(childPrefix) {
      return createLogger(options, `${prefix}${childPrefix} `);
    },
  };
}
