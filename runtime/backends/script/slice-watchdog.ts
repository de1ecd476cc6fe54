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
 * How: every sandbox has a SliceGuard, 16 bytes of shared memory in which
 * the server thread writes, around each entry, an entry count (odd while
 * inside) and the entry's deadline in epoch ms (`Date.now()` is the only
 * clock the watcher's isolate has, so a step of the system clock during an
 * entry moves its deadline). One watcher, a small isolate running a loop on
 * isolated-vm's thread pool, reads them: it sleeps until the earliest
 * deadline it knows of, or at most one poll interval, so an entry that
 * overruns is caught at most a poll interval late. It marks the
 * entry tripped with a compare-and-swap, so an entry that has just returned
 * is never blamed, and disposes the isolate, which interrupts the running
 * code (a V8 interrupt request, safe from any thread). The server thread's
 * `applySync` then throws, and `leave()` says why.
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
/** How late an overrun may be caught, as a share of the smallest slice timeout watched, within these bounds. */
const POLL_SHARE = 0.1;
const MIN_POLL_MS = 5;
const MAX_POLL_MS = 100;

/**
 * The watcher's loop, run in its own isolate (it sees only its arguments):
 * `stop` is set by the host to end it; each guard is its shared buffer and
 * the isolate to dispose when that guard's entry overruns.
 */
const WATCHER_SOURCE = `(stopBuffer, pollMs, ...guards) => {
  const stop = new Int32Array(stopBuffer);
  const watched = [];
  for (let i = 0; i < guards.length; i += 2) {
    watched.push({ entry: new Int32Array(guards[i], 0, 1), deadline: new Float64Array(guards[i], 8, 1), isolate: guards[i + 1] });
  }
  while (Atomics.load(stop, 0) === 0) {
    const now = Date.now();
    let sleep = pollMs;
    for (const guard of watched) {
      const entry = Atomics.load(guard.entry, 0);
      if (entry < 0 || (entry & 1) === 0) continue;
      const deadline = guard.deadline[0];
      if (deadline === 0) continue;
      const left = deadline - now;
      if (left > 0) {
        sleep = Math.min(sleep, left);
      } else if (Atomics.compareExchange(guard.entry, 0, entry, ${TRIPPED}) === entry) {
        try { guard.isolate.dispose(); } catch {}
      }
    }
    Atomics.wait(stop, 0, 0, Math.max(1, Math.ceil(sleep)));
  }
}`;

/** The server thread's side of one sandbox's watch: mark each entry into its isolate. */
export class SliceGuard {
  readonly sliceTimeoutMs: number;
  /** Shared with the watcher: Int32 entry count at 0, Float64 deadline at 8. */
  readonly buffer = new SharedArrayBuffer(16);
  readonly #entry = new Int32Array(this.buffer, 0, 1);
  readonly #deadline = new Float64Array(this.buffer, 8, 1);
  #count = 0;
  #depth = 0;

  constructor(sliceTimeoutMs: number) {
    this.sliceTimeoutMs = sliceTimeoutMs;
  }

  /** Marks an entry into the isolate. An entry nested in another is covered by the outer one's deadline. */
  enter(): void {
    if (this.#depth++ > 0) return;
    this.#deadline[0] = Date.now() + this.sliceTimeoutMs;
    this.#count = (this.#count + 1) & COUNT_MASK;
    // Published after the deadline: a watcher that sees this count reads this entry's deadline (or a later one's).
    Atomics.store(this.#entry, 0, this.#count);
  }

  /** Marks the end of an entry; true when the watcher stopped it for running past its deadline. */
  leave(): boolean {
    if (--this.#depth > 0) return false;
    const inside = this.#count;
    this.#count = (inside + 1) & COUNT_MASK;
    // The count first: a watcher that still sees this entry inside must not then read a cleared deadline as past.
    const stopped = Atomics.compareExchange(this.#entry, 0, inside, this.#count) !== inside;
    this.#deadline[0] = 0;
    return stopped;
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
  for (const [guard, watched] of guards) args.push(new ivm.ExternalCopy(guard.buffer).copyInto({ release: true }), watched);
  // Runs on isolated-vm's thread pool until stopped; then its isolate goes.
  void loop.apply(undefined, args).then(
    () => isolate.dispose(),
    () => isolate.isDisposed || isolate.dispose(),
  );
  return { stop: new Int32Array(stopBuffer) };
}

/** The one watchdog of this process. */
export const sliceWatchdog = new SliceWatchdog();
