/**
 * Reads a Triton-style model repository from disk: which model directories
 * exist, which version folders each has, and a fingerprint of a model's files
 * so that poll mode can tell what changed.
 */
import { createHash } from 'node:crypto';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** A model directory found in one of the repository roots. */
export interface RepositoryModelDir {
  readonly name: string;
  readonly dir: string;
}

/**
 * Every immediate subdirectory of each root is a model; the directory name is
 * the model name. A name found in two roots is an error for that name, as in
 * Triton, reported through `duplicates`.
 */
export async function listModelDirs(roots: readonly string[]): Promise<{
  models: Map<string, RepositoryModelDir>;
  duplicates: Map<string, string[]>;
}> {
  const models = new Map<string, RepositoryModelDir>();
  const duplicates = new Map<string, string[]>();
  for (const root of roots) {
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
      const dir = join(root, entry.name);
      const previous = models.get(entry.name);
      if (previous) {
        duplicates.set(entry.name, [...(duplicates.get(entry.name) ?? [previous.dir]), dir]);
        continue;
      }
      models.set(entry.name, { name: entry.name, dir });
    }
  }
  for (const name of duplicates.keys()) models.delete(name);
  return { models, duplicates };
}

/** Version folders of a model: names that are a positive integer without a leading zero. Sorted ascending. */
export async function listVersions(modelDir: string): Promise<number[]> {
  const versions: number[] = [];
  for (const entry of await readdir(modelDir, { withFileTypes: true })) {
    if (!entry.isDirectory() || !/^[1-9][0-9]*$/.test(entry.name)) continue;
    const version = Number(entry.name);
    if (Number.isSafeInteger(version)) versions.push(version);
  }
  return versions.sort((a, b) => a - b);
}

/**
 * A hash of every file's relative path, size and modification time under the
 * model directory. Poll mode reloads a model when this changes.
 */
export async function fingerprintModelDir(modelDir: string): Promise<string> {
  const hash = createHash('sha1');
  const walk = async (dir: string, relative: string): Promise<void> => {
    const entries = await readdir(dir, { withFileTypes: true });
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      const path = join(dir, entry.name);
      const rel = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) {
        hash.update(`d:${rel}\n`);
        await walk(path, rel);
      } else {
        const info = await stat(path);
        hash.update(`f:${rel}:${info.size}:${info.mtimeMs}\n`);
      }
    }
  };
  await walk(modelDir, '');
  return hash.digest('hex');
}
