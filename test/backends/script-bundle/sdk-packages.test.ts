/**
 * The server packages sdk files may bundle into a model (`SDK_PACKAGES`, e.g.
 * the image decoders of nereid/sdk/vision), and the model-side messages for
 * package files: only sdk files get those packages, only the listed ones, and
 * a model whose own npm dependencies are not installed is told to install them.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SDK_ROOT, SDK_PACKAGES } from '../../../runtime/backends/script/bundle/bundle-paths.ts';
import { ModelBundler } from '../../../runtime/backends/script/bundle/model-bundler.ts';
import { failure, StubSdkIsolate, stubOptions, TempRepository } from './bundle-fixtures.ts';

const ROOT_MANIFEST = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { dependencies: Record<string, string> };

let repo: TempRepository;
const isolates: StubSdkIsolate[] = [];

beforeAll(async () => {
  repo = await TempRepository.create();
});
afterAll(async () => {
  for (const isolate of isolates) isolate.dispose();
  await repo.dispose();
  // Exiting right after disposing isolates has crashed the process (docs/design/script-backend.md).
  await new Promise((resolve) => setTimeout(resolve, 100));
});

describe('SDK_PACKAGES', () => {
  it('are dependencies of the server (so npm ci installs them where the sdk finds them)', () => {
    for (const name of SDK_PACKAGES) expect(ROOT_MANIFEST.dependencies, name).toHaveProperty(name);
  });

  it('are bundled for an sdk file that imports one, and run in the isolate', async () => {
    const modelDir = await repo.model('inflating', {
      '1/model.ts': "import { roundTrip } from 'nereid/sdk/inflate.ts';\nexport const echo = (bytes: number[]) => roundTrip(bytes);\n",
    });
    const bundle = await new ModelBundler().bundle(stubOptions(modelDir));
    expect(bundle.inputs.some((file) => file.includes(`${path.sep}node_modules${path.sep}fflate${path.sep}`))).toBe(true);
    // Named to the author as the server's package, the way stack frames will show it.
    expect(JSON.parse(bundle.sourceMap).sources).toContain('nereid/node_modules/fflate/esm/browser.js');
    const isolate = new StubSdkIsolate(bundle);
    isolates.push(isolate);
    expect(isolate.call('echo', [1, 2, 3, 250])).toEqual([1, 2, 3, 250]);
  });

  it("bundle the real sdk's image decoders for a model that imports nereid/sdk/vision", async () => {
    const modelDir = await repo.model('vision', {
      '1/model.ts': "import { decodeImage } from 'nereid/sdk/vision/index.ts';\nexport const size = (bytes: Uint8Array) => decodeImage(bytes).width;\n",
    });
    const bundle = await new ModelBundler().bundle({ ...stubOptions(modelDir), sdkRoot: DEFAULT_SDK_ROOT });
    const packageFiles = bundle.inputs.filter((file) => file.includes(`${path.sep}node_modules${path.sep}`));
    expect(new Set(packageFiles.map((file) => file.split(`${path.sep}node_modules${path.sep}`)[1]!.split(path.sep)[0]))).toEqual(new Set(['fflate', 'jpeg-js']));
  });

  it('are refused to an sdk file when not listed, saying which are', async () => {
    const modelDir = await repo.model('serving', { '1/model.ts': "import { create } from 'nereid/sdk/web-server.ts';\nexport const y = create;\n" });
    const error = await failure(new ModelBundler().bundle(stubOptions(modelDir)));
    expect(error.message).toMatch(
      new RegExp(
        "^model 'serving': cannot bundle 1/model.ts:\\n  nereid/sdk/web-server.ts:2:21: cannot import 'fastify': it resolves to /\\S+/node_modules/fastify/\\S+, " +
          `outside the nereid sdk \\(sdk files may import only the packages ${SDK_PACKAGES.join(', ')}\\)$`,
      ),
    );
  });

  it("are not the model's: a model that imports one itself must install it", async () => {
    const modelDir = await repo.model('direct', { '1/model.ts': "import { zlibSync } from 'fflate';\nexport const y = zlibSync;\n" });
    const error = await failure(new ModelBundler().bundle(stubOptions(modelDir)));
    expect(error.message).toContain(`cannot import 'fflate': package 'fflate' is not installed in the model directory`);
  });
});

describe("a model's own npm dependencies", () => {
  it('bundle a text file from an installed package by its path (with { type: "text" })', async () => {
    const modelDir = await repo.model('words', {
      'package.json': { name: 'words-model', private: true },
      'node_modules/word-list/package.json': { name: 'word-list', version: '1.0.0', exports: { './node': './node.js' } },
      'node_modules/word-list/assets/words.txt': 'alpha\nbeta\n',
      '1/model.ts': "import words from '../node_modules/word-list/assets/words.txt' with { type: 'text' };\nexport const count = () => words.split('\\n').filter(Boolean).length;\n",
    });
    const isolate = new StubSdkIsolate(await new ModelBundler().bundle(stubOptions(modelDir)));
    isolates.push(isolate);
    expect(isolate.call('count')).toBe(2);
  });

  it('not installed: the file import says to run npm ci in the model directory', async () => {
    const modelDir = await repo.model('uninstalled', {
      'package.json': { name: 'uninstalled-model', private: true, dependencies: { 'word-list': '1.0.0' } },
      '1/model.ts': "import words from '../node_modules/word-list/assets/words.txt' with { type: 'text' };\nexport const y = words;\n",
    });
    const error = await failure(new ModelBundler().bundle(stubOptions(modelDir)));
    expect(error.message).toBe(
      "model 'uninstalled': cannot bundle 1/model.ts:\n" +
        "  1/model.ts:1:19: cannot import '../node_modules/word-list/assets/words.txt': no such file; the model's npm dependencies are not installed " +
        `(run \`npm ci\` in ${modelDir}; the project's own npm ci installs those of its models/)`,
    );
  });
});
