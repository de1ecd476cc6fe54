/**
 * The places a model bundle may draw files from, and how files are named to
 * the model's author. Two regions are allowed: the model's own directory
 * (its versions, shared files and its own `node_modules`) and the nereid sdk,
 * which includes the few pure-JavaScript packages the sdk itself imports
 * (`SDK_PACKAGES`, from the server's `node_modules`). Every other file on the
 * host is out of reach, which is what keeps Node's lookup from walking up
 * into the server's own `node_modules`.
 *
 * Names shown to authors (error messages, mapped stack frames, the source
 * map's `sources`) are relative to the model directory (`1/model.ts`,
 * `node_modules/tiny/index.js`); sdk files are `nereid/sdk/<path>`, the way a
 * model imports them; anything else keeps its absolute path.
 *
 * @example
 * ```ts
 * const paths = new BundlePaths({ modelDir: '/repo/add', sdkRoot: '/srv/nereid/sdk', sdkEntry: '/srv/nereid/sdk/model/serve-model.ts', sdkPrelude: '/srv/nereid/sdk/model/prelude.ts' });
 * paths.displayName('/repo/add/1/model.ts');               // '1/model.ts'
 * paths.displayName('/srv/nereid/sdk/model/index.ts');     // 'nereid/sdk/model/index.ts'
 * ```
 */
import { access, realpath } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The server's own sdk directory (`<repo root>/sdk`), the target of `nereid` imports. */
export const DEFAULT_SDK_ROOT = fileURLToPath(new URL('../../../../sdk', import.meta.url));

/** The module whose `serveModel(module)` installs the isolate entry, relative to the sdk root. */
export const SERVE_MODEL_PATH = 'model/serve-model.ts';

/**
 * The sdk module the entry imports before anything else: it takes the host
 * bridge global and installs the isolate's globals (console, timers,
 * TextEncoder...) before model.ts or any other module runs. Relative to the sdk root.
 */
export const PRELUDE_PATH = 'model/prelude.ts';

/** What `nereid` and `nereid/model` stand for, relative to the sdk root. */
export const SDK_INDEX_PATH = 'model/index.ts';

/** Prefix of sdk files in names shown to authors. */
export const SDK_DISPLAY_PREFIX = 'nereid/sdk/';

/**
 * The server's packages that sdk files may import into a model bundle: pure
 * JavaScript with no Node APIs on the path the sdk uses (sdk/vision decodes
 * images with them inside isolates). Only sdk files get them, and only
 * these: a model's own imports still resolve in its own `node_modules`, and
 * a server package that needs Node (fastify, grpc-js) stays out even when an
 * sdk file names it. Each is a dependency in the root package.json
 * (test/backends/script-bundle/sdk-packages.test.ts checks).
 */
export const SDK_PACKAGES: readonly string[] = Object.freeze(['fflate', 'jpeg-js']);

/** Shown for files of `SDK_PACKAGES`: `nereid/node_modules/jpeg-js/lib/decoder.js`. */
export const SDK_PACKAGE_DISPLAY_PREFIX = 'nereid/node_modules/';

const packageDirs = new Map<string, Promise<string[]>>();

/**
 * The directories (through symlinks) of the `SDK_PACKAGES` installed for the
 * sdk at `sdkRoot`: the first `node_modules/<name>` Node's lookup meets going
 * up from it. One that is not installed is left out (an import of it then
 * fails to resolve, and says so). Looked up once per sdk root.
 */
export function sdkPackageDirs(sdkRoot: string): Promise<string[]> {
  let found = packageDirs.get(sdkRoot);
  if (found === undefined) {
    found = Promise.all(SDK_PACKAGES.map((name) => findPackageDir(sdkRoot, name))).then((dirs) => dirs.filter((dir) => dir !== undefined));
    packageDirs.set(sdkRoot, found);
  }
  return found;
}

async function findPackageDir(from: string, name: string): Promise<string | undefined> {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name);
    try {
      await access(path.join(candidate, 'package.json'));
      return await realpath(candidate);
    } catch {
      if (path.dirname(dir) === dir) return undefined;
    }
  }
}

/** True when `file` is `dir` itself or lies below it (both absolute and normalised). */
export function isInside(dir: string, file: string): boolean {
  const relative = path.relative(dir, file);
  return !relative.startsWith(`..${path.sep}`) && relative !== '..' && !path.isAbsolute(relative);
}

/**
 * The npm package a bare specifier names: `lodash/fp` -> `lodash`,
 * `@scope/pkg/sub` -> `@scope/pkg`.
 */
export function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** The installed package that holds `file` (its directory and name), when `file` lies in a `node_modules`. */
export function packageOf(file: string): { root: string; name: string } | undefined {
  const marker = `${path.sep}node_modules${path.sep}`;
  const at = file.lastIndexOf(marker);
  if (at < 0) return undefined;
  const rest = file.slice(at + marker.length).split(path.sep);
  const depth = rest[0]!.startsWith('@') ? 2 : 1;
  if (rest.length <= depth) return undefined;
  const segments = rest.slice(0, depth);
  return { root: file.slice(0, at + marker.length) + segments.join(path.sep), name: segments.join('/') };
}

export interface BundleRoots {
  /** `<repo>/<model>`, resolved through symlinks. */
  modelDir: string;
  /** The sdk directory `nereid/...` imports point into, resolved through symlinks. */
  sdkRoot: string;
  /** The module providing `serveModel`, resolved through symlinks. */
  sdkEntry: string;
  /** The module the entry imports first (the sdk's prelude), resolved through symlinks. */
  sdkPrelude: string;
  /** Directories of the `SDK_PACKAGES` the sdk may import (`sdkPackageDirs`); none when absent. */
  sdkPackages?: readonly string[];
}

/** The two regions of a model bundle, and the names their files go by. */
export class BundlePaths {
  readonly modelDir: string;
  readonly sdkRoot: string;
  readonly sdkEntry: string;
  readonly sdkPrelude: string;
  /**
   * Directories whose files count as sdk: the sdk root, and the entry's and
   * prelude's own directories when they lie elsewhere (a test's stub sdk).
   */
  readonly #sdkDirs: string[];
  readonly #sdkPackages: readonly string[];

  constructor(roots: BundleRoots) {
    this.modelDir = roots.modelDir;
    this.sdkRoot = roots.sdkRoot;
    this.sdkEntry = roots.sdkEntry;
    this.sdkPrelude = roots.sdkPrelude;
    this.#sdkPackages = roots.sdkPackages ?? [];
    this.#sdkDirs = [roots.sdkRoot];
    for (const file of [roots.sdkEntry, roots.sdkPrelude]) {
      const dir = path.dirname(file);
      if (!this.#sdkDirs.some((known) => isInside(known, dir))) this.#sdkDirs.push(dir);
    }
  }

  isModelFile(file: string): boolean {
    return isInside(this.modelDir, file);
  }

  /** A file of the sdk, or of one of the packages it may import. */
  isSdkFile(file: string): boolean {
    return this.#sdkDirs.some((dir) => isInside(dir, file)) || this.#sdkPackages.some((dir) => isInside(dir, file));
  }

  /** The name an author sees for `file`. */
  displayName(file: string): string {
    if (this.isModelFile(file)) return toPosix(path.relative(this.modelDir, file));
    const sdkDir = this.#sdkDirs.find((dir) => isInside(dir, file));
    if (sdkDir !== undefined) return SDK_DISPLAY_PREFIX + toPosix(path.relative(sdkDir, file));
    const packageDir = this.#sdkPackages.find((dir) => isInside(dir, file));
    if (packageDir !== undefined) return SDK_PACKAGE_DISPLAY_PREFIX + toPosix(path.relative(path.dirname(packageDir), file));
    return file;
  }
}

function toPosix(relative: string): string {
  return path.sep === '/' ? relative : relative.split(path.sep).join('/');
}
