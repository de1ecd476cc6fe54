/**
 * Stack traces thrown inside a real isolate, mapped back through the
 * bundle's source map to the model's own files and lines.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ModelBundle, ModelBundler } from '../../../runtime/backends/script/bundle/model-bundler.ts';
import { authorStack, mapStack, StackMapper } from '../../../runtime/backends/script/bundle/stack-mapper.ts';
import { BASIC_PACKAGES, lineOf, SDK_STUB, StubSdkIsolate, stubOptions, TempRepository } from './bundle-fixtures.ts';

let repo: TempRepository;
let modelDir: string;
let bundle: ModelBundle;
let isolate: StubSdkIsolate;

/** `file:line:col` of the first occurrence of `text` in `file` (1-based, as V8 and the mapper print them). */
async function positionOf(file: string, text: string, shownAs: string): Promise<string> {
  const source = await readFile(file, 'utf8');
  const line = lineOf(source, text);
  return `${shownAs}:${line}:${source.split('\n')[line - 1]!.indexOf(text) + 1}`;
}

beforeAll(async () => {
  repo = await TempRepository.create();
  modelDir = await repo.copyFixture('basic', BASIC_PACKAGES);
  bundle = await new ModelBundler().bundle(stubOptions(modelDir));
  isolate = new StubSdkIsolate(bundle);
});

afterAll(async () => {
  isolate.dispose();
  await repo.dispose();
  await new Promise((resolve) => setTimeout(resolve, 100));
});

describe('mapping a stack thrown inside the isolate', () => {
  it('names the model files and lines where the error was made and passed through', async () => {
    const raw = isolate.stackOf('fail', 'deep');
    // As V8 wrote it: positions in the one bundled script.
    expect(raw).toMatch(/^Error: helper refused: deep\n {4}at failDeep \(nereid-model:\/\/basic\/1\/model\.ts:\d+:\d+\)\n/);

    const helper = await positionOf(path.join(modelDir, '1/helper.ts'), 'new Error(reason)', '1/helper.ts');
    const model = await positionOf(path.join(modelDir, '1/model.ts'), 'failDeep(message);', '1/model.ts');
    const sdk = await positionOf(path.join(SDK_STUB, 'model/serve-model.ts'), 'fn(...args)', 'nereid/sdk/model/serve-model.ts');
    expect(mapStack(bundle, raw).split('\n')).toEqual([
      'Error: helper refused: deep',
      `    at failDeep (${helper})`,
      `    at fail (${model})`,
      `    at Object.call (${sdk})`,
      // Not the bundle: left as it is.
      '    at <isolated-vm>:1:21',
    ]);
  });

  it('maps a throw in model.ts itself', async () => {
    const mapped = mapStack(bundle, isolate.stackOf('fail', 'here'));
    const at = await positionOf(path.join(modelDir, '1/model.ts'), "new Error('model refused: here')", '1/model.ts');
    expect(mapped.split('\n').slice(0, 2)).toEqual(['Error: model refused: here', `    at fail (${at})`]);
  });

  it('maps async frames after an await', async () => {
    const mapped = mapStack(bundle, isolate.asyncStackOf('failLater', 'later'));
    const helper = await positionOf(path.join(modelDir, '1/helper.ts'), 'new Error(reason)', '1/helper.ts');
    // The second `return failDeep(message);` in model.ts, the one in `later`.
    const lines = (await readFile(path.join(modelDir, '1/model.ts'), 'utf8')).split('\n');
    const line = lines.findLastIndex((text) => text.includes('return failDeep(message);'));
    const later = `1/model.ts:${line + 1}:${lines[line]!.indexOf('failDeep') + 1}`;
    const failLater = await positionOf(path.join(modelDir, '1/model.ts'), 'await later(message)', '1/model.ts');
    expect(mapped.split('\n')).toEqual([
      'Error: helper refused: later',
      `    at failDeep (${helper})`,
      `    at later (${later})`,
      `    at async failLater (${failLater})`,
    ]);
  });
});

describe('positions the map does not cover', () => {
  it('leaves them, and frames of other scripts, as they are', () => {
    const mapper = StackMapper.for(bundle);
    const lastLine = bundle.code.split('\n').length;
    const stack = [
      'Error: x',
      `    at __helper (${bundle.sourceURL}:1:1)`,
      `    at past (${bundle.sourceURL}:${lastLine + 10}:1)`,
      '    at other (nereid-model://other/1/model.ts:3:4)',
      '    at node:internal/whatever:1:2',
    ].join('\n');
    expect(mapper.map(stack)).toBe(stack);
    expect(mapper.originalPosition(1, 1)).toBeUndefined();
  });

  it('shares one mapper per bundle', () => {
    expect(StackMapper.for(bundle)).toBe(StackMapper.for(bundle));
  });

  it('never throws while reporting an error: an unreadable map maps nothing', () => {
    const broken = new StackMapper({ sourceURL: 'nereid-model://broken/1/model.ts', sourceMap: 'not json' });
    const stack = 'Error: x\n    at f (nereid-model://broken/1/model.ts:1:1)';
    expect(broken.map(stack)).toBe(stack);
  });
});

describe('authorStack', () => {
  const frames = ['    at check (nereid/sdk/model/execute-result.ts:9:3)', '    at execute (1/model.ts:4:11)', '    at settle (nereid/sdk/model/serve-model.ts:60:7)'];

  it('keeps the model\'s frames and the kind of error, not the sdk\'s frames nor a plain Error prefix', () => {
    expect(authorStack(['TypeError: x is undefined', ...frames].join('\n'), 'x is undefined')).toEqual({
      header: 'TypeError: x is undefined',
      frames: '    at execute (1/model.ts:4:11)',
    });
    expect(authorStack(['Error: bad', ...frames].join('\n'), 'bad').header).toBe('bad');
    expect(authorStack(['NereidError: bad', ...frames].join('\n'), 'bad').header).toBe('bad');
  });

  it('falls back to the message without a stack, or with a header that is not about it', () => {
    expect(authorStack('', '42')).toEqual({ header: '42', frames: '' });
    expect(authorStack(['Something else', frames[2]!].join('\n'), 'the message')).toEqual({ header: 'the message', frames: '' });
  });
});
