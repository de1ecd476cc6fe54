/**
 * Loading and unloading models from a model.ts, as Triton's Python backend
 * does with `pb_utils.load_model` / `pb_utils.unload_model`: the same as the
 * repository API's load and unload, so the server must run with
 * `--model-control-mode=explicit`. Both return promises that reject with a
 * NereidError (the server's answer) when the load or unload fails.
 *
 * Refused, with an error instead of a hang:
 * - from `execute`: loading or unloading a model whose request is waiting
 *   for this call (this model itself, one that called it through BLS, or an
 *   ensemble running it as a step): its old version would wait for the
 *   requests that wait for it;
 * - from `initialize` (and code outside `execute`): a model whose load or
 *   unload is in progress (its own, or one loading at the same time, as at
 *   server start), which may be the very load running this code.
 *
 * @example
 * ```ts
 * import { isModelReady, loadModel, unloadModel } from 'nereid/model';
 *
 * if (!isModelReady('tokenizer')) await loadModel('tokenizer');
 * // A config override, and override files (Triton's `file:<version>/<path>` keys work too):
 * await loadModel('scorer', { config: { name: 'scorer', backend: 'onnxruntime', max_batch_size: 8 }, files: { '1/model.onnx': bytes } });
 * await unloadModel('scorer', { unloadDependents: true });
 * ```
 */
import { NereidError } from '../errors.ts';
import { callHost } from './bls.ts';

export interface LoadModelOptions {
  /** A complete model config (an object, or its JSON text) used instead of the repository's config.pbtxt. */
  config?: string | Record<string, unknown>;
  /** Override files, keyed `<version>/<path>` (or Triton's `file:<version>/<path>`); needs `config`. */
  files?: Record<string, Uint8Array>;
}

export interface UnloadModelOptions {
  /** Also unload an ensemble's step models that nothing else uses (Triton's `unload_dependents`). */
  unloadDependents?: boolean;
}

/** Loads (or reloads) model `name`; resolves once it is ready. */
export async function loadModel(name: string, options: LoadModelOptions = {}): Promise<void> {
  const what = `loadModel('${checkedName(name, 'loadModel')}')`;
  const config = options.config === undefined ? '' : typeof options.config === 'string' ? options.config : JSON.stringify(options.config);
  const files = options.files === undefined ? undefined : overrideFiles(options.files, what);
  const outcome = await callHost(what, (host, callId) => host.loadModel(callId, name, config, files));
  if (outcome.error) throw outcome.error;
}

/** Unloads model `name`; resolves once its in-flight requests have finished and it is gone. */
export async function unloadModel(name: string, options: UnloadModelOptions = {}): Promise<void> {
  const what = `unloadModel('${checkedName(name, 'unloadModel')}')`;
  const outcome = await callHost(what, (host, callId) => host.unloadModel(callId, name, options.unloadDependents === true));
  if (outcome.error) throw outcome.error;
}

function checkedName(name: string, what: string): string {
  if (typeof name !== 'string' || name === '') throw NereidError.invalidArg(`${what}: the model name must be a non-empty string`);
  return name;
}

/** The files keyed as the server takes them (`<version>/<path>`), each a Uint8Array. */
function overrideFiles(files: Record<string, Uint8Array>, what: string): Record<string, Uint8Array> {
  const out: Record<string, Uint8Array> = {};
  for (const [key, content] of Object.entries(files)) {
    if (!(content instanceof Uint8Array)) throw NereidError.invalidArg(`${what}: override file '${key}' must be a Uint8Array`);
    out[key.startsWith('file:') ? key.slice('file:'.length) : key] = content;
  }
  return out;
}
