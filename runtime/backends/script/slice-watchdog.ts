/**
 * Stops script code that runs past its slice timeout on the server thread,
 * without an isolated-vm timer per entry.
 *
 * Why not `applySync(..., { timeout })`: isolated-vm arms a timer per call,
 * and its timer thread keeps each one until it would have expired, waking
 * for it then. A BLS request enters its isolate at least twice, so the
 * server paid two timers (a lock, an allocation, a queue insert) and two
 * wake-ups of another thread per request: about 20 µs of a BLS request's
 * latency at concurrency 1 on the 2-core VM (docs/design/script-backend.md).
 *
 * How: every sandbox has a SliceGuard, 4 bytes of shared memory in which the
 * server thread counts entries into its isolate (odd while inside). One
 * watcher, a small isolate running a loop on isolated-vm's thread pool, looks
 * at every guard once per poll interval. When it sees the same entry inside
 * again, it measures how long that entry has run with the isolate's
 * `wallTime`, which isolated-vm keeps on a monotonic clock while code runs in
 * it: a step of the system clock neither stops an entry early nor lets a
 * stuck one run on. The first sighting comes at most one interval after the
 * entry began, so an overrun is caught at most two intervals late. The
 * watcher marks the entry tripped with a compare-and-swap, so an entry that
 * has just returned is never blamed, and disposes the isolate, which
 * interrupts the running code (a V8 interrupt request, safe from any thread).
 * The server thread's `applySync` then throws, and `leave()` says why.
 *
 * The watcher never waits for the server thread, which may be the one that
 * is stuck: when a sandbox comes or goes, a new watcher starts over the
 * current guards and the previous one is told to stop. With no sandbox left
 * no watcher runs, so it does not keep the process alive.
 */
import ivm from 'isolated-vm';

/** Entry counts stay non-negative (TRIPPED is negative) and wrap. */
const COUNT_MASK = 0x3fff_ffff;
const TRIPPED = -1;
/** The poll interval as a share of the smallest slice timeout watched, within these bounds (an overrun is caught at most two intervals late). */
const POLL_SHARE = 0.05;
const MIN_POLL_MS = 5;
const MAX_POLL_MS = 100;

/**
 * The watcher's loop, run in its own isolate (it sees only its arguments):
 * `stop` is set by the host to end it; each guard is its shared buffer, the
 * isolate to dispose when that guard's entry overruns, and its slice timeout.
 * For each guard it remembers the entry last seen inside and the isolate's
 * wall time (ns) at that sighting.
 */
const WATCHER_SOURCE = `(stopBuffer, pollMs, ...guards) => {
  const stop = new Int32Array(stopBuffer);
  const watched = [];
  for (let i = 0; i < guards.length; i += 3) {
    watched.push({ entry: new Int32Array(guards[i]), isolate: guards[i + 1], sliceNs: BigInt(guards[i + 2]) * 1000000n, seen: -1, since: 0n });
  }
  while (Atomics.load(stop, 0) === 0) {
    for (const guard of watched) {
      const entry = Atomics.load(guard.entry, 0);
      if (entry < 0 || (entry & 1) === 0) {
        guard.seen = -1;
        continue;
      }
      let ran;
      try { ran = guard.isolate.wallTime; } catch { continue; }
      if (entry !== guard.seen) {
        guard.seen = entry;
        guard.since = ran;
      } else if (ran - guard.since >= guard.sliceNs && Atomics.compareExchange(guard.entry, 0, entry, ${TRIPPED}) === entry) {
        try { guard.isolate.dispose(); } catch {}
      }
    }
    Atomics.wait(stop, 0, 0, pollMs);
  }
}`;

/** The server thread's side of one sandbox's watch: mark each entry into its isolate. */
export class SliceGuard {
  readonly sliceTimeoutMs: number;
  /** Shared with the watcher: the Int32 entry count. */
  readonly buffer = new SharedArrayBuffer(4);
  readonly #entry = new Int32Array(this.buffer);
  #count = 0;
  #depth = 0;

  constructor(sliceTimeoutMs: number) {
    this.sliceTimeoutMs = sliceTimeoutMs;
  }

  /** Marks an entry into the isolate. An entry nested in another is part of the outer one. */
  enter(): void {
    if (this.#depth++ > 0) return;
    this.#count = (this.#count + 1) & COUNT_MASK;
    Atomics.store(this.#entry, 0, this.#count);
  }

  /** Marks the end of an entry; true when the watcher stopped it for running past its slice timeout. */
  leave(): boolean {
    if (--this.#depth > 0) return false;
    const inside = this.#count;
    this.#count = (inside + 1) & COUNT_MASK;
    return Atomics.compareExchange(this.#entry, 0, inside, this.#count) !== inside;
  }
}

interface Watcher {
  readonly stop: Int32Array;
}

/** The process's watcher: which sandboxes it watches, and the current watcher isolate. */
class SliceWatchdog {
  readonly #guards = new Map<SliceGuard, ivm.Isolate>();
  #current: Watcher | undefined;
  /** Watcher changes run one at a time, in order. */
  #changes: Promise<void> = Promise.resolve();

  /** Watches `isolate`'s entries through `guard`; resolves once a watcher that includes it has been started. */
  watch(guard: SliceGuard, isolate: ivm.Isolate): Promise<void> {
    this.#guards.set(guard, isolate);
    return this.#change();
  }

  /** Stops watching `guard` (its isolate is being disposed). */
  unwatch(guard: SliceGuard): void {
    if (this.#guards.delete(guard)) void this.#change();
  }

  #change(): Promise<void> {
    const change = this.#changes.then(() => this.#replaceWatcher());
    // A watcher that failed to start fails its watch() (that sandbox is not created); later changes still run.
    this.#changes = change.catch(() => undefined);
    return change;
  }

  /** Starts a watcher over the current guards (none when there are none), then stops the previous one. */
  async #replaceWatcher(): Promise<void> {
    const previous = this.#current;
    this.#current = this.#guards.size === 0 ? undefined : await startWatcher(this.#guards);
    if (previous) {
      Atomics.store(previous.stop, 0, 1);
      Atomics.notify(previous.stop, 0);
    }
  }
}

async function startWatcher(guards: ReadonlyMap<SliceGuard, ivm.Isolate>): Promise<Watcher> {
  const isolate = new ivm.Isolate({ memoryLimit: 8 });
  let loop: ivm.Reference<(...args: unknown[]) => void>;
  try {
    const context = await isolate.createContext();
    loop = (await context.eval(WATCHER_SOURCE, { reference: true })) as ivm.Reference<(...args: unknown[]) => void>;
  } catch (error) {
    isolate.dispose();
    throw error;
  }
  const stopBuffer = new SharedArrayBuffer(4);
  const shortest = Math.min(...[...guards.keys()].map((guard) => guard.sliceTimeoutMs));
  const pollMs = Math.min(MAX_POLL_MS, Math.max(MIN_POLL_MS, Math.ceil(shortest * POLL_SHARE)));
  const args: ivm.Transferable[] = [new ivm.ExternalCopy(stopBuffer).copyInto({ release: true }), pollMs];
  for (const [guard, watched] of guards) args.push(new ivm.ExternalCopy(guard.buffer).copyInto({ release: true }), watched, guard.sliceTimeoutMs);
  // Runs on isolated-vm's thread pool until stopped; then its isolate goes.
  void loop.apply(undefined, args).then(
    () => isolate.dispose(),
    () => isolate.isDisposed || isolate.dispose(),
  );
  return { stop: new Int32Array(stopBuffer) };
}

/** The one watchdog of this process. */
export const sliceWatchdog = new SliceWatchdog();
