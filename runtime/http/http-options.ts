/**
 * Options of the HTTP frontend, checked once and frozen (as fastify does with
 * its own options): everything later reads the resolved copy.
 */
import { NereidError } from '../../sdk/errors.ts';
import { createLogger, type Logger } from '../logging/logger.ts';

/** Triton's default `--http-max-input-size`: 64 MiB. */
export const DEFAULT_MAX_INPUT_SIZE = 64 * 1024 * 1024;

export interface HttpFrontendOptions {
  /** TCP port; 0 picks a free one (tests). Default 8000, as Triton. */
  port?: number;
  /** Address to bind. Default 0.0.0.0, as Triton. */
  host?: string;
  /** Largest request body accepted, in bytes (`--http-max-input-size`). Default 64 MiB. */
  maxInputSize?: number;
  /** Where errors are logged (requests themselves are not: this is the hot path); /v2/logging reports and changes its settings. */
  log?: Logger;
}

export interface ResolvedHttpOptions {
  readonly port: number;
  readonly host: string;
  readonly maxInputSize: number;
  readonly log: Logger;
}

export function resolveHttpOptions(options: HttpFrontendOptions = {}): ResolvedHttpOptions {
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw NereidError.invalidArg(`HTTP port must be an integer from 0 to 65535, got ${port}`);
  }
  const maxInputSize = options.maxInputSize ?? DEFAULT_MAX_INPUT_SIZE;
  if (!Number.isSafeInteger(maxInputSize) || maxInputSize <= 0) {
    throw NereidError.invalidArg(`--http-max-input-size must be a positive number of bytes, got ${maxInputSize}`);
  }
  return Object.freeze({
    port,
    host: options.host ?? '0.0.0.0',
    maxInputSize,
    log: options.log ?? createLogger(),
  });
}
