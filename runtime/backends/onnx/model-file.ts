/**
 * Where the ONNX model of a version lives. As in Triton, `<version>/model.onnx`
 * may be a file, or a directory holding `model.onnx` next to its external
 * data files (the layout of models over 2 GB); ORT resolves external data
 * relative to the model file, so handing it the inner path is enough.
 *
 * @example
 * ```ts
 * await resolveModelFile('/repo/big/1/model.onnx'); // '/repo/big/1/model.onnx/model.onnx' when model.onnx is a directory
 * ```
 */
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { NereidError } from '../../../sdk/errors.ts';

/** The file name Triton looks for inside a model directory, whatever `default_model_filename` says. */
export const MODEL_FILE_IN_DIRECTORY = 'model.onnx';

/** A model file found on disk, with what identifies its content for the probe cache. */
export interface ModelFile {
  readonly path: string;
  readonly size: number;
  readonly mtimeMs: number;
}

async function statOrUndefined(file: string) {
  try {
    return await stat(file);
  } catch {
    return undefined;
  }
}

/**
 * The model file for `modelPath`. Throws UNAVAILABLE naming `what` when there
 * is none (Triton: "unable to find '<path>' for model instance ...").
 */
export async function resolveModelFile(modelPath: string, what: string): Promise<ModelFile> {
  let file = modelPath;
  let info = await statOrUndefined(file);
  if (info?.isDirectory()) {
    file = path.join(modelPath, MODEL_FILE_IN_DIRECTORY);
    info = await statOrUndefined(file);
  }
  if (!info?.isFile()) throw NereidError.unavailable(`${what}: unable to find '${file}'`);
  return { path: file, size: info.size, mtimeMs: info.mtimeMs };
}
