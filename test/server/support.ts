/** Shared helpers for server tests: a quiet logger and tensors for the add/sub model. */
import { createLogger, type Logger } from '../../runtime/logging/logger.ts';
import { Tensor } from '../../sdk/tensor.ts';

/** A logger that keeps lines in memory, so tests can assert what was logged without noise. */
export function memoryLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  const log = createLogger({ write: (line) => lines.push(line) });
  return Object.assign(log, { lines });
}

/** INPUT0 = 0..15 and INPUT1 = 1 for every element, for `batch` rows. */
export function addSubInputs(batch = 1): Tensor[] {
  const a = new Int32Array(16 * batch).map((_, i) => i % 16);
  const b = new Int32Array(16 * batch).fill(1);
  return [new Tensor('INPUT0', 'INT32', [batch, 16], a), new Tensor('INPUT1', 'INT32', [batch, 16], b)];
}
