/**
 * The esbuild plugin that decides what a model bundle may import. A bundle
 * runs in an isolate with no Node APIs and no module loader, so everything
 * must be resolved at load time, and only from two places: the model's own
 * directory and the nereid sdk. Each refusal is an esbuild error at the
 * import itself (esbuild adds the file and line:col), saying what to do.
 *
 * - `nereid`, `nereid/model` -> `<sdk>/model/index.ts`; `nereid/sdk/<path>` ->
 *   `<sdk>/<path>`. Always the server's own sdk, even when the model has
 *   installed a `nereid` package for its editor: the isolate protocol must
 *   match the server that runs it.
 * - Node built-ins are refused (`node:x` always; a bare `events`, `buffer`...
 *   only when the model has not installed a package of that name, which is
 *   then a pure-JS polyfill and allowed).
 * - Relative imports and packages are resolved by esbuild's own resolver and
 *   must land inside the model directory (the sdk's files: inside the sdk,
 *   or in one of the server packages the sdk may import, `SDK_PACKAGES`).
 *   Node's lookup walks up to the server's `node_modules`; a package found
 *   there is reported as not installed.
 * - Native addons (`.node` files, packages with `binding.gyp` or
 *   `"gypfile": true`) are refused.
 *
 * The finished build's files are checked again by `verifyInputs`: glob
 * imports (import(`./locales/${name}.json`)) never reach a plugin, and for
 * speed the plugin may leave relative imports to esbuild (`PolicyScope`).
 *
 * This plugin also provides the bundle's virtual entry (namespace
 * `nereid-entry`): the sdk's prelude first (it takes the host bridge and
 * installs the isolate's globals before any other module runs), then
 * `import * as model from '<model.ts>'` handed to the sdk's `serveModel`,
 * which installs the isolate entry global.
 */
import { constants } from 'node:fs';
import { access, readFile } from 'node:fs/promises';
import { isBuiltin } from 'node:module';
import path from 'node:path';
import type { Metafile, OnResolveArgs, OnResolveResult, Plugin, PluginBuild } from 'esbuild';
import { type BundlePaths, isInside, packageNameOf, packageOf, SDK_INDEX_PATH, SDK_PACKAGES } from './bundle-paths.ts';

/** Namespace and path of the virtual entry module (also its key in the metafile: `nereid-entry:entry`). */
export const ENTRY_NAMESPACE = 'nereid-entry';
export const ENTRY_PATH = 'entry';

/** Marks our own nested `build.resolve` calls, so the plugin lets esbuild's resolver answer them. */
const INNER = Symbol('nereid-inner-resolve');

/** The virtual entry's source; ESM evaluates its imports in this order. */
export function entrySource(modelFile: string, sdkEntry: string, sdkPrelude: string): string {
  return [
    `import ${JSON.stringify(sdkPrelude)};`,
    `import * as model from ${JSON.stringify(modelFile)};`,
    `import { serveModel } from ${JSON.stringify(sdkEntry)};`,
    'serveModel(model);',
    '',
  ].join('\n');
}

const refuse = (text: string): OnResolveResult => ({ errors: [{ text }] });

const URL_SCHEME = /^[a-z][a-z0-9+.-]*:/i;

const isBare = (specifier: string) => !specifier.startsWith('.') && !path.isAbsolute(specifier);

async function exists(file: string): Promise<boolean> {
  try {
    await access(file, constants.F_OK);
    return true;
  } catch {
    return false;
  }
}

/** Why the package at `packageRoot` is a native addon, or undefined when it is not one. */
async function nativeAddonReason(packageRoot: string): Promise<string | undefined> {
  if (await exists(path.join(packageRoot, 'binding.gyp'))) return 'it has a binding.gyp';
  try {
    const manifest = JSON.parse(await readFile(path.join(packageRoot, 'package.json'), 'utf8')) as { gypfile?: unknown };
    if (manifest.gypfile === true) return 'its package.json sets "gypfile": true';
  } catch {
    // No readable manifest: esbuild has already resolved a file in it, nothing more to learn here.
  }
  return undefined;
}

/**
 * Which imports the plugin sees. Each import a plugin sees costs two round
 * trips to esbuild's process (the callback, then `build.resolve`): checking
 * every import made a model with the sdk bundle in ~90 ms instead of ~20.
 * - `bare`: packages, built-ins and `nereid` only; relative and absolute
 *   imports go to esbuild's own resolver, and `verifyInputs` checks the
 *   finished build's files instead (same rules, but no import location).
 * - `all`: every import, each problem reported at its import. The bundler
 *   rebuilds this way when a `bare` build fails or does not verify.
 */
export type PolicyScope = 'bare' | 'all';

/** Native-addon checks for one build: one look per package, however many of its files are bundled. */
class NativeAddons {
  readonly #byPackage = new Map<string, Promise<string | undefined>>();

  /** Why `file` is (part of) a native addon, or undefined. */
  async reason(file: string): Promise<string | undefined> {
    if (file.endsWith('.node')) return 'it is a native addon (.node file)';
    const owner = packageOf(file);
    if (owner === undefined) return undefined;
    let check = this.#byPackage.get(owner.root);
    if (check === undefined) {
      check = nativeAddonReason(owner.root);
      this.#byPackage.set(owner.root, check);
    }
    const reason = await check;
    return reason === undefined ? undefined : `package '${owner.name}' is a native addon (${reason})`;
  }
}

/** The plugin for one build; `modelFile` is the model's entry file (absolute, resolved through symlinks). */
export function importPolicyPlugin(paths: BundlePaths, modelFile: string, scope: PolicyScope): Plugin {
  return {
    name: 'nereid-import-policy',
    setup(build) {
      const policy = new ImportPolicy(build, paths);
      build.onResolve({ filter: scope === 'all' ? /.*/ : /^[^./]/ }, (args) => {
        if (args.pluginData === INNER) return undefined;
        if (args.kind === 'entry-point') return { path: ENTRY_PATH, namespace: ENTRY_NAMESPACE };
        return policy.resolve(args);
      });
      build.onLoad({ filter: /.*/, namespace: ENTRY_NAMESPACE }, () => ({
        contents: entrySource(modelFile, paths.sdkEntry, paths.sdkPrelude),
        loader: 'js',
        resolveDir: paths.modelDir,
      }));
    },
  };
}

class ImportPolicy {
  readonly #build: PluginBuild;
  readonly #paths: BundlePaths;
  readonly #nativeAddons = new NativeAddons();

  constructor(build: PluginBuild, paths: BundlePaths) {
    this.#build = build;
    this.#paths = paths;
  }

  async resolve(args: OnResolveArgs): Promise<OnResolveResult> {
    const specifier = args.path;
    const fromEntry = args.namespace === ENTRY_NAMESPACE;
    const fromSdk = !fromEntry && this.#paths.isSdkFile(args.importer);

    if (specifier === 'nereid' || specifier.startsWith('nereid/')) return this.#resolveSdk(args);

    if (isBuiltin(specifier)) {
      const polyfill =
        !specifier.startsWith('node:') && !fromSdk && (await this.#installedInModel(packageNameOf(specifier), args.resolveDir));
      if (!polyfill) {
        return refuse(
          `cannot import '${specifier}': Node built-in modules are not available inside a model isolate; ` +
            `use the nereid sdk, or a pure-JavaScript package installed in the model directory`,
        );
      }
    }

    // `https://...` and other schemes (data: URLs are inlined by esbuild, and fine).
    if (URL_SCHEME.test(specifier) && !specifier.startsWith('data:')) {
      return refuse(`cannot import '${specifier}': a model cannot load modules from URLs; put the module in the model directory`);
    }

    const result = await this.#resolveInner(specifier, args, args.resolveDir);
    if (result.errors.length > 0) {
      if (isBare(specifier) && !fromSdk && !(await this.#installedInModel(packageNameOf(specifier), args.resolveDir))) {
        return refuse(this.#notInstalled(specifier));
      }
      // A file by its path in the model's node_modules (a data file a package's exports map does not list).
      if (!isBare(specifier) && !fromSdk && specifier.split('/').includes('node_modules') && (await exists(path.join(this.#paths.modelDir, 'package.json')))) {
        return refuse(
          `cannot import '${specifier}': no such file; the model's npm dependencies are not installed ` +
            `(run \`npm ci\` in ${this.#paths.modelDir}; the project's own npm ci installs those of its models/)`,
        );
      }
      return { errors: result.errors };
    }
    // Nothing may stay external: the isolate has no module loader to fetch it at run time.
    if (result.external) {
      return refuse(`cannot import '${specifier}': it would stay outside the bundle, and a model isolate cannot load modules at run time`);
    }
    // Not a file (a data: URL, say): inline, nothing on disk to check.
    if (result.namespace !== 'file') return { path: result.path, namespace: result.namespace, pluginData: result.pluginData };

    const file = result.path;
    if (!fromEntry) {
      if (fromSdk) {
        if (!this.#paths.isSdkFile(file)) {
          const allowed = isBare(specifier) ? ` (sdk files may import only the packages ${SDK_PACKAGES.join(', ')})` : '';
          return refuse(`cannot import '${specifier}': it resolves to ${file}, outside the nereid sdk${allowed}`);
        }
      } else if (!this.#paths.isModelFile(file)) {
        if (isBare(specifier)) return refuse(this.#notInstalled(specifier, file));
        return refuse(
          `cannot import '${specifier}': it resolves to ${file}, outside the model directory; ` +
            `a model may import only files inside ${this.#paths.modelDir}, and the nereid sdk as 'nereid' or 'nereid/sdk/<path>'`,
        );
      }
    }

    const native = await this.#nativeAddons.reason(file);
    if (native !== undefined) {
      return refuse(
        `cannot import '${specifier}': ${native}; native code cannot run inside a model isolate, ` +
          `use a pure-JavaScript alternative (or a WebAssembly one, with the model parameter enable_webassembly)`,
      );
    }
    return { path: file, sideEffects: result.sideEffects, suffix: result.suffix, pluginData: result.pluginData };
  }

  /** `nereid`, `nereid/model`, `nereid/sdk/<path>`: files of the server's sdk, whoever imports them. */
  async #resolveSdk(args: OnResolveArgs): Promise<OnResolveResult> {
    const specifier = args.path;
    const sdkRoot = this.#paths.sdkRoot;
    let target: string;
    if (specifier === 'nereid' || specifier === 'nereid/model') target = `./${SDK_INDEX_PATH}`;
    else if (specifier === 'nereid/sdk') target = '.';
    else if (specifier.startsWith('nereid/sdk/')) target = `./${specifier.slice('nereid/sdk/'.length)}`;
    else return refuse(`cannot import '${specifier}': the nereid sdk is imported as 'nereid', 'nereid/model' or 'nereid/sdk/<path>'`);

    const result = await this.#resolveInner(target, args, sdkRoot);
    if (result.errors.length > 0) {
      return refuse(`cannot import '${specifier}': no such file in the nereid sdk (${path.join(sdkRoot, target)})`);
    }
    if (!isInside(sdkRoot, result.path)) {
      return refuse(`cannot import '${specifier}': it resolves to ${result.path}, outside the nereid sdk`);
    }
    return { path: result.path, sideEffects: result.sideEffects };
  }

  #resolveInner(specifier: string, args: OnResolveArgs, resolveDir: string) {
    return this.#build.resolve(specifier, { kind: args.kind, importer: args.importer, resolveDir, with: args.with, pluginData: INNER });
  }

  #notInstalled(specifier: string, foundAt?: string): string {
    const name = packageNameOf(specifier);
    const where = foundAt === undefined ? '' : ` (it resolves to ${foundAt}, outside the model directory)`;
    return (
      `cannot import '${specifier}': package '${name}' is not installed in the model directory${where}; ` +
      `run \`npm install ${name}\` in ${this.#paths.modelDir}`
    );
  }

  /** Whether `node_modules/<name>` exists between `fromDir` and the model directory, the lookup Node would make. */
  async #installedInModel(name: string, fromDir: string): Promise<boolean> {
    for (let dir = fromDir; this.#paths.isModelFile(dir); dir = path.dirname(dir)) {
      if (await exists(path.join(dir, 'node_modules', name))) return true;
      if (dir === this.#paths.modelDir) break;
    }
    return false;
  }
}

/**
 * Problems (`file: text`) with the files of a finished build, which the
 * plugin may not have seen: files reached by relative imports in a `bare`
 * build, and files reached by glob imports (`import(`./locales/${name}.json`)`),
 * which esbuild expands without asking plugins. Each must lie in the model
 * directory or the sdk, and not belong to a native addon. Metafile paths are
 * relative to the model directory.
 */
export async function verifyInputs(metafile: Metafile, paths: BundlePaths): Promise<string[]> {
  const globs: Array<{ importer: string; pattern: string; base: string }> = [];
  for (const [input, info] of Object.entries(metafile.inputs)) {
    for (const entry of info.imports) {
      if (!entry.path.includes('*')) continue;
      const importer = path.resolve(paths.modelDir, input);
      const staticPart = entry.path.slice(0, entry.path.indexOf('*'));
      globs.push({ importer, pattern: entry.path, base: path.resolve(path.dirname(importer), path.dirname(`${staticPart}x`)) });
    }
  }
  const nativeAddons = new NativeAddons();
  const problems: string[] = [];
  for (const input of Object.keys(metafile.inputs)) {
    if (input.startsWith(`${ENTRY_NAMESPACE}:`)) continue;
    const file = path.resolve(paths.modelDir, input);
    const glob = globs.find((candidate) => isInside(candidate.base, file));
    const via = glob === undefined ? '' : `, reached by the glob import '${glob.pattern}'`;
    const where = glob === undefined ? paths.displayName(file) : paths.displayName(glob.importer);
    if (!paths.isModelFile(file) && !paths.isSdkFile(file)) {
      problems.push(`${where}: cannot bundle ${file}: it lies outside the model directory${via}; a model may import only files inside ${paths.modelDir}`);
      continue;
    }
    const native = await nativeAddons.reason(file);
    if (native !== undefined) {
      problems.push(`${where}: cannot bundle ${paths.displayName(file)}${via}: ${native}; native code cannot run inside a model isolate`);
    }
  }
  return problems;
}
