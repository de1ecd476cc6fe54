/**
 * The `console` a model gets: every method writes one line to the server log
 * (the host adds the model name). `log`/`info`/`dir` log at info, `warn` at
 * warn, `error` and a failed `assert` at error, `debug` and `trace` at verbose.
 *
 * @example
 * ```ts
 * const console = createConsole((level, message) => host.log(level, message));
 * console.warn('slow step', 12.5); // host.log('warn', 'slow step 12.5')
 * ```
 */
import type { LogLevel } from './isolate-protocol.ts';
import { formatLogArgs } from './log-format.ts';

/** The subset of the standard console that a model gets. */
export interface ModelConsole {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
  trace(...args: unknown[]): void;
  dir(value: unknown): void;
  assert(condition?: unknown, ...args: unknown[]): void;
}

/** A console writing through `write`. */
export function createConsole(write: (level: LogLevel, message: string) => void): ModelConsole {
  const at =
    (level: LogLevel) =>
    (...args: unknown[]): void =>
      write(level, formatLogArgs(args));
  return Object.freeze({
    log: at('info'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    debug: at('verbose'),
    dir: (value: unknown) => write('info', formatLogArgs([value])),
    trace: (...args: unknown[]) => {
      const stack = (new Error().stack ?? '').split('\n').slice(2).join('\n');
      write('verbose', `Trace: ${formatLogArgs(args)}${stack ? `\n${stack}` : ''}`);
    },
    assert: (condition?: unknown, ...args: unknown[]) => {
      if (!condition) write('error', `Assertion failed${args.length > 0 ? `: ${formatLogArgs(args)}` : ''}`);
    },
  });
}
