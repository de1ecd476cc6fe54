/**
 * Turns a model's `model.ts` (and everything it imports) into one script for
 * an isolated-vm isolate: an esbuild iife whose virtual entry runs the sdk's
 * prelude (which takes the `__nereidHost` global the host installed before
 * running the script), then hands the model's module namespace to the sdk's
 * `serveModel`, which installs the `__nereidModel` global (see
 * sdk/model/isolate-protocol.ts). What may be imported is decided by
 * ./import-policy.ts; a build that breaks its rules is run a second time with
 * every import checked, so each problem is reported at its import (the first
 * run checks only package imports, for speed: see `PolicyScope`).
 *
 * Bundles are cached in memory by the content of every file that went into
 * them (path + bytes) and the bundler's options: reloading an unchanged model
 * re-reads and re-hashes its inputs (about a millisecond for a small model)
 * instead of rebuilding. The bytes hashed are the bytes esbuild compiled (our
 * onLoad hook reads each file once for both), so an edit racing a build
 * cannot leave a stale bundle under a fresh hash. Not detected: a new file
 * that would change how an unchanged import resolves (adding `x.ts` next to
 * an imported `x.js`, installing a package where a built-in polyfill was
 * used); `clear(modelDir)` picks those up.
 *
 * @example
 * ```ts
 * const bundle = await bundleModel({ modelFile: '/repo/add/1/model.ts', modelDir: '/repo/add', modelName: 'add' });
 * isolate.compileScriptSync(bundle.code, { filename: bundle.sourceURL }).runSync(context);
 * ```
 */
import { createHash } from 'node:crypto';
import { readFile, realpath, stat } from 'node:fs/promises';
import { SourceMap, type SourceMapPayload } from 'node:module';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { NereidError } from '../../../../sdk/errors.ts';
import { bundleError, ENTRY_DISPLAY_NAME, formatMessage } from './bundle-errors.ts';
import { BundlePaths, DEFAULT_SDK_ROOT, isInside, PRELUDE_PATH, sdkPackageDirs, SERVE_MODEL_PATH } from './bundle-paths.ts';
import { findComputedImports } from './computed-imports.ts';
import { ENTRY_NAMESPACE, ENTRY_PATH, importPolicyPlugin, type PolicyScope, verifyInputs } from './import-policy.ts';

export interface BundleOptions {
  /** Absolute path of the model's entry file (`<repo>/<model>/<version>/model.ts`, or `default_model_filename`). */
  modelFile: string;
  /** Absolute path of `<repo>/<model>`: the only directory the bundle may draw files from, besides the sdk. */
  modelDir: string;
  modelName: string;
  /** The sdk directory `nereid` imports map to; defaults to the server's own `<repo root>/sdk`. For tests. */
  sdkRoot?: string;
  /** The module exporting `serveModel`; defaults to `<sdkRoot>/model/serve-model.ts`. For tests. */
  sdkEntry?: string;
  /** The module the entry imports first; defaults to `<sdkRoot>/model/prelude.ts`. For tests. */
  sdkPrelude?: string;
}

export interface ModelBundle {
  /** The iife, ending with `//# sourceURL=<sourceURL>`. Run it once per context; it defines `__nereidModel`. */
  readonly code: string;
  /** The external source map (JSON text); its `sources` are the names authors see (`1/model.ts`, `nereid/sdk/...`). */
  readonly sourceMap: string;
  /** `nereid-model://<model>/<file relative to the model dir>`: the script's name in V8 stack frames. */
  readonly sourceURL: string;
  /** Content hash of every input (paths and bytes) and of the bundler's options. */
  readonly hash: string;
  /** Absolute paths of every file bundled, for poll-mode change detection. */
  readonly inputs: readonly string[];
  /** esbuild's warnings (`file:line:col: text`), for the load log; e.g. `import.meta` is empty in an iife. */
  readonly warnings: readonly string[];
  /**
   * False when no file of the model's own mentions `autoCompleteConfig` (or
   * has an `export *`), so the model cannot export the hook and the backend
   * need not start an isolate to ask.
   */
  readonly mayExportAutoComplete: boolean;
}

export interface BundlerStats {
  /** Bundles built, successfully or not (a build that breaks the import rules runs esbuild twice: still one). */
  builds: number;
  /** Calls answered from the cache. */
  hits: number;
}

/** Bump when the bundle's shape changes without an esbuild or input change, so cached hashes differ. */
const BUNDLE_FORMAT = 1;

const TARGET = 'es2022';

/** Loaders for the files we read ourselves (to hash exactly what is compiled); esbuild's own choice for each extension. */
const LOADERS: Record<string, esbuild.Loader> = {
  '.ts': 'ts',
  '.mts': 'ts',
  '.cts': 'ts',
  '.tsx': 'tsx',
  '.js': 'js',
  '.mjs': 'js',
  '.cjs': 'js',
  '.jsx': 'jsx',
  '.json': 'json',
};

const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** The path through symlinks, or just the absolute path when it does not exist (esbuild then reports it). */
async function realpathOrResolve(file: string): Promise<string> {
  try {
    return await realpath(file);
  } catch {
    return path.resolve(file);
  }
}

/** One combined hash over the options and each input's path and content digest. */
function combineHash(optionsKey: string, inputs: readonly string[], digestOf: (file: string) => string): string {
  const hash = createHash('sha256').update(optionsKey);
  for (const file of inputs) hash.update(`\0${file}\0${digestOf(file)}`);
  return hash.digest('hex');
}

/** Records the digest of every file esbuild loads from disk, serving it the very bytes hashed. */
/** What the input recorder learns while esbuild loads the files. */
interface RecordedInputs {
  /** sha256 of every file loaded, by absolute path. */
  readonly digests: Map<string, string>;
  /** Whether a file of the model's own (not a package, not the sdk) could export `autoCompleteConfig`. */
  autoCompleteHook: boolean;
}

// `export *` could re-export the hook from a package without naming it.
const AUTO_COMPLETE_HOOK = /\bautoCompleteConfig\b|\bexport\s*\*/;

function inputRecorderPlugin(paths: BundlePaths, recorded: RecordedInputs): esbuild.Plugin {
  return {
    name: 'nereid-input-recorder',
    setup(build) {
      build.onLoad({ filter: /\.(?:[cm]?[jt]s|[jt]sx|json)$/, namespace: 'file' }, async (args) => {
        const loader = LOADERS[path.extname(args.path)];
        if (loader === undefined) return undefined;
        const bytes = await readFile(args.path);
        recorded.digests.set(args.path, sha256(bytes));
        if (!recorded.autoCompleteHook && isModelOwnFile(paths, args.path) && AUTO_COMPLETE_HOOK.test(bytes.toString('utf8'))) {
          recorded.autoCompleteHook = true;
        }
        return { contents: bytes, loader };
      });
    },
  };
}

function isModelOwnFile(paths: BundlePaths, file: string): boolean {
  return isInside(paths.modelDir, file) && !file.split(path.sep).includes('node_modules');
}

interface ResolvedOptions {
  paths: BundlePaths;
  /** The model directory as given (absolute), for `clear()`; `paths.modelDir` is it through symlinks. */
  givenModelDir: string;
  modelFile: string;
  modelName: string;
  /** Everything besides the inputs that decides the output. */
  optionsKey: string;
}

/** Builds model bundles and caches them by content. One per server; tests make their own. */
export class ModelBundler {
  readonly #cache = new Map<string, { bundle: ModelBundle; modelDirs: string[] }>();
  /** Concurrent loads of one model share one build. */
  readonly #pending = new Map<string, Promise<ModelBundle>>();
  #builds = 0;
  #hits = 0;

  get stats(): BundlerStats {
    return { builds: this.#builds, hits: this.#hits };
  }

  /**
   * The bundle for `options.modelFile`. Throws INVALID_ARG listing the
   * problems when it cannot be bundled, UNAVAILABLE when the file is missing.
   */
  async bundle(options: BundleOptions): Promise<ModelBundle> {
    const resolved = await resolveOptions(options);
    const key = resolved.optionsKey;
    const pending = this.#pending.get(key);
    if (pending !== undefined) return pending;
    const work = this.#bundle(key, resolved).finally(() => this.#pending.delete(key));
    this.#pending.set(key, work);
    return work;
  }

  /** Forgets every cached bundle (or just those of `modelDir`). */
  clear(modelDir?: string): void {
    const dir = modelDir === undefined ? undefined : path.resolve(modelDir);
    for (const [key, entry] of this.#cache) {
      if (dir === undefined || entry.modelDirs.includes(dir)) this.#cache.delete(key);
    }
  }

  async #bundle(key: string, resolved: ResolvedOptions): Promise<ModelBundle> {
    const cached = this.#cache.get(key)?.bundle;
    if (cached !== undefined && (await currentHash(key, cached.inputs)) === cached.hash) {
      this.#hits += 1;
      return cached;
    }
    this.#cache.delete(key);
    this.#builds += 1;
    const bundle = await build(resolved);
    this.#cache.set(key, { bundle, modelDirs: [resolved.givenModelDir, resolved.paths.modelDir] });
    return bundle;
  }
}

async function resolveOptions(options: BundleOptions): Promise<ResolvedOptions> {
  const modelDir = await realpathOrResolve(options.modelDir);
  const modelFile = await realpathOrResolve(options.modelFile);
  const sdkRoot = await realpathOrResolve(options.sdkRoot ?? DEFAULT_SDK_ROOT);
  const sdkEntry = await realpathOrResolve(options.sdkEntry ?? path.join(sdkRoot, SERVE_MODEL_PATH));
  const sdkPrelude = await realpathOrResolve(options.sdkPrelude ?? path.join(sdkRoot, PRELUDE_PATH));
  const info = await stat(modelFile).catch(() => undefined);
  if (!info?.isFile()) throw NereidError.unavailable(`model '${options.modelName}': unable to find '${options.modelFile}'`);
  if (!isInside(modelDir, modelFile)) {
    throw NereidError.invalidArg(
      `model '${options.modelName}': model file ${options.modelFile} is not inside the model directory ${options.modelDir}`,
    );
  }
  const roots = { modelDir, sdkRoot, sdkEntry, sdkPrelude, sdkPackages: await sdkPackageDirs(sdkRoot) };
  const optionsKey = JSON.stringify({ format: BUNDLE_FORMAT, esbuild: esbuild.version, name: options.modelName, modelFile, ...roots });
  return {
    paths: new BundlePaths(roots),
    givenModelDir: path.resolve(options.modelDir),
    modelFile,
    modelName: options.modelName,
    optionsKey,
  };
}

/** The hash the inputs have now, or undefined when one can no longer be read. */
async function currentHash(optionsKey: string, inputs: readonly string[]): Promise<string | undefined> {
  try {
    const digests = new Map<string, string>();
    await Promise.all(inputs.map(async (file) => digests.set(file, sha256(await readFile(file)))));
    return combineHash(optionsKey, inputs, (file) => digests.get(file)!);
  } catch {
    return undefined;
  }
}

type EsbuildOutcome =
  | { ok: true; result: esbuild.BuildResult<{ write: false; metafile: true }>; recorded: RecordedInputs }
  | { ok: false; errors: esbuild.Message[] };
type EsbuildSuccess = Extract<EsbuildOutcome, { ok: true }>;

/** One esbuild run; build errors come back as data, anything else (esbuild itself failing) is thrown. */
async function runEsbuild(resolved: ResolvedOptions, scope: PolicyScope): Promise<EsbuildOutcome> {
  const { paths, modelFile } = resolved;
  const recorded: RecordedInputs = { digests: new Map(), autoCompleteHook: false };
  try {
    const result = await esbuild.build({
      entryPoints: [`${ENTRY_NAMESPACE}:${ENTRY_PATH}`],
      absWorkingDir: paths.modelDir,
      // Never written (write: false); it names the map's `sources` relative to the model directory.
      outfile: path.join(paths.modelDir, 'model.bundle.js'),
      write: false,
      bundle: true,
      format: 'iife',
      platform: 'neutral',
      target: TARGET,
      // platform 'neutral' has no main fields: without these, packages with only `main` fail to resolve.
      mainFields: ['module', 'main'],
      // Neither 'node' (its builds import built-ins) nor 'browser' (window, DOM): the package's default
      // export, its ESM build ('module'), or a build made for us ('nereid').
      conditions: ['nereid', 'module'],
      // Packages branch on it; an isolate has no `process`, so the reference alone would throw.
      define: { 'process.env.NODE_ENV': '"production"' },
      // The author's tsconfig.json is not read: its paths, baseUrl or experimentalDecorators would make
      // the bundle differ from what a plain checkout of the model means.
      tsconfigRaw: {},
      sourcemap: 'external',
      // The map only maps stack frames on the host; the sources are on disk.
      sourcesContent: false,
      metafile: true,
      logLevel: 'silent',
      plugins: [importPolicyPlugin(paths, modelFile, scope), inputRecorderPlugin(paths, recorded)],
    });
    return { ok: true, result, recorded };
  } catch (error) {
    const failure = error as Partial<esbuild.BuildFailure>;
    if (Array.isArray(failure.errors)) return { ok: false, errors: failure.errors };
    throw error;
  }
}

/**
 * esbuild, checking only bare imports in the plugin and the finished build's
 * files afterwards; when that fails or does not verify, once more with every
 * import checked, so each problem is reported at its import.
 */
async function checkedBuild(resolved: ResolvedOptions, modelFileName: string): Promise<EsbuildSuccess> {
  const { paths, modelName } = resolved;
  const fail = (problems: string[]) => bundleError(modelName, modelFileName, problems);
  let outcome = await runEsbuild(resolved, 'bare');
  if (outcome.ok && (await verifyInputs(outcome.result.metafile, paths)).length === 0) return outcome;
  outcome = await runEsbuild(resolved, 'all');
  if (!outcome.ok) throw fail(outcome.errors.map((message) => formatMessage(message, paths)));
  const problems = await verifyInputs(outcome.result.metafile, paths);
  if (problems.length > 0) throw fail(problems);
  return outcome;
}

async function build(resolved: ResolvedOptions): Promise<ModelBundle> {
  const { paths, modelFile, modelName } = resolved;
  const modelFileName = paths.displayName(modelFile);
  let outcome: EsbuildSuccess;
  try {
    outcome = await checkedBuild(resolved, modelFileName);
  } catch (error) {
    if (error instanceof NereidError) throw error;
    throw NereidError.internal(`model '${modelName}': bundling ${modelFileName} failed: ${(error as Error).message}`, error);
  }
  const { result, recorded } = outcome;
  const { digests } = recorded;

  const codeFile = result.outputFiles.find((file) => file.path.endsWith('.js'));
  const mapFile = result.outputFiles.find((file) => file.path.endsWith('.js.map'));
  if (codeFile === undefined || mapFile === undefined) throw NereidError.internal(`model '${modelName}': esbuild produced no bundle`);

  const payload = JSON.parse(mapFile.text) as SourceMapPayload;
  payload.sources = payload.sources.map((source) =>
    source.startsWith(`${ENTRY_NAMESPACE}:`) ? ENTRY_DISPLAY_NAME : paths.displayName(path.resolve(paths.modelDir, source)),
  );
  let parsed: SourceMap | undefined;
  const computed = findComputedImports(
    codeFile.text,
    () => (parsed ??= new SourceMap(payload)),
    (source) => source !== ENTRY_DISPLAY_NAME && !source.split('/').includes('node_modules'),
  );
  if (computed.length > 0) {
    throw bundleError(
      modelName,
      modelFileName,
      computed.map(
        (at) =>
          `${at.source}:${at.line}:${at.column}: cannot bundle import() of a computed specifier: a model isolate has no module loader; ` +
          `import the module statically, or with a string literal path`,
      ),
    );
  }

  const inputs = Object.keys(result.metafile.inputs)
    .filter((input) => !input.startsWith(`${ENTRY_NAMESPACE}:`))
    .map((input) => path.resolve(paths.modelDir, input))
    .sort();
  // Files esbuild loaded itself (a loader we leave to it, such as text) are hashed as they are now.
  for (const file of inputs) if (!digests.has(file)) digests.set(file, sha256(await readFile(file)));
  const hash = combineHash(resolved.optionsKey, inputs, (file) => digests.get(file)!);
  const sourceURL = `nereid-model://${encodeURI(`${modelName}/${modelFileName}`)}`;
  return {
    code: `${codeFile.text}//# sourceURL=${sourceURL}`,
    sourceMap: JSON.stringify(payload),
    sourceURL,
    hash,
    inputs,
    warnings: result.warnings.map((message) => formatMessage(message, paths)),
    mayExportAutoComplete: recorded.autoCompleteHook,
  };
}

/** The server's bundler. */
export const modelBundler = new ModelBundler();

/** Bundles a model with the server's bundler (cached by content). */
export function bundleModel(options: BundleOptions): Promise<ModelBundle> {
  return modelBundler.bundle(options);
}

/** Empties the server bundler's cache (all models, or just those of `modelDir`). */
export function clearBundleCache(modelDir?: string): void {
  modelBundler.clear(modelDir);
}
