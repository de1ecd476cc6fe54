/**
 * Reads a model directory's `config.pbtxt` from disk. Parse errors carry the
 * file's path, line and column; a missing file is not an error (a backend
 * may auto-complete the whole config, as Triton allows for ONNX models).
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { NereidError } from '../../sdk/errors.ts';
import type { ModelConfig } from '../../sdk/model-config.ts';
import { parseModelConfigText } from './pbtxt/pbtxt-parser.ts';

/** The config file name inside a model directory. */
export const CONFIG_FILE_NAME = 'config.pbtxt';

/**
 * Parses `<modelDir>/config.pbtxt` into a raw config, or resolves undefined
 * when there is no such file.
 *
 * @example
 * ```ts
 * const raw = await readModelConfig('models/simple');
 * // parse errors read like "models/simple/config.pbtxt:12:5: unknown field 'max_batch' in message inference.ModelConfig"
 * ```
 */
export async function readModelConfig(modelDir: string): Promise<ModelConfig | undefined> {
  const file = join(modelDir, CONFIG_FILE_NAME);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw NereidError.invalidArg(`unable to read model configuration ${file}: ${(error as Error).message}`);
  }
  return parseModelConfigText(text, file);
}
