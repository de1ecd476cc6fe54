/**
 * The model's logger (Triton's `pb_utils.Logger`): one line per call to the
 * server log, which prefixes the model name. Arguments are formatted as
 * `console` formats them (joined with spaces, objects as JSON, tensors as a
 * summary without reading their data). Outside a served model (a unit test
 * calling the model directly) it writes to the global `console` instead.
 *
 * @example
 * ```ts
 * import { log } from 'nereid/model';
 * log.info('loaded vocabulary of', vocab.size, 'tokens');
 * log.verbose('batch', requests.length);
 * ```
 */
import { maybeHost } from './host-slot.ts';
import type { LogLevel } from './isolate-protocol.ts';
import { formatLogArgs } from './log-format.ts';

/** Log methods by level. */
export interface ModelLog {
  error(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  info(...args: unknown[]): void;
  /** Shown when the server runs with verbose logging. */
  verbose(...args: unknown[]): void;
}

function write(level: LogLevel, args: unknown[]): void {
  const message = formatLogArgs(args);
  const host = maybeHost();
  if (host !== undefined) host.log(level, message);
  else (globalThis as unknown as { console?: Record<string, (message: string) => void> }).console?.[level === 'verbose' ? 'debug' : level]?.(message);
}

/** Writes to the server log at the method's level. */
export const log: ModelLog = Object.freeze({
  error: (...args: unknown[]) => write('error', args),
  warn: (...args: unknown[]) => write('warn', args),
  info: (...args: unknown[]) => write('info', args),
  verbose: (...args: unknown[]) => write('verbose', args),
});
