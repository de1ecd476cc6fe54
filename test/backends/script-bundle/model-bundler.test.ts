/**
 * The model.ts bundler with real esbuild builds over real files, and the
 * bundles run in real isolated-vm isolates: what a model may import, the
 * exact load error for what it may not, and the content-addressed cache.
 */
import { existsSync } from 'node:fs';
import { readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import ivm from 'isolated-vm';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SDK_ROOT } from '../../../runtime/backends/script/bundle/bundle-paths.ts';
import { type ModelBundle, ModelBundler } from '../../../runtime/backends/script/bundle/model-bundler.ts';
import { mapStack } from '../../../runtime/backends/script/bundle/stack-mapper.ts';
import { BASIC_PACKAGES, failure, FIXTURES, SDK_STUB, StubSdkIsolate, stubOptions, TempRepository } from './bundle-fixtures.ts';

const NATIVE_ADVICE = 'native code cannot run inside a model isolate, use a pure-JavaScript alternative (or a WebAssembly one, with the model parameter enable_webassembly)';
const BUILTIN_ADVICE =
  'Node built-in modules are not available inside a model isolate; use the nereid sdk, or a pure-JavaScript package installed in the model directory';

let repo: TempRepository;
const isolates: StubSdkIsolate[] = [];

function isolateFor(bundle: ModelBundle): StubSdkIsolate {
  const isolate = new StubSdkIsolate(bundle);
  isolates.push(isolate);
  return isolate;
}

beforeAll(async () => {
  repo = await TempRepository.create();
});

afterEach(() => {
  for (const isolate of isolates.splice(0)) isolate.dispose();
});

afterAll(async () => {
  await repo.dispose();
  // Exiting right after disposing isolates has crashed the process (docs/design/script-backend.md).
  await new Promise((resolve) => setTimeout(resolve, 100));
});

describe('a model that imports what it may', () => {
  let modelDir: string;
  let bundle: ModelBundle;

  beforeAll(async () => {
    modelDir = await repo.copyFixture('basic', BASIC_PACKAGES);
    bundle = await new ModelBundler().bundle(stubOptions(modelDir));
  });

  it('bundles the model, its sibling .ts and .json, a shared file, its own packages and the sdk', () => {
    expect(bundle.inputs).toEqual(
      [
        path.join(modelDir, '1/helper.ts'),
        path.join(modelDir, '1/labels.json'),
        path.join(modelDir, '1/model.ts'),
        path.join(modelDir, 'lib/scale.ts'),
        // The 'default' build of the ESM package, not its 'node' build.
        path.join(modelDir, 'node_modules/@nereid-test/greeter/index.js'),
        path.join(modelDir, 'node_modules/tiny-math/index.js'),
        path.join(SDK_STUB, 'model/index.ts'),
        path.join(SDK_STUB, 'model/prelude.ts'),
        path.join(SDK_STUB, 'model/serve-model.ts'),
        path.join(SDK_STUB, 'shape.ts'),
      ].sort(),
    );
    expect(bundle.warnings).toEqual([]);
    expect(bundle.hash).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ends with a sourceURL naming the model and its file', () => {
    expect(bundle.sourceURL).toBe('nereid-model://basic/1/model.ts');
    expect(bundle.code.endsWith('\n//# sourceURL=nereid-model://basic/1/model.ts')).toBe(true);
    // An iife that leaks nothing: the only global it makes is the one serveModel installs.
    expect(bundle.code.startsWith('(() => {')).toBe(true);
  });

  it('keeps an external source map whose sources are the names authors know', () => {
    const map = JSON.parse(bundle.sourceMap) as { sources: string[]; sourcesContent?: unknown };
    expect([...map.sources].sort()).toEqual(
      [
        '1/helper.ts',
        '1/labels.json',
        '1/model.ts',
        '<nereid entry>',
        'lib/scale.ts',
        'nereid/sdk/model/index.ts',
        'nereid/sdk/model/prelude.ts',
        'nereid/sdk/model/serve-model.ts',
        'nereid/sdk/shape.ts',
        'node_modules/@nereid-test/greeter/index.js',
        'node_modules/tiny-math/index.js',
      ].sort(),
    );
    expect(map.sourcesContent).toBeUndefined();
    expect(bundle.code).not.toContain('sourceMappingURL');
  });

  it('runs in a fresh isolate, where the entry calls the model exports', () => {
    const isolate = isolateFor(bundle);
    expect(isolate.exports()).toEqual(['execute', 'fail', 'failLater', 'name']);
    expect(isolate.call('execute', [1, 2, 3])).toEqual({
      sum: 6,
      squares: [1, 4, 9],
      doubled: [2, 4, 6],
      count: 3,
      label: 'widgets',
      greeting: 'hello from nereid sdk stub',
      afterPrelude: true,
    });
    expect(isolate.call('execute', [5, 6])).toMatchObject({ label: 'two' });
  });
});

describe('refusals, each a load error at the import with what to do', () => {
  async function refusal(name: string, files: Record<string, string | object>) {
    const modelDir = await repo.model(name, files);
    return { modelDir, error: await failure(new ModelBundler().bundle(stubOptions(modelDir))) };
  }

  it.each(['fs', 'node:fs', 'fs/promises', 'path', 'child_process', 'node:test', 'worker_threads'])(
    "refuses the Node built-in '%s'",
    async (specifier) => {
      const name = `builtin-${specifier.replace(/\W/g, '-')}`;
      const { error } = await refusal(name, { '1/model.ts': `import * as x from '${specifier}';\nexport const y = x;\n` });
      expect(error).toEqual({
        code: 'INVALID_ARG',
        message: `model '${name}': cannot bundle 1/model.ts:\n  1/model.ts:1:20: cannot import '${specifier}': ${BUILTIN_ADVICE}`,
      });
    },
  );

  it('refuses a built-in required by a package, pointing into the package', async () => {
    const { error } = await refusal('leaky', {
      '1/model.ts': "import leaky from 'leaky';\nexport const y = leaky;\n",
      'node_modules/leaky/package.json': { name: 'leaky', main: 'index.js' },
      'node_modules/leaky/index.js': "const cp = require('child_process');\nmodule.exports = cp;\n",
    });
    expect(error.message).toBe(
      `model 'leaky': cannot bundle 1/model.ts:\n  node_modules/leaky/index.js:1:20: cannot import 'child_process': ${BUILTIN_ADVICE}`,
    );
  });

  it("allows a built-in's name when the model installed a package of that name (a polyfill), but never node:", async () => {
    const files = {
      '1/model.ts': "import { EventEmitter } from 'events';\nexport const make = () => new EventEmitter().kind;\n",
      'node_modules/events/package.json': { name: 'events', main: 'events.js' },
      'node_modules/events/events.js': "exports.EventEmitter = class EventEmitter { kind = 'polyfill'; };\n",
    };
    const modelDir = await repo.model('polyfill', files);
    const bundle = await new ModelBundler().bundle(stubOptions(modelDir));
    expect(isolateFor(bundle).call('make')).toBe('polyfill');

    await writeFile(path.join(modelDir, '1/model.ts'), "import { EventEmitter } from 'node:events';\nexport const e = EventEmitter;\n");
    const error = await failure(new ModelBundler().bundle(stubOptions(modelDir)));
    expect(error.message).toBe(`model 'polyfill': cannot bundle 1/model.ts:\n  1/model.ts:1:30: cannot import 'node:events': ${BUILTIN_ADVICE}`);
  });

  it('refuses a .node addon', async () => {
    const { error } = await refusal('dot-node', {
      '1/model.ts': "import addon from './addon.node';\nexport const y = addon;\n",
      '1/addon.node': 'not really a shared object',
    });
    expect(error.message).toBe(
      `model 'dot-node': cannot bundle 1/model.ts:\n  1/model.ts:1:19: cannot import './addon.node': it is a native addon (.node file); ${NATIVE_ADVICE}`,
    );
  });

  it('refuses packages built with node-gyp (binding.gyp, or "gypfile": true), by name or by path', async () => {
    const { error } = await refusal('gyp', {
      '1/model.ts':
        "import a from 'with-binding';\nimport b from '@native/gypfile';\nimport c from '../node_modules/with-binding/index.js';\nexport const y = [a, b, c];\n",
      'node_modules/with-binding/package.json': { name: 'with-binding', main: 'index.js' },
      'node_modules/with-binding/index.js': 'module.exports = 1;\n',
      'node_modules/with-binding/binding.gyp': "{ 'targets': [] }\n",
      'node_modules/@native/gypfile/package.json': { name: '@native/gypfile', main: 'index.js', gypfile: true },
      'node_modules/@native/gypfile/index.js': 'module.exports = 2;\n',
    });
    expect(error.message).toBe(
      "model 'gyp': cannot bundle 1/model.ts:\n" +
        `  1/model.ts:1:15: cannot import 'with-binding': package 'with-binding' is a native addon (it has a binding.gyp); ${NATIVE_ADVICE}\n` +
        `  1/model.ts:2:15: cannot import '@native/gypfile': package '@native/gypfile' is a native addon (its package.json sets "gypfile": true); ${NATIVE_ADVICE}\n` +
        // Reached by path rather than by name: still the package's code.
        `  1/model.ts:3:15: cannot import '../node_modules/with-binding/index.js': package 'with-binding' is a native addon (it has a binding.gyp); ${NATIVE_ADVICE}`,
    );
  });

  it('refuses a package that is not installed, saying where to install it', async () => {
    const { modelDir, error } = await refusal('missing', { '1/model.ts': "import pad from 'left-pad/index.js';\nexport const y = pad;\n" });
    expect(error.message).toBe(
      "model 'missing': cannot bundle 1/model.ts:\n" +
        `  1/model.ts:1:17: cannot import 'left-pad/index.js': package 'left-pad' is not installed in the model directory; run \`npm install left-pad\` in ${modelDir}`,
    );
  });

  it('refuses a package found above the model directory, where Node would look next', async () => {
    await repo.model('node_modules/outside-pkg', {
      'package.json': { name: 'outside-pkg', main: 'index.js' },
      'index.js': 'module.exports = 1;\n',
    });
    const { modelDir, error } = await refusal('above', { '1/model.ts': "import o from 'outside-pkg';\nexport const y = o;\n" });
    const found = path.join(repo.root, 'node_modules/outside-pkg/index.js');
    expect(error.message).toBe(
      "model 'above': cannot bundle 1/model.ts:\n" +
        `  1/model.ts:1:15: cannot import 'outside-pkg': package 'outside-pkg' is not installed in the model directory ` +
        `(it resolves to ${found}, outside the model directory); run \`npm install outside-pkg\` in ${modelDir}`,
    );
  });

  it("refuses the server's own packages to a model inside the server's checkout", async () => {
    const modelDir = path.join(FIXTURES, 'models/server-package');
    const error = await failure(new ModelBundler().bundle(stubOptions(modelDir)));
    expect(error.message).toMatch(
      new RegExp(
        "^model 'server-package': cannot bundle 1/model.ts:\\n  1/model.ts:2:26: cannot import 'esbuild': package 'esbuild' is not installed " +
          `in the model directory \\(it resolves to /.*/node_modules/esbuild/\\S+, outside the model directory\\); run \`npm install esbuild\` in ${modelDir}$`,
      ),
    );
  });

  it('refuses a relative import that leaves the model directory', async () => {
    await repo.model('shared', { 'o.ts': 'export const o = 1;\n' });
    const { modelDir, error } = await refusal('escape', { '1/model.ts': "import { o } from '../../shared/o.ts';\nexport const y = o;\n" });
    expect(error.message).toBe(
      "model 'escape': cannot bundle 1/model.ts:\n" +
        `  1/model.ts:1:19: cannot import '../../shared/o.ts': it resolves to ${path.join(repo.root, 'shared/o.ts')}, outside the model directory; ` +
        `a model may import only files inside ${modelDir}, and the nereid sdk as 'nereid' or 'nereid/sdk/<path>'`,
    );
  });

  it('refuses files a glob import reaches outside the model directory', async () => {
    await repo.model('globbed', { 'a.ts': 'export const a = 1;\n' });
    const { modelDir, error } = await refusal('glob', {
      '1/model.ts': 'export const load = (name: string) => import(`../../globbed/${name}.ts`);\n',
    });
    expect(error.message).toBe(
      "model 'glob': cannot bundle 1/model.ts:\n" +
        `  1/model.ts: cannot bundle ${path.join(repo.root, 'globbed/a.ts')}: it lies outside the model directory, ` +
        `reached by the glob import '../../globbed/**/*.ts'; a model may import only files inside ${modelDir}`,
    );
  });

  it('refuses nereid specifiers that name no sdk file or leave the sdk', async () => {
    const { error } = await refusal('bad-sdk', {
      '1/model.ts':
        "import * as a from 'nereid/runtime';\nimport * as b from 'nereid/sdk/nope.ts';\nimport * as c from 'nereid/sdk/../models/basic/1/helper.ts';\nexport const y = [a, b, c];\n",
    });
    expect(error.message).toBe(
      "model 'bad-sdk': cannot bundle 1/model.ts:\n" +
        "  1/model.ts:1:20: cannot import 'nereid/runtime': the nereid sdk is imported as 'nereid', 'nereid/model' or 'nereid/sdk/<path>'\n" +
        `  1/model.ts:2:20: cannot import 'nereid/sdk/nope.ts': no such file in the nereid sdk (${path.join(SDK_STUB, 'nope.ts')})\n` +
        `  1/model.ts:3:20: cannot import 'nereid/sdk/../models/basic/1/helper.ts': it resolves to ${path.join(FIXTURES, 'models/basic/1/helper.ts')}, outside the nereid sdk`,
    );
  });

  it('refuses import() of a computed specifier in the model, not a string that looks like one', async () => {
    const { error } = await refusal('computed', {
      '1/model.ts':
        "export const text = 'call import(x) later';\n" +
        'export async function load(name: string) {\n  return import(name);\n}\n' +
        "export const literal = () => import('./other.ts');\n",
      '1/other.ts': 'export const other = 1;\n',
    });
    expect(error.message).toBe(
      "model 'computed': cannot bundle 1/model.ts:\n" +
        '  1/model.ts:3:10: cannot bundle import() of a computed specifier: a model isolate has no module loader; ' +
        'import the module statically, or with a string literal path',
    );
  });

  it("lets a package keep a computed import() on a path the model may never take", async () => {
    const modelDir = await repo.model('package-computed', {
      '1/model.ts': "import { maybe } from 'lazy';\nexport const run = () => typeof maybe;\n",
      'node_modules/lazy/package.json': { name: 'lazy', main: 'index.js' },
      'node_modules/lazy/index.js': 'exports.maybe = (name) => import(name);\n',
    });
    const bundle = await new ModelBundler().bundle(stubOptions(modelDir));
    expect(isolateFor(bundle).call('run')).toBe('function');
  });

  it('tells whether the model may export autoCompleteConfig: named in its own files or behind export *, not in packages', async () => {
    const mayExport = async (name: string, files: Record<string, string | object>) =>
      (await new ModelBundler().bundle(stubOptions(await repo.model(name, files)))).mayExportAutoComplete;
    expect(await mayExport('no-hook', { '1/model.ts': 'export function execute() { return []; }\n' })).toBe(false);
    expect(await mayExport('hook', { '1/model.ts': 'export function autoCompleteConfig(c: object) { return c; }\n' })).toBe(true);
    expect(
      await mayExport('hook-in-helper', {
        '1/model.ts': "export { autoCompleteConfig } from './helper.ts';\n",
        '1/helper.ts': 'export const autoCompleteConfig = (c: object) => c;\n',
      }),
    ).toBe(true);
    expect(
      await mayExport('star', {
        '1/model.ts': "export * from 'hooks';\n",
        'node_modules/hooks/package.json': { name: 'hooks', main: 'index.js' },
        'node_modules/hooks/index.js': 'exports.autoCompleteConfig = (c) => c;\n',
      }),
    ).toBe(true);
    expect(
      await mayExport('package-only', {
        '1/model.ts': "import { helper } from 'hooks';\nexport const run = helper;\n",
        'node_modules/hooks/package.json': { name: 'hooks', main: 'index.js' },
        'node_modules/hooks/index.js': 'exports.helper = 1; exports.autoCompleteConfig = (c) => c;\n',
      }),
    ).toBe(false);
  });

  it('collects every error into one message, listing the first five', async () => {
    const imports = ['fs', 'os', 'net', 'tls', 'dns', 'http', 'zlib'];
    const { error } = await refusal('many', {
      '1/model.ts': `${imports.map((name, i) => `import * as m${i} from '${name}';`).join('\n')}\nexport const all = [${imports.map((_, i) => `m${i}`).join(', ')}];\n`,
    });
    const listed = imports.slice(0, 5).map((name, i) => `\n  1/model.ts:${i + 1}:21: cannot import '${name}': ${BUILTIN_ADVICE}`);
    expect(error.message).toBe(`model 'many': cannot bundle 1/model.ts:${listed.join('')}\n  ... and 2 more errors`);
  });

  it('reports TypeScript syntax errors at their place', async () => {
    const { error } = await refusal('syntax', {
      '1/model.ts': 'export function execute(values: number[]) {\n  return values.map((v) => v +);\n}\n',
    });
    expect(error).toEqual({ code: 'INVALID_ARG', message: 'model \'syntax\': cannot bundle 1/model.ts:\n  1/model.ts:2:31: Unexpected ")"' });
  });

  it("does not read the model's tsconfig.json (its paths would change what imports mean)", async () => {
    const { modelDir, error } = await refusal('tsconfig', {
      '1/model.ts': "import { h } from 'alias';\nexport const y = h;\n",
      '1/h.ts': 'export const h = 1;\n',
      '1/tsconfig.json': { compilerOptions: { baseUrl: '.', paths: { alias: ['./h.ts'] } } },
    });
    expect(error.message).toBe(
      "model 'tsconfig': cannot bundle 1/model.ts:\n" +
        `  1/model.ts:1:19: cannot import 'alias': package 'alias' is not installed in the model directory; run \`npm install alias\` in ${modelDir}`,
    );
  });

  it('says UNAVAILABLE when the model file is missing, and INVALID_ARG when it lies outside the model directory', async () => {
    const modelDir = await repo.model('no-file', { '1/readme.txt': 'no model here\n' });
    expect(await failure(new ModelBundler().bundle(stubOptions(modelDir)))).toEqual({
      code: 'UNAVAILABLE',
      message: `model 'no-file': unable to find '${path.join(modelDir, '1/model.ts')}'`,
    });
    const elsewhere = await repo.model('elsewhere', { '1/model.ts': 'export const x = 1;\n' });
    const options = { ...stubOptions(modelDir), modelFile: path.join(elsewhere, '1/model.ts') };
    expect(await failure(new ModelBundler().bundle(options))).toEqual({
      code: 'INVALID_ARG',
      message: `model 'no-file': model file ${options.modelFile} is not inside the model directory ${modelDir}`,
    });
  });

  it('ignores type-only imports, which TypeScript erases: types may come from anywhere', async () => {
    const modelDir = await repo.model('types-only', {
      '1/model.ts':
        "import type { Stats } from 'node:fs';\nimport type { Missing } from 'not-installed';\nimport { type Unused } from 'also-missing';\n" +
        'export const describe = (stats: Stats | Missing | Unused | undefined) => typeof stats;\n',
    });
    const bundle = await new ModelBundler().bundle(stubOptions(modelDir));
    expect(isolateFor(bundle).call('describe')).toBe('undefined');
  });

  it("passes esbuild's warnings on, such as import.meta being empty in the bundle", async () => {
    const modelDir = await repo.model('meta', { '1/model.ts': 'export const url = import.meta.url;\n' });
    const bundle = await new ModelBundler().bundle(stubOptions(modelDir));
    expect(bundle.warnings).toEqual(['1/model.ts:1:20: "import.meta" is not available with the "iife" output format and will be empty']);
  });
});

describe('the cache', () => {
  it('answers an unchanged model from memory, without running esbuild', async () => {
    const modelDir = await repo.copyFixture('basic', BASIC_PACKAGES, 'cached');
    const bundler = new ModelBundler();
    let started = performance.now();
    const first = await bundler.bundle(stubOptions(modelDir));
    const firstMs = performance.now() - started;
    started = performance.now();
    const second = await bundler.bundle(stubOptions(modelDir));
    const cachedMs = performance.now() - started;
    expect(second).toBe(first);
    expect(bundler.stats).toEqual({ builds: 1, hits: 1 });
    // Hashing nine small files, against an esbuild build: an order of magnitude apart even on a busy VM.
    expect(cachedMs).toBeLessThan(firstMs);
    console.log(`bundle of the 'basic' fixture: first ${firstMs.toFixed(1)} ms, cached ${cachedMs.toFixed(2)} ms`);
  });

  it('rebuilds after any input changes (a sibling file, a package file), and only then', async () => {
    const modelDir = await repo.copyFixture('basic', BASIC_PACKAGES, 'changing');
    const bundler = new ModelBundler();
    const first = await bundler.bundle(stubOptions(modelDir));

    const helper = path.join(modelDir, '1/helper.ts');
    await writeFile(helper, (await readFile(helper, 'utf8')).replace('let total = 0;', 'let total = 100;'));
    const second = await bundler.bundle(stubOptions(modelDir));
    expect(second).not.toBe(first);
    expect(second.hash).not.toBe(first.hash);
    expect(isolateFor(second).call('execute', [1])).toMatchObject({ sum: 101 });

    await writeFile(path.join(modelDir, 'node_modules/tiny-math/index.js'), 'exports.square = (x) => -x * x;\n');
    const third = await bundler.bundle(stubOptions(modelDir));
    expect(isolateFor(third).call('execute', [3])).toMatchObject({ squares: [-9] });

    expect(await bundler.bundle(stubOptions(modelDir))).toBe(third);
    expect(bundler.stats).toEqual({ builds: 3, hits: 1 });
  });

  it('rebuilds when an input is gone, and reports what is now missing', async () => {
    const modelDir = await repo.copyFixture('basic', BASIC_PACKAGES, 'shrinking');
    const bundler = new ModelBundler();
    await bundler.bundle(stubOptions(modelDir));
    await rm(path.join(modelDir, 'lib/scale.ts'));
    const error = await failure(bundler.bundle(stubOptions(modelDir)));
    expect(error.message).toBe("model 'shrinking': cannot bundle 1/model.ts:\n  1/model.ts:6:23: Could not resolve \"../lib/scale.ts\"");
    expect(bundler.stats).toEqual({ builds: 2, hits: 0 });
  });

  it('shares one build between concurrent loads, and clear() forgets', async () => {
    const modelDir = await repo.copyFixture('basic', BASIC_PACKAGES, 'concurrent');
    const bundler = new ModelBundler();
    const [a, b] = await Promise.all([bundler.bundle(stubOptions(modelDir)), bundler.bundle(stubOptions(modelDir))]);
    expect(a).toBe(b);
    expect(bundler.stats.builds).toBe(1);

    bundler.clear(path.join(repo.root, 'elsewhere'));
    expect(await bundler.bundle(stubOptions(modelDir))).toBe(a);
    bundler.clear(modelDir);
    const rebuilt = await bundler.bundle(stubOptions(modelDir));
    expect(rebuilt).not.toBe(a);
    expect(rebuilt.hash).toBe(a.hash);
    expect(bundler.stats).toEqual({ builds: 2, hits: 1 });
  });

  it('keeps bundles of different names for one directory apart', async () => {
    const modelDir = await repo.copyFixture('basic', BASIC_PACKAGES, 'renamed');
    const bundler = new ModelBundler();
    const one = await bundler.bundle(stubOptions(modelDir, 'one'));
    const two = await bundler.bundle(stubOptions(modelDir, 'two'));
    expect(two.sourceURL).toBe('nereid-model://two/1/model.ts');
    expect(two.hash).not.toBe(one.hash);
  });
});

// The real sdk runtime (sdk/model/serve-model.ts) is written alongside this bundler; skipped where it is missing.
const REAL_SERVE_MODEL = path.join(DEFAULT_SDK_ROOT, 'model/serve-model.ts');
describe.skipIf(!existsSync(REAL_SERVE_MODEL))('against the real sdk', () => {
  /** A host bridge living inside the isolate, recording what the bundle settles. */
  const FAKE_HOST = `
    globalThis.__settled = [];
    Object.defineProperty(globalThis, '__nereidHost', { configurable: true, value: {
      log() {}, now: () => 0, setTimer() {}, clearTimer() {}, infer() {}, isModelReady: () => false,
      takeTensor() { throw new Error('no host tensors here'); },
      settle: (callId, result) => { globalThis.__settled.push({ callId, result }); },
    } });`;
  const REQUEST = { id: '', inputs: [], requestedOutputs: [], parameters: {}, correlationId: 0, flags: 0 };

  it('bundles the prelude and serveModel by default; the entry they install runs the model and its failures map to model.ts', async () => {
    const source = [
      "import { InferenceResponse, NereidError, type InferenceRequest } from 'nereid/model';",
      '',
      'export function execute(requests: InferenceRequest[]) {',
      "  if (requests.length > 1) throw NereidError.invalidArg('one request at a time');",
      '  return requests.map(() => new InferenceResponse({ outputs: [] }));',
      '}',
      '',
    ].join('\n');
    const modelDir = await repo.model('real-sdk', { '1/model.ts': source });
    const bundle = await new ModelBundler().bundle({ modelFile: path.join(modelDir, '1/model.ts'), modelDir, modelName: 'real-sdk' });
    expect(bundle.inputs).toContain(REAL_SERVE_MODEL);
    expect(bundle.inputs).toContain(path.join(DEFAULT_SDK_ROOT, 'model/prelude.ts'));
    expect(bundle.inputs.every((file) => file.startsWith(modelDir) || file.startsWith(DEFAULT_SDK_ROOT))).toBe(true);

    const isolate = new ivm.Isolate({ memoryLimit: 64 });
    try {
      const context = isolate.createContextSync();
      context.evalSync(FAKE_HOST);
      isolate.compileScriptSync(bundle.code, { filename: bundle.sourceURL }).runSync(context, { timeout: 1000 });
      // The prelude took the host bridge away from model code.
      expect(context.evalSync('typeof globalThis.__nereidHost')).toBe('undefined');
      const settled = context.evalClosureSync(
        '__nereidModel.execute(1, [$0]); __nereidModel.execute(2, [$0, $0]); return globalThis.__settled;',
        [REQUEST],
        { arguments: { copy: true }, result: { copy: true }, timeout: 1000 },
      ) as Array<{ callId: number; result: { ok: boolean; responses?: unknown[]; error?: { code: string }; stack?: string } }>;
      expect(settled.map(({ callId, result }) => [callId, result.ok])).toEqual([
        [1, true],
        [2, false],
      ]);
      expect(settled[0]!.result.responses).toHaveLength(1);
      expect(settled[1]!.result.error?.code).toBe('INVALID_ARG');
      const mapped = mapStack(bundle, settled[1]!.result.stack ?? '');
      // V8 places the frame at the call, `invalidArg(`.
      expect(mapped).toContain(`execute (1/model.ts:4:${source.split('\n')[3]!.indexOf('invalidArg') + 1})`);
      expect(mapped).toMatch(/\(nereid\/sdk\/model\/serve-model\.ts:\d+:\d+\)/);
    } finally {
      isolate.dispose();
    }
  });
});
