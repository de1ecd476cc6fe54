import ivm from 'isolated-vm';
import { afterEach, describe, expect, it } from 'vitest';
import { SliceGuard, sliceWatchdog } from '../../runtime/backends/script/slice-watchdog.ts';

interface Watched {
  readonly isolate: ivm.Isolate;
  readonly guard: SliceGuard;
  /** Enters the isolate as the sandbox does: `run(n)` returns n + 1, or loops forever when n < 0. */
  enter(n: number): { value?: number; error?: string; stopped: boolean };
  /** `run(n)` without marking an entry: code an entry the test marked itself runs on. */
  run(n: number): number;
}

const BACKSTOP_MS = 5_000;
const watched: Watched[] = [];

async function watchedIsolate(sliceTimeoutMs: number): Promise<Watched> {
  const isolate = new ivm.Isolate({ memoryLimit: 16 });
  const context = await isolate.createContext();
  const run = (await context.eval('(n) => { if (n < 0) for (;;) {} return n + 1; }', { reference: true })) as ivm.Reference<(n: number) => number>;
  const guard = new SliceGuard(sliceTimeoutMs);
  await sliceWatchdog.watch(guard, isolate);
  // isolated-vm's own timeout only as a backstop: a broken watchdog fails the test instead of hanging it.
  const unguarded = (n: number): number => run.applySync(undefined, [n], { timeout: BACKSTOP_MS });
  const entry: Watched = {
    isolate,
    guard,
    enter(n) {
      guard.enter();
      try {
        const value = unguarded(n);
        return { value, stopped: guard.leave() };
      } catch (error) {
        return { error: (error as Error).message, stopped: guard.leave() };
      }
    },
    run: unguarded,
  };
  watched.push(entry);
  return entry;
}

afterEach(() => {
  for (const { isolate, guard } of watched.splice(0)) {
    sliceWatchdog.unwatch(guard);
    if (!isolate.isDisposed) isolate.dispose();
  }
});

describe('slice watchdog', () => {
  it('stops an entry that runs past its slice timeout, and says so', async () => {
    const looping = await watchedIsolate(50);
    const started = performance.now();
    const outcome = looping.enter(-1);
    const ranMs = performance.now() - started;
    expect(outcome.stopped).toBe(true);
    expect(outcome.error).toMatch(/disposed/);
    expect(looping.isolate.isDisposed).toBe(true);
    expect(ranMs).toBeGreaterThanOrEqual(49);
    // Caught a couple of 5 ms polls late, not at the test's 5 s backstop (the bound leaves room for a loaded machine).
    expect(ranMs).toBeLessThan(1_000);
  });

  it('never stops entries that return in time', async () => {
    // Polled every 5 ms while thousands of entries come and go: a watcher that blamed an entry as it returned would show.
    const quick = await watchedIsolate(50);
    let stopped = 0;
    let sum = 0;
    const until = performance.now() + 800;
    let entries = 0;
    while (performance.now() < until) {
      const outcome = quick.enter(entries++);
      if (outcome.stopped) stopped++;
      sum += outcome.value ?? 0;
    }
    expect(stopped).toBe(0);
    expect(sum).toBe((entries * (entries + 1)) / 2);
    expect(quick.isolate.isDisposed).toBe(false);
  });

  it('watches isolates added later, and stops only the one that overruns', async () => {
    const first = await watchedIsolate(1_000);
    const second = await watchedIsolate(60);
    expect(second.enter(-1).stopped).toBe(true);
    expect(second.isolate.isDisposed).toBe(true);
    expect(first.enter(41)).toEqual({ value: 42, stopped: false });
    // The first one's own limit still holds after the second is gone.
    sliceWatchdog.unwatch(second.guard);
    const started = performance.now();
    expect(first.enter(-1).stopped).toBe(true);
    expect(performance.now() - started).toBeGreaterThanOrEqual(999);
  });

  it('watches an entry nested in another as part of it', async () => {
    const outer = await watchedIsolate(200);
    outer.guard.enter();
    expect(outer.enter(1)).toEqual({ value: 2, stopped: false });
    // A nested entry that loops is still inside the outer one: it is stopped, and the outer entry learns why.
    const nested = outer.enter(-1);
    expect(nested.error).toMatch(/disposed/);
    expect(nested.stopped).toBe(false);
    expect(outer.guard.leave()).toBe(true);
  });
});
