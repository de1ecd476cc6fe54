/**
 * Starts a worker thread from a module URL, TypeScript or JavaScript.
 *
 * nereid runs its `.ts` sources directly (`node --import tsx`, vitest), so a
 * worker whose entry is a `.ts` file needs tsx's hooks registered inside the
 * new thread. Two traps, both measured on Node 20:
 * - `--import tsx` (the `tsx` package's main export) registers its ESM hooks
 *   only on the main thread under Node 20 (it checks `isMainThread` when
 *   `isInternalThread` is missing), so inheriting `node --import tsx` gives a
 *   worker that fails with ERR_UNKNOWN_FILE_EXTENSION.
 * - vitest's forks transform modules themselves; threads inherit nothing.
 * So for a `.ts` URL the worker gets `--import <data: module>` that calls
 * `register()` from `tsx/esm/api`, resolved to an absolute `file:` URL from
 * this file, so it works from any cwd, under vitest and under plain node
 * (both covered by test/backends/start-worker.test.ts).
 *
 * Ownership: the caller owns the returned Worker and must `terminate()` it.
 *
 * @example
 * ```ts
 * const worker = startWorker(new URL('./onnx-worker.ts', import.meta.url), { workerData: { id: 1 } });
 * worker.postMessage({ type: 'ping' });
 * ```
 */
import { Worker, type WorkerOptions } from 'node:worker_threads';

let bootstrapUrl: string | undefined;

/**
 * A `data:` module that registers tsx's ESM hooks in the thread that imports it.
 * `tsx/esm/api` is resolved from this file (import condition, so the .mjs
 * build) to an absolute URL: a data: module has no location to resolve a
 * bare specifier from, and the cwd may be anywhere.
 */
export function tsxBootstrapURL(): string {
  if (bootstrapUrl === undefined) {
    const apiUrl = import.meta.resolve('tsx/esm/api');
    const code = `import { register } from ${JSON.stringify(apiUrl)};\nregister();\n`;
    bootstrapUrl = `data:text/javascript,${encodeURIComponent(code)}`;
  }
  return bootstrapUrl;
}

/** Process-wide flags a Worker refuses in its own `execArgv` (it inherits their effect anyway). */
const PROCESS_ONLY_FLAGS = new Set(['--no-node-snapshot']);

/**
 * `execArgv` for a worker: without `--import tsx` style entries (they do
 * nothing in a Node 20 worker, and we add our own) and without flags a
 * Worker rejects.
 */
function workerExecArgv(execArgv: readonly string[]): string[] {
  const isTsx = (value: string) => value === 'tsx' || /[\\/]tsx[\\/]|[\\/]tsx$/.test(value);
  const out: string[] = [];
  for (let i = 0; i < execArgv.length; i++) {
    const arg = execArgv[i]!;
    if (arg === '--import' && i + 1 < execArgv.length && isTsx(execArgv[i + 1]!)) {
      i++;
      continue;
    }
    if (arg.startsWith('--import=') && isTsx(arg.slice('--import='.length))) continue;
    if (PROCESS_ONLY_FLAGS.has(arg)) continue;
    out.push(arg);
  }
  return out;
}

/**
 * A new Worker running `moduleUrl`. For a `.ts` module, tsx's registration is
 * appended to the worker's `execArgv` (the caller's, or else the process's own).
 */
export function startWorker(moduleUrl: URL, options: WorkerOptions = {}): Worker {
  if (!moduleUrl.pathname.endsWith('.ts')) return new Worker(moduleUrl, options);
  const execArgv = [...workerExecArgv(options.execArgv ?? process.execArgv), '--import', tsxBootstrapURL()];
  return new Worker(moduleUrl, { ...options, execArgv });
}
