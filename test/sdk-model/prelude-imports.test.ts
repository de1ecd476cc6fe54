/**
 * The prelude must run before any sdk module that uses TextEncoder at load
 * (sdk/tensor.ts, the codecs): ES modules evaluate their imports first, so
 * nothing the prelude imports, directly or not, may be such a module. This
 * walks the prelude's static imports and says which path broke the rule.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const found: string[] = [];
  // Value imports and side-effect imports; `import type` is erased and runs nothing.
  for (const match of source.matchAll(/^import\s+(?!type\s)(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/gm)) {
    if (match[1]!.startsWith('.')) found.push(resolve(dirname(file), match[1]!));
  }
  return found;
}

/** Every module the prelude loads, with the import chain that reached it. */
function preludeGraph(): Map<string, string[]> {
  const start = resolve(ROOT, 'sdk/model/prelude.ts');
  const chains = new Map<string, string[]>([[start, [start]]]);
  const queue = [start];
  while (queue.length > 0) {
    const file = queue.shift()!;
    for (const dependency of importsOf(file)) {
      if (chains.has(dependency)) continue;
      chains.set(dependency, [...chains.get(file)!, dependency]);
      queue.push(dependency);
    }
  }
  return chains;
}

describe('the prelude import graph', () => {
  it('reaches no module that runs environment-dependent code at load', () => {
    const offenders: string[] = [];
    for (const [file, chain] of preludeGraph()) {
      const source = readFileSync(file, 'utf8');
      const topLevel = source.split('\n').filter((line) => /^(const|let|var)\s/.test(line) && /new Text(En|De)coder\(/.test(line));
      if (topLevel.length > 0) offenders.push(chain.map((path) => relative(ROOT, path)).join(' -> '));
    }
    expect(offenders).toEqual([]);
    const files = [...preludeGraph().keys()].map((path) => relative(ROOT, path)).sort();
    expect(files).not.toContain('sdk/tensor.ts');
    expect(files.every((path) => path.startsWith('sdk/'))).toBe(true);
  });
});
