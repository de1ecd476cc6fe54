/**
 * One isolated-vm isolate running one model.ts bundle: its memory limit, the
 * host bridge it is given, synchronous entry calls with a time limit, and the
 * host side of the frame transport (sdk/model/frame-buffer.ts).
 * This directory is the only importer of isolated-vm.
 *
 * Threads: every call into the isolate is `applySync` on the server's main
 * thread (docs/design/script-backend.md: 1 µs per entry against 16 to 68 µs
 * for a hop to isolated-vm's pool), so the isolate only ever runs between an
 * entry and its return, which the slice timeout bounds (slice-watchdog.ts
 * stops an entry that overruns it). The isolate never blocks on the host:
 * host callbacks are synchronous and return at once.
 *
 * Copies: the per-request calls (execute, its settle, a BLS request, its
 * result) cross as flat frames in two buffers shared with the isolate, with
 * only numbers and one string as arguments; a structured copy of the same
 * descriptors costs about 5 µs per crossing. Rare calls (initialize,
 * finalize, autoCompleteConfig, timers) pass plain copied arguments.
 *
 * A call that hits the memory limit or the slice timeout leaves the isolate
 * disposed or its state unknown: the entry reports that as fatal, and the
 * owner replaces the instance.
 */
import ivm from 'isolated-vm';
import { createFrameArena, FrameReader, FrameWriter, type Frame } from '../../../sdk/model/frame-buffer.ts';
import { readBlsRequest, readSettle, readStreamResponse, writeBlsResumptions, writeRequests } from '../../../sdk/model/frame-messages.ts';
import {
  ENTRY_GLOBAL,
  HOST_GLOBAL,
  type BlsResumption,
  type EntryWire,
  type HostBridge,
  type HostWire,
  type RequestDescriptor,
  type SettleResult,
} from '../../../sdk/model/isolate-protocol.ts';
import { NereidError } from '../../../sdk/errors.ts';
import type { ScriptOptions } from './script-options.ts';
import { SliceGuard, sliceWatchdog } from './slice-watchdog.ts';

/** Why an entry call failed: the model's own error (the isolate is fine) or a fatal one (replace the instance). */
export type EntryFailure = { fatal: false; message: string; stack?: string } | { fatal: true; message: string };

/** The model's limits (ScriptOptions; `webAssembly` false removes that global), and its bundle. */
export interface SandboxOptions extends Pick<ScriptOptions, 'memoryLimitMb' | 'sliceTimeoutMs' | 'webAssembly'> {
  /** The bundle's code and the name V8 reports for it in stack traces. */
  readonly code: string;
  readonly filename: string;
}

type EntryName = keyof EntryWire;
/** Entries called with plain copied arguments. */
type PlainEntryName = Exclude<EntryName, 'executeFrame' | 'resumeFrame'>;
type EntryRef = ivm.Reference<(...args: unknown[]) => void>;

export class IsolateSandbox {
  readonly #isolate: ivm.Isolate;
  readonly #context: ivm.Context;
  readonly #entry: Map<EntryName, EntryRef>;
  readonly #options: SandboxOptions;
  readonly #writer: FrameWriter;
  readonly #guard: SliceGuard;

  private constructor(
    isolate: ivm.Isolate,
    context: ivm.Context,
    entry: Map<EntryName, EntryRef>,
    options: SandboxOptions,
    writer: FrameWriter,
    guard: SliceGuard,
  ) {
    this.#guard = guard;
    this.#isolate = isolate;
    this.#context = context;
    this.#entry = entry;
    this.#options = options;
    this.#writer = writer;
  }

  /**
   * Creates the isolate, installs the host global (`bridge` as a HostWire
   * over two fresh shared buffers), runs the bundle (which captures the host
   * global and installs the entry global) and takes references to the entry
   * functions. Throws with the bundle's own error if its top-level code fails.
   */
  static async create(bridge: HostBridge, options: SandboxOptions): Promise<IsolateSandbox> {
    const isolate = new ivm.Isolate({ memoryLimit: options.memoryLimitMb });
    const guard = new SliceGuard(options.sliceTimeoutMs);
    try {
      await sliceWatchdog.watch(guard, isolate);
      const context = await isolate.createContext();
      // A WebAssembly memory is allocated outside the isolate's heap limit: a model could take the server's memory with it.
      if (!options.webAssembly) await context.eval('delete globalThis.WebAssembly');
      const global = context.global;
      await global.set(HOST_GLOBAL, new ivm.ExternalCopy({}).copyInto());
      const hostObject = (await global.get(HOST_GLOBAL, { reference: true })) as ivm.Reference<Record<string, unknown>>;
      const toIsolate = createFrameArena() as SharedArrayBuffer;
      const toHost = createFrameArena() as SharedArrayBuffer;
      for (const [name, fn] of Object.entries(hostCallbacks(bridge, new FrameReader(toHost)))) {
        await hostObject.set(name, new ivm.Callback(fn as (...args: unknown[]) => unknown));
      }
      // Shared, not copied: both sides see the same memory (DESIGN.md §3).
      await hostObject.set('toIsolate', new ivm.ExternalCopy(toIsolate).copyInto({ release: true }));
      await hostObject.set('toHost', new ivm.ExternalCopy(toHost).copyInto({ release: true }));
      const script = await isolate.compileScript(options.code, { filename: options.filename });
      await script.run(context, { timeout: options.sliceTimeoutMs });
      const entryRef = (await global.get(ENTRY_GLOBAL, { reference: true })) as ivm.Reference<Record<string, unknown>>;
      if (entryRef.typeof !== 'object') throw new Error(`the bundle did not install ${ENTRY_GLOBAL}`);
      const entry = new Map<EntryName, EntryRef>();
      for (const name of ['initialize', 'executeFrame', 'finalize', 'resumeFrame', 'fireTimer', 'cancelled', 'autoCompleteConfig'] as const) {
        const ref = (await entryRef.get(name, { reference: true })) as EntryRef;
        if (ref.typeof === 'function') entry.set(name, ref);
      }
      return new IsolateSandbox(isolate, context, entry, options, new FrameWriter(toIsolate), guard);
    } catch (error) {
      sliceWatchdog.unwatch(guard);
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
  enter(name: PlainEntryName, args: unknown[]): EntryFailure | undefined {
    return this.#apply(name, args, true);
  }

  /** `IsolateEntry.execute(callId, requests)`, as a frame. */
  execute(callId: number, requests: readonly RequestDescriptor[]): EntryFailure | undefined {
    writeRequests(this.#writer, requests);
    return this.#enterFrame('executeFrame', [callId], this.#writer.finish());
  }

  /** `IsolateEntry.resume(callId, result)` for each of `resumptions`, as one frame: one entry into the isolate. */
  resume(resumptions: readonly BlsResumption[]): EntryFailure | undefined {
    writeBlsResumptions(this.#writer, resumptions);
    return this.#enterFrame('resumeFrame', [], this.#writer.finish());
  }

  dispose(): void {
    sliceWatchdog.unwatch(this.#guard);
    if (!this.#isolate.isDisposed) {
      this.#context.release();
      this.#isolate.dispose();
    }
  }

  #enterFrame(name: 'executeFrame' | 'resumeFrame', leading: number[], frame: Frame): EntryFailure | undefined {
    // Only an oversized frame is copied in; the usual one is already in the shared buffer.
    const overflow = frame.overflow === undefined ? undefined : new ivm.ExternalCopy(frame.overflow).copyInto({ release: true });
    return this.#apply(name, [...leading, frame.strings, overflow], false);
  }

  #apply(name: EntryName, args: unknown[], copy: boolean): EntryFailure | undefined {
    const ref = this.#entry.get(name);
    if (!ref) return { fatal: false, message: `model.ts does not export ${name}` };
    let failure: EntryFailure | undefined;
    this.#guard.enter();
    try {
      if (copy) ref.applySync(undefined, args, { arguments: { copy: true } });
      else ref.applySync(undefined, args as ivm.Transferable[]);
    } catch (error) {
      failure = this.#classify(error);
    }
    // Asked even after a normal return: the watcher may have stopped the entry as it returned.
    if (this.#guard.leave()) {
      return { fatal: true, message: `script code ran longer than slice_timeout_ms (${this.#options.sliceTimeoutMs} ms) without yielding` };
    }
    return failure;
  }

  #classify(error: unknown): EntryFailure {
    const message = error instanceof Error ? error.message : String(error);
    if (this.#isolate.isDisposed || /memory limit/i.test(message)) {
      return { fatal: true, message: `ran out of memory (memory_limit_mb ${this.#options.memoryLimitMb})` };
    }
    return { fatal: false, message, stack: error instanceof Error ? error.stack : undefined };
  }
}

/** `bridge` as the HostWire callbacks: the frame calls decode (first thing, while the frame is intact) and pass descriptors on. */
function hostCallbacks(bridge: HostBridge, reader: FrameReader): Omit<HostWire, 'toIsolate' | 'toHost'> {
  const { infer, settle, sendResponse, ...plain } = bridge;
  return {
    ...plain,
    inferFrame(callId, strings, overflow) {
      reader.open(strings, overflow);
      infer.call(bridge, callId, readBlsRequest(reader));
    },
    settleFrame(callId, strings, overflow) {
      reader.open(strings, overflow);
      let result: SettleResult;
      try {
        result = readSettle(reader);
      } catch (error) {
        // Settle anyway: a call left unsettled would wait for execute_timeout_ms and cost the instance.
        result = { ok: false, error: NereidError.internal(`the script's result could not be read: ${error instanceof Error ? error.message : String(error)}`).toData() };
      }
      settle.call(bridge, callId, result);
    },
    responseFrame(responseToken, strings, overflow) {
      reader.open(strings, overflow);
      const { response, final } = readStreamResponse(reader);
      sendResponse.call(bridge, responseToken, response, final);
    },
  };
}
