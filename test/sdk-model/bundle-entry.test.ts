/**
 * The virtual entry the bundler must use, bundled with esbuild and run in a
 * `node:vm` context: like an isolate, it has the ECMAScript built-ins, V8's
 * silent console, and no timers, queueMicrotask, performance or TextEncoder. (Tests with a real
 * isolated-vm isolate come with the host side.)
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import vm from 'node:vm';
import * as esbuild from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IsolateEntry } from '../../sdk/model/isolate-protocol.ts';
import { callEntry, FakeHost } from './fake-host.ts';

const SDK_MODEL = resolve(import.meta.dirname, '../../sdk/model');

/** The entry text, exactly as the bundler should generate it (paths absolute). */
function virtualEntry(sdkModelDir: string): string {
  return [
    `import ${JSON.stringify(join(sdkModelDir, 'prelude.ts'))};`,
    `import * as model from './model.ts';`,
    `import { serveModel } from ${JSON.stringify(join(sdkModelDir, 'serve-model.ts'))};`,
    `serveModel(model);`,
  ].join('\n');
}

const MODEL_TS = `
import { bytes } from './helper.ts'; // loads before nereid/model, and uses TextEncoder at load
import { InferenceRequest, InferenceResponse, Tensor, log, type InferenceRequest as Request } from 'nereid/model';

const hostGlobalSeen = typeof (globalThis as Record<string, unknown>).__nereidHost;

export default class Pipeline {
  initialize(): void {
    console.log('initialized', hostGlobalSeen, bytes.length);
  }
  async execute(requests: Request[]): Promise<InferenceResponse[]> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    const x = requests[0]!.requireInput('X');
    const bls = await new InferenceRequest({ model: 'add_one', inputs: [x] }).exec();
    log.info('bls done');
    return requests.map(() => new InferenceResponse({
      outputs: [bls.requireOutput('Y'), Tensor.fromStrings('S', [1], ['caf\\u00e9'])],
    }));
  }
}
`;

let dir = '';

async function bundle(entry: string): Promise<string> {
  const result = await esbuild.build({
    stdin: { contents: entry, resolveDir: dir, sourcefile: 'virtual-entry.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'silent',
    plugins: [
      {
        name: 'nereid-model',
        setup(build) {
          build.onResolve({ filter: /^nereid\/model$/ }, () => ({ path: join(SDK_MODEL, 'index.ts') }));
        },
      },
    ],
  });
  return result.outputFiles[0]!.text;
}

/** Runs `code` in a fresh context holding only the host bridge, as the host does with an isolate. */
function run(code: string, host: FakeHost): vm.Context {
  const context = vm.createContext({ __nereidHost: host });
  // V8's own console is there (silent, as in an isolate); the rest is not.
  expect(vm.runInContext('[typeof setTimeout, typeof TextEncoder, typeof queueMicrotask, typeof performance].join()', context)).toBe(
    'undefined,undefined,undefined,undefined',
  );
  vm.runInContext(code, context);
  host.entry = (context as { __nereidModel: IsolateEntry }).__nereidModel;
  return context;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'nereid-model-'));
  await writeFile(join(dir, 'model.ts'), MODEL_TS);
  await writeFile(join(dir, 'helper.ts'), `export const bytes = new TextEncoder().encode('\\u00e9');\n`);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the bundle entry', () => {
  it('installs the prelude before model code runs, and serves the model end to end', async () => {
    const host = new FakeHost();
    host.answer = (request) => {
      // The server side of a forwarded handle: the payload never went into the isolate.
      const x = request.inputs[0]!;
      const data = (x.data ?? host.payloads.get(x.handle!)) as Int32Array;
      return { model: 'add_one', version: '1', outputs: [{ name: 'Y', datatype: 'INT32', shape: [2], data: data.map((v) => v + 1) }] };
    };
    const context = run(await bundle(virtualEntry(SDK_MODEL)), host);
    expect(vm.runInContext('typeof __nereidHost', context)).toBe('undefined');
    expect(vm.runInContext('[typeof TextEncoder, typeof setTimeout, typeof console.log].join()', context)).toBe('function,function,function');

    expect((await callEntry(host, (id) => host.entry!.initialize(id, { modelName: 'pipeline' } as never))).ok).toBe(true);
    expect(host.logs).toEqual([['info', 'initialized undefined 2']]);

    const handle = host.hold(new Int32Array([10, 20]));
    const pending = callEntry(host, (id) =>
      host.entry!.execute(id, [
        { id: '', inputs: [{ name: 'X', datatype: 'INT32', shape: [2], handle }], requestedOutputs: [], parameters: {}, correlationId: 0, flags: 0 },
      ]),
    );
    await new Promise((r) => setImmediate(r));
    host.advance(5); // the model's setTimeout
    const result = await pending;
    expect(host.taken).toEqual([]); // forwarded to BLS as a handle, never read
    expect(host.inferCalls[0]!.request.inputs).toEqual([{ name: 'X', datatype: 'INT32', shape: [2], handle }]);
    if (!result.ok) throw new Error(result.error.message);
    const [y, s] = result.responses![0]!.outputs;
    expect([y!.name, Array.from(y!.data as Int32Array)]).toEqual(['Y', [11, 21]]);
    expect([s!.name, Array.from((s!.data as Uint8Array[])[0]!)]).toEqual(['S', [0x63, 0x61, 0x66, 0xc3, 0xa9]]);
    expect(host.logs.at(-1)).toEqual(['info', 'bls done']);
  });

  it('fails to load when model.ts comes before the prelude and something it imports needs TextEncoder at load', async () => {
    const wrong = [
      `import * as model from './model.ts';`,
      `import { serveModel } from ${JSON.stringify(join(SDK_MODEL, 'serve-model.ts'))};`,
      `serveModel(model);`,
    ].join('\n');
    const code = await bundle(wrong);
    expect(() => run(code, new FakeHost())).toThrow(/TextEncoder is not defined/);
  });
});
