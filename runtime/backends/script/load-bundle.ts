/**
 * The bundle of a model.ts as script instances use it: code, the name V8
 * gives it in stack traces, and a mapper from those traces to source files.
 */
import { bundleModel } from './bundle/model-bundler.ts';
import { mapStack } from './bundle/stack-mapper.ts';
import type { LoadedBundle } from './script-instance.ts';

export async function loadBundle(modelFile: string, modelDir: string, modelName: string): Promise<LoadedBundle> {
  const bundle = await bundleModel({ modelFile, modelDir, modelName });
  return { code: bundle.code, filename: bundle.sourceURL, mayExportAutoComplete: bundle.mayExportAutoComplete, mapStack: (stack) => mapStack(bundle, stack) };
}
