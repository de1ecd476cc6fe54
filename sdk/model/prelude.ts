/**
 * The prelude: the first module of every model bundle. When it loads inside
 * an isolate it takes the host bridge (`globalThis.__nereidHost`, then deletes
 * that global) and installs the globals below, before model.ts or any other
 * sdk module runs (`sdk/tensor.ts` creates a TextEncoder when it loads). In
 * Node, where no host bridge is installed, importing it does nothing.
 *
 * What model code gets, besides the ECMAScript built-ins (and V8's `Intl`,
 * `SharedArrayBuffer`, `Atomics`, `WeakRef`, `FinalizationRegistry`; `WebAssembly`
 * only with the model parameter `enable_webassembly`):
 *
 * | global | behaviour |
 * |---|---|
 * | `console.log/info/dir` | server log, info level; arguments joined with spaces, objects as JSON, tensors as a summary |
 * | `console.warn` | server log, warn level |
 * | `console.error`, failed `console.assert` | server log, error level |
 * | `console.debug/trace` | server log, verbose level (`trace` adds the stack) |
 * | `performance.now()` | the host's `performance.now()`, milliseconds, sub-millisecond resolution |
 * | `setTimeout/setInterval` | host timers; return a number; delay < 1 ms or > 2^31-1 ms becomes 1 ms; extra arguments are passed to the callback |
 * | `clearTimeout/clearInterval` | interchangeable; unknown ids are ignored |
 * | `queueMicrotask(fn)` | runs `fn` after the current job; a throw is logged at error level |
 * | `TextEncoder/TextDecoder` | UTF-8 only, WHATWG semantics (U+FFFD for invalid input, `fatal`, `ignoreBOM`, `stream`) |
 *
 * What it does not get: `require`, `process`, `Buffer`, `fs` or any Node
 * module, `fetch` or other network access, `URL`, `crypto`, `structuredClone`,
 * `setImmediate`. Other models are reached only through BLS
 * (`new InferenceRequest({...}).exec()`), the log only through `console` and `log`.
 *
 * A throw inside a timer callback or a queued microtask is logged, not rethrown:
 * it happened outside any `execute`, so there is no request to fail.
 *
 * @example
 * ```ts
 * // The bundle's entry (see serve-model.ts): the prelude comes first.
 * import './sdk/model/prelude.ts';
 * import * as model from './model.ts';
 * import { serveModel } from './sdk/model/serve-model.ts';
 * serveModel(model);
 * ```
 */
import { createConsole, type ModelConsole } from './console.ts';
import { bindHost, takeHostGlobal } from './host-slot.ts';
import type { HostBridge } from './isolate-protocol.ts';
import { formatLogArgs } from './log-format.ts';
import { Utf8Decoder, Utf8Encoder } from './text-codec.ts';
import { TimerTable } from './timers.ts';

/** The globals the prelude provides, by name. */
export interface PreludeGlobals {
  console: ModelConsole;
  performance: { now(): number };
  setTimeout: (callback: (...args: unknown[]) => unknown, delay?: number, ...args: unknown[]) => number;
  clearTimeout: (id: unknown) => void;
  setInterval: (callback: (...args: unknown[]) => unknown, delay?: number, ...args: unknown[]) => number;
  clearInterval: (id: unknown) => void;
  queueMicrotask: (callback: () => void) => void;
  TextEncoder: typeof Utf8Encoder;
  TextDecoder: typeof Utf8Decoder;
}

/** The prelude for one host: its globals, and the timer table `IsolateEntry.fireTimer` dispatches to. */
export interface Prelude {
  readonly host: HostBridge;
  readonly globals: Readonly<PreludeGlobals>;
  readonly timers: TimerTable;
}

/** Builds the globals for `host` without installing them anywhere. */
export function createPrelude(host: HostBridge): Prelude {
  const report = (message: string): void => host.log('error', message);
  const timers = new TimerTable(host, report);
  const globals: PreludeGlobals = {
    console: createConsole((level, message) => host.log(level, message)),
    performance: Object.freeze({ now: () => host.now() }),
    setTimeout: (callback, delay, ...args) => timers.setTimeout(callback, delay, ...args),
    clearTimeout: (id) => timers.clear(id),
    setInterval: (callback, delay, ...args) => timers.setInterval(callback, delay, ...args),
    clearInterval: (id) => timers.clear(id),
    queueMicrotask: (callback) => {
      if (typeof callback !== 'function') throw new TypeError('queueMicrotask: the callback must be a function');
      void Promise.resolve().then(() => {
        try {
          callback();
        } catch (error) {
          report(`uncaught exception in a queueMicrotask callback: ${formatLogArgs([error])}`);
        }
      });
    },
    TextEncoder: Utf8Encoder,
    TextDecoder: Utf8Decoder,
  };
  return Object.freeze({ host, globals: Object.freeze(globals), timers });
}

/** Defines the prelude's globals on `target` (writable, configurable, not enumerable, like built-ins). */
export function installPrelude(prelude: Prelude, target: object = globalThis): void {
  for (const [name, value] of Object.entries(prelude.globals)) {
    Object.defineProperty(target, name, { value, writable: true, configurable: true, enumerable: false });
  }
}

let installed: Prelude | undefined;

/** The prelude installed when this module loaded inside an isolate; undefined elsewhere. */
export function installedPrelude(): Prelude | undefined {
  return installed;
}

// Inside an isolate the host bridge is there now, before model code runs: take it and set up.
const host = takeHostGlobal();
if (host !== undefined) {
  bindHost(host);
  installed = createPrelude(host);
  installPrelude(installed, globalThis);
}
