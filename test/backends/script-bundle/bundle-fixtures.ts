/**
 * Model directories for the bundler's tests, written into a temp directory:
 * the committed fixture models (copied, so tests may edit them), the small
 * pure-JS packages they install (generated here, since `node_modules/` is
 * git-ignored everywhere), and one-file models written inline by a test.
 * A temp directory also keeps Node's upward package lookup away from the
 * server's own node_modules, except where a test wants exactly that (the
 * `server-package` fixture, bundled in place).
 */
import { cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ivm from 'isolated-vm';
import type { BundleOptions, ModelBundle } from '../../../runtime/backends/script/bundle/model-bundler.ts';

export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
/** The stand-in sdk: `nereid` -> its model/index.ts, `serveModel` from its model/serve-model.ts. */
export const SDK_STUB = path.join(FIXTURES, 'sdk-stub');

/** Files to write, relative to a directory: text, or a value written as JSON. */
export type FileTree = Record<string, string | object>;

export async function writeTree(dir: string, files: FileTree): Promise<void> {
  for (const [name, content] of Object.entries(files)) {
    const file = path.join(dir, name);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, typeof content === 'string' ? content : `${JSON.stringify(content, null, 2)}\n`);
  }
}

/** The packages the `basic` fixture imports, as `npm install` would lay them out. */
export const BASIC_PACKAGES: FileTree = {
  'node_modules/tiny-math/package.json': { name: 'tiny-math', version: '1.0.0', main: 'index.js' },
  'node_modules/tiny-math/index.js': 'exports.square = (x) => x * x;\n',
  // An ESM package with a Node-only build behind the 'node' condition: the bundler must pick 'default'.
  'node_modules/@nereid-test/greeter/package.json': {
    name: '@nereid-test/greeter',
    version: '1.0.0',
    type: 'module',
    exports: { '.': { node: './node.js', default: './index.js' } },
  },
  'node_modules/@nereid-test/greeter/index.js': 'export function greet(who) {\n  return `hello from ${who}`;\n}\n',
  'node_modules/@nereid-test/greeter/node.js': "import os from 'node:os';\nexport const greet = () => os.hostname();\n",
};

export class TempRepository {
  readonly root: string;

  private constructor(root: string) {
    this.root = root;
  }

  static async create(): Promise<TempRepository> {
    return new TempRepository(await mkdtemp(path.join(tmpdir(), 'nereid-bundle-')));
  }

  /** Copies fixture model `name` in, with `files` (packages, extra sources) added; returns its directory. */
  async copyFixture(name: string, files: FileTree = {}, as = name): Promise<string> {
    const dir = path.join(this.root, as);
    await cp(path.join(FIXTURES, 'models', name), dir, { recursive: true });
    await writeTree(dir, files);
    return dir;
  }

  /** A model `name` made of `files` (at least `1/model.ts`); returns its directory. */
  async model(name: string, files: FileTree): Promise<string> {
    const dir = path.join(this.root, name);
    await writeTree(dir, files);
    return dir;
  }

  async dispose(): Promise<void> {
    await rm(this.root, { recursive: true, force: true });
  }
}

/** Bundle options for version 1 of the model in `modelDir`, against the stub sdk. */
export function stubOptions(modelDir: string, modelName = path.basename(modelDir)): BundleOptions {
  return { modelFile: path.join(modelDir, '1', 'model.ts'), modelDir, modelName, sdkRoot: SDK_STUB };
}

/** The message of the error `promise` rejects with, and its code. */
export async function failure(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return { code: (error as { code: string }).code, message: (error as Error).message };
  }
  throw new Error('expected the bundle to be refused');
}

/** 1-based line of the first line of `source` containing `text`. */
export function lineOf(source: string, text: string): number {
  const index = source.split('\n').findIndex((line) => line.includes(text));
  if (index < 0) throw new Error(`'${text}' not found`);
  return index + 1;
}

/**
 * A bundle running in a fresh isolate, as the script backend runs it:
 * compiled under its sourceURL, run once to install `__nereidModel`.
 */
export class StubSdkIsolate {
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;

  constructor(bundle: ModelBundle) {
    this.#isolate = new ivm.Isolate({ memoryLimit: 64 });
    this.#context = this.#isolate.createContextSync();
    this.#isolate.compileScriptSync(bundle.code, { filename: bundle.sourceURL }).runSync(this.#context, { timeout: 1000 });
  }

  /** The model's exports, as the stub's entry lists them. */
  exports(): string[] {
    return this.#context.evalSync('__nereidModel.exports', { copy: true }) as string[];
  }

  /** Calls export `name` through the stub's entry; a copy of what it returns. */
  call(name: string, ...args: unknown[]): unknown {
    return this.#context.evalClosureSync('return __nereidModel.call($0, $1)', [name, args], {
      arguments: { copy: true },
      result: { copy: true },
      timeout: 1000,
    });
  }

  /** Calls export `name`, which must throw; the thrown error's stack, as V8 wrote it inside the isolate. */
  stackOf(name: string, ...args: unknown[]): string {
    const stack = this.#context.evalClosureSync(
      'try { __nereidModel.call($0, $1); } catch (error) { return String(error.stack); } return "did not throw";',
      [name, args],
      { arguments: { copy: true }, result: { copy: true }, timeout: 1000 },
    ) as string;
    return stack;
  }

  /** Like `stackOf`, for an async export that rejects; the isolate runs its microtasks before the call returns. */
  asyncStackOf(name: string, ...args: unknown[]): string {
    this.#context.evalClosureSync(
      'globalThis.__stack = "still pending";' +
        'Promise.resolve(__nereidModel.call($0, $1)).then(() => { globalThis.__stack = "did not throw"; }, (error) => { globalThis.__stack = String(error.stack); });',
      [name, args],
      { arguments: { copy: true }, timeout: 1000 },
    );
    return this.#context.evalSync('globalThis.__stack', { copy: true }) as string;
  }

  dispose(): void {
    this.#isolate.dispose();
  }
}
