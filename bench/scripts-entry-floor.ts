/**
 * The machine's floor under the BLS figures: what one entry into an
 * isolated-vm isolate costs here, with nothing of nereid in it. The entry is
 * the script backend's own kind (`applySync` marked for the slice watchdog,
 * running a function that queues one microtask), into an isolate with the
 * default memory limit.
 *
 * Measured hot (back to back) and after 1 ms idle, since at concurrency 1
 * every request finds the server idle: on a shared VM whose idle cores give
 * their caches to other guests, the second is several times the first. A BLS
 * request enters its model's isolate at least twice (execute, then the
 * resumption with the BLS result), so twice the idle figure is a floor under
 * "BLS added, c=1" that no change inside nereid can remove.
 */
import ivm from 'isolated-vm';
import { SliceGuard, sliceWatchdog } from '../runtime/backends/script/slice-watchdog.ts';
import type { Report } from './scripts-report.ts';
import { summarize } from './stats.ts';

const HOT_CALLS = 20_000;
const IDLE_CALLS = 400;
const SLICE_TIMEOUT_MS = 1_000;

export async function benchEntryFloor(report: Report): Promise<void> {
  const section = 'floor';
  report.print(`\n[${section}] one isolated-vm entry (applySync under the slice watchdog, one microtask), no nereid code\n`);
  const isolate = new ivm.Isolate({ memoryLimit: 128 });
  const guard = new SliceGuard(SLICE_TIMEOUT_MS);
  try {
    await sliceWatchdog.watch(guard, isolate);
    const context = await isolate.createContext();
    await context.eval('globalThis.entry = (callId, strings, overflow) => { Promise.resolve(callId).then(() => strings); };');
    const entry = (await context.global.get('entry', { reference: true })) as ivm.Reference<(...args: unknown[]) => void>;
    const enter = (): void => {
      guard.enter();
      try {
        entry.applySync(undefined, [1, 'model', undefined]);
      } finally {
        guard.leave();
      }
    };

    for (let i = 0; i < 2_000; i++) enter();
    const hotStart = performance.now();
    for (let i = 0; i < HOT_CALLS; i++) enter();
    const hotUs = ((performance.now() - hotStart) * 1000) / HOT_CALLS;

    const idle: number[] = [];
    for (let i = 0; i < IDLE_CALLS; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      const started = performance.now();
      enter();
      idle.push((performance.now() - started) * 1000);
    }
    const idleUs = summarize(idle, 0).p50;

    report.figure({ section, name: 'isolate entry, hot (mean)', value: hotUs, unit: 'µs' });
    report.figure({ section, name: 'isolate entry after 1 ms idle, p50', value: idleUs, unit: 'µs' });
    report.figure({
      section,
      name: 'floor under BLS added at c=1 (2 idle entries)',
      value: 2 * idleUs,
      unit: 'µs',
      note: 'execute and resumption each enter the isolate after the server went idle',
    });
  } finally {
    sliceWatchdog.unwatch(guard);
    isolate.dispose();
  }
}
