import { mkdtemp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readModelConfig } from '../../runtime/config/load-model-config.ts';
import { normalizeConfig } from '../../runtime/config/normalize-config.ts';
import { validateConfig } from '../../runtime/config/validate-config.ts';

let root: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'nereid-config-'));
});

afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

describe('readModelConfig', () => {
  it('resolves undefined when the directory has no config.pbtxt', async () => {
    const dir = join(root, 'empty');
    await mkdir(dir);
    await expect(readModelConfig(dir)).resolves.toBeUndefined();
  });

  it('parses config.pbtxt', async () => {
    const dir = join(root, 'ok');
    await mkdir(dir);
    await writeFile(join(dir, 'config.pbtxt'), 'name: "ok"\nmax_batch_size: 2\n');
    await expect(readModelConfig(dir)).resolves.toEqual({ name: 'ok', max_batch_size: 2 });
  });

  it('names the file path, line and column in parse errors', async () => {
    const dir = join(root, 'bad');
    await mkdir(dir);
    await writeFile(join(dir, 'config.pbtxt'), 'name: "bad"\n  max_batch: 2\n');
    await expect(readModelConfig(dir)).rejects.toThrow(`${join(dir, 'config.pbtxt')}:2:3: unknown field 'max_batch' in message inference.ModelConfig`);
  });

  it('reports an unreadable config as INVALID_ARG with the path', async () => {
    const dir = join(root, 'dir-instead-of-file');
    await mkdir(join(dir, 'config.pbtxt'), { recursive: true });
    await expect(readModelConfig(dir)).rejects.toMatchObject({ code: 'INVALID_ARG', message: expect.stringContaining(join(dir, 'config.pbtxt')) });
  });

  it('reads and validates every config in the repository models/ folder', async () => {
    const models = join(import.meta.dirname, '..', '..', 'models');
    if (!existsSync(models)) return;
    for (const entry of await readdir(models, { withFileTypes: true })) {
      if (!entry.isDirectory()) continue;
      const raw = await readModelConfig(join(models, entry.name));
      if (!raw) continue;
      const config = normalizeConfig(raw, { modelName: entry.name, gpuAvailable: false });
      expect(() => validateConfig(config, { modelName: entry.name }), entry.name).not.toThrow();
    }
  });
});
