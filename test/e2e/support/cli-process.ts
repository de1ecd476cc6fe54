/**
 * Runs the real CLI (or `npm start`) as a child process, collects its output,
 * and waits for log lines and for its exit. Every process started here is
 * killed by `killAll()` if a test leaves it running.
 *
 * @example
 * ```ts
 * const cli = startProcess(process.execPath, [...CLI, 'serve', '--model-repository', 'models', '--http-port', '0']);
 * const port = Number((await cli.waitFor(LISTENING))[1]);
 * cli.child.kill('SIGTERM');
 * expect(await cli.exited).toEqual({ code: 0, signal: null });
 * ```
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { REPO_ROOT } from './e2e-server.ts';

/** The node arguments that run the CLI from source, as package.json's start script does. */
export const CLI = ['--no-node-snapshot', '--import', 'tsx', 'runtime/cli/main.ts'];

/** The log line that announces the HTTP port. */
export const LISTENING = /HTTP service listening on ([^\s:]+):(\d+)/;

/** The log line that announces the gRPC port. */
export const GRPC_LISTENING = /gRPC service listening on ([^\s:]+):(\d+)/;

/** The log line that announces the metrics port. */
export const METRICS_LISTENING = /Metrics service listening on ([^\s:]+):(\d+)/;

export interface RunningProcess {
  child: ChildProcess;
  /** stdout and stderr so far, interleaved as they arrived. */
  readonly output: string;
  readonly stdout: string;
  readonly stderr: string;
  /** Resolves with the first match of `pattern` in the output; rejects if the process ends first. */
  waitFor(pattern: RegExp): Promise<RegExpExecArray>;
  /** Exit code and signal, once the process has ended and closed its output. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Processes whose output is still open (a group leader's children may outlive it), and whether each leads a group. */
const started = new Map<ChildProcess, { group: boolean }>();

/** Starts `command` in the repository root; `group: true` gives it its own process group (for npm and its children). */
export function startProcess(command: string, args: readonly string[], options: { group?: boolean } = {}): RunningProcess {
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: options.group === true });
  started.set(child, { group: options.group === true });
  let output = '';
  let stdout = '';
  let stderr = '';
  const waiters = new Set<() => void>();
  const notify = () => waiters.forEach((waiter) => waiter());
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk;
    output += chunk;
    notify();
  });
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk;
    output += chunk;
    notify();
  });
  let ended = false;
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => {
      ended = true;
      started.delete(child);
      notify();
      resolve({ code, signal });
    });
  });
  return {
    child,
    get output() {
      return output;
    },
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
    waitFor(pattern) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const match = pattern.exec(output);
          if (match) {
            waiters.delete(check);
            resolve(match);
          } else if (ended) {
            waiters.delete(check);
            reject(new Error(`process ended before printing ${pattern}; output:\n${output}`));
          }
        };
        waiters.add(check);
        check();
      });
    },
    exited,
  };
}

/** Kills (SIGKILL) every process startProcess started whose output is still open, with its whole group when it leads one. */
export function killAll(): void {
  for (const [child, { group }] of started) {
    if (child.pid === undefined) continue;
    try {
      if (group) process.kill(-child.pid, 'SIGKILL');
      else child.kill('SIGKILL');
    } catch {
      // Already gone.
    }
  }
}
