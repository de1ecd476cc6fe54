/**
 * esbuild's messages, as a model's author reads them: one load error naming
 * the model, then the first few problems as `file:line:col: text`, with files
 * named relative to the model directory (sdk files as `nereid/sdk/<path>`).
 * Columns are 1-based, as in editors and V8 stack traces (esbuild's are 0-based).
 *
 * @example
 * ```ts
 * throw bundleError('add', '1/model.ts', ["1/model.ts:1:16: cannot import 'fs': ..."]);
 * // model 'add': cannot bundle 1/model.ts:
 * //   1/model.ts:1:16: cannot import 'fs': ...
 * ```
 */
import path from 'node:path';
import type { Message } from 'esbuild';
import { NereidError } from '../../../../sdk/errors.ts';
import type { BundlePaths } from './bundle-paths.ts';
import { ENTRY_NAMESPACE } from './import-policy.ts';

/** How many problems one load error lists; the rest are counted. */
export const MAX_REPORTED_PROBLEMS = 5;

/** Name shown for the virtual entry module, which is ours, not the author's. */
export const ENTRY_DISPLAY_NAME = '<nereid entry>';

/** One esbuild message as `file:line:col: text` (just `text` when it has no location). */
export function formatMessage(message: Message, paths: BundlePaths): string {
  const location = message.location;
  if (location === null) return message.text;
  const file =
    location.namespace === ENTRY_NAMESPACE
      ? ENTRY_DISPLAY_NAME
      : location.namespace === '' || location.namespace === 'file'
        ? paths.displayName(path.resolve(paths.modelDir, location.file))
        : `${location.namespace}:${location.file}`;
  return `${file}:${location.line}:${location.column + 1}: ${message.text}`;
}

/** The load error for a model whose bundle failed, listing `problems` (already formatted). */
export function bundleError(modelName: string, modelFileName: string, problems: readonly string[]): NereidError {
  const shown = problems.slice(0, MAX_REPORTED_PROBLEMS).map((problem) => `\n  ${problem}`);
  const more = problems.length - shown.length;
  const tail = more > 0 ? `\n  ... and ${more} more error${more === 1 ? '' : 's'}` : '';
  return NereidError.invalidArg(`model '${modelName}': cannot bundle ${modelFileName}:${shown.join('')}${tail}`);
}
