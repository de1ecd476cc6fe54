/**
 * One isolated-vm isolate running one model.ts bundle: its memory limit, the
 * host bridge it is given, and synchronous entry calls with a time limit.
 * This directory is the only importer of isolated-vm.
 *
 * Threads: every call into the isolate is `applySync` on the server's main
 * thread (docs/design/script-backend.md: 1 µs per entry against 16 to 68 µs
 * for a hop to isolated-vm's pool), so the isolate only ever runs between an
 * entry and its return, which the slice timeout bounds. The isolate never
 * blocks on the host: host callbacks are synchronous and return at once.
 *
 * A call that hits the memory limit or the slice timeout leaves the isolate
 * disposed or its state unknown: `enter` reports that as fatal, and the owner
 * replaces the instance.
 */
import ivm from 'isolated-vm';
import {
  ENTRY_GLOBAL,
  HOST_GLOBAL,
  type HostBridge,
  type IsolateEntry,
} from '../../../sdk/model/isolate-protocol.ts';

/** Why an entry call failed: the model's own error (the isolate is fine) or a fatal one (replace the instance). */
export type EntryFailure = { fatal: false; message: string; stack?: string } | { fatal: true; message: string };

export interface SandboxOptions {
  readonly memoryLimitMb: number;
  readonly sliceTimeoutMs: number;
  /** The bundle's code and the name V8 reports for it in stack traces. */
  readonly code: string;
  readonly filename: string;
}

type EntryName = Exclude<keyof IsolateEntry, 'autoCompleteConfig'> | 'autoCompleteConfig';

export class IsolateSandbox {
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;
  readonly #entry: Map<EntryName, ivm.Reference<(...args: unknown[]) => void>>;
  readonly #options: SandboxOptions;

  private constructor(isolate: ivm.Isolate, context: ivm.Context, entry: Map<EntryName, ivm.Reference<(...args: unknown[]) => void>>, options: SandboxOptions) {
    this.#isolate = isolate;
    this.#context = context;
    this.#entry = entry;
    this.#options = options;
  }

  /**
   * Creates the isolate, installs `bridge` as the host global, runs the bundle
   * (which captures the bridge and installs the entry global) and takes
   * references to the entry functions. Throws with the bundle's own error if
   * its top-level code fails.
   */
  static async create(bridge: HostBridge, options: SandboxOptions): Promise<IsolateSandbox> {
    const isolate = new ivm.Isolate({ memoryLimit: options.memoryLimitMb });
    try {
      const context = await isolate.createContext();
      const global = context.global;
      const host = new ivm.ExternalCopy({}).copyInto();
      await global.set(HOST_GLOBAL, host);
      const hostObject = (await global.get(HOST_GLOBAL, { reference: true })) as ivm.Reference<Record<string, unknown>>;
      for (const [name, fn] of Object.entries(bridge)) {
        await hostObject.set(name, new ivm.Callback(fn as (...args: unknown[]) => unknown));
      }
      const script = await isolate.compileScript(options.code, { filename: options.filename });
      await script.run(context, { timeout: options.sliceTimeoutMs });
      const entryRef = (await global.get(ENTRY_GLOBAL, { reference: true })) as ivm.Reference<Record<string, unknown>>;
      if (entryRef.typeof !== 'object') throw new Error(`the bundle did not install ${ENTRY_GLOBAL}`);
      const entry = new Map<EntryName, ivm.Reference<(...args: unknown[]) => void>>();
      for (const name of ['initialize', 'execute', 'finalize', 'resume', 'fireTimer', 'autoCompleteConfig'] as const) {
        const ref = (await entryRef.get(name, { reference: true })) as ivm.Reference<(...args: unknown[]) => void>;
        if (ref.typeof === 'function') entry.set(name, ref);
      }
      return new IsolateSandbox(isolate, context, entry, options);
    } catch (error) {
      if (!isolate.isDisposed) isolate.dispose();
      throw error;
    }
  }

  /** True when the bundle exports this entry (autoCompleteConfig is optional). */
  has(name: EntryName): boolean {
    return this.#entry.has(name);
  }

  get isDisposed(): boolean {
    return this.#isolate.isDisposed;
  }

  /** Heap in use, for the model's memory statistics. */
  heapBytes(): number {
    return this.#isolate.isDisposed ? 0 : this.#isolate.getHeapStatisticsSync().used_heap_size;
  }

  /**
   * Calls entry `name` synchronously with copies of `args`; the script runs
   * until its next `await` (microtasks included). Returns a failure instead of
   * throwing.
   */
  enter(name: EntryName, args: unknown[]): EntryFailure | undefined {
    const ref = this.#entry.get(name);
    if (!ref) return { fatal: false, message: `model.ts does not export ${name}` };
    try {
      ref.applySync(undefined, args, { arguments: { copy: true }, timeout: this.#options.sliceTimeoutMs });
      return undefined;
    } catch (error) {
      return this.#classify(error);
    }
  }

  dispose(): void {
    if (!this.#isolate.isDisposed) {
      this.#context.release();
      this.#isolate.dispose();
    }
  }

  #classify(error: unknown): EntryFailure {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#isolate.isDisposed || /memory limit/i.test(message)) {
      return { fatal: true, message: `ran out of memory (memory_limit_mb ${this.#options.memoryLimitMb})` };
    }
    if (/timed out/i.test(message)) {
      return { fatal: true, message: `script code ran longer than slice_timeout_ms (${this.#options.sliceTimeoutMs} ms) without yielding` };
    }
    return { fatal: false, message, stack: error instanceof Error ? error.stack : undefined };
  }
}
