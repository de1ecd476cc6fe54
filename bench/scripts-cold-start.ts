/**
 * Cold start of a script model: `server.loadModel('add_sub_bls')` in explicit
 * mode, from the call to the model being READY (the promise resolving), then
 * its first inference. Three cases:
 *
 *   first     the first load in this process (esbuild's service starts, nothing cached)
 *   uncached  the bundle cache cleared (esbuild already running): a real rebuild
 *   cached    the bundle cached by content (a reload of unchanged files)
 *
 * and memory: RSS and isolate heap before and after loading 8 instances
 * (instance_group count 8, through a config override).
 *
 * Must run before anything else in the process bundles a model, or `first`
 * is not first.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Tensor } from '../sdk/tensor.ts';
import { clearBundleCache, modelBundler } from '../runtime/backends/script/bundle/model-bundler.ts';
import type { Logger } from '../runtime/logging/logger.ts';
import { createServer, type Server } from '../runtime/server/create-server.ts';
import { heapOfLiveSandboxes, takePhaseTimes } from './script-probes.ts';
import type { Report } from './scripts-report.ts';

const MODEL = 'add_sub_bls';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const median = (xs: readonly number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor(sorted.length / 2)]! : NaN;
};
const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

interface LoadTiming {
  loadMs: number;
  firstInferMs: number;
  bundleMs: number;
  sandboxMs: number;
  sandboxes: number;
}

async function timedLoad(server: Server, options?: { config: string }): Promise<LoadTiming> {
  takePhaseTimes();
  const t0 = performance.now();
  await server.loadModel(MODEL, options);
  const loadMs = performance.now() - t0;
  if (!server.isModelReady(MODEL)) throw new Error(`${MODEL} is not ready after loadModel resolved`);
  const phases = takePhaseTimes();
  const t1 = performance.now();
  await server.infer({
    model: MODEL,
    inputs: [new Tensor('INPUT0', 'INT32', [1, 16], new Int32Array(16)), new Tensor('INPUT1', 'INT32', [1, 16], new Int32Array(16))],
  });
  return { loadMs, firstInferMs: performance.now() - t1, bundleMs: sum(phases.bundleMs), sandboxMs: sum(phases.sandboxMs), sandboxes: phases.sandboxMs.length };
}

async function repeated(server: Server, modelDir: string, clearCache: boolean, repeats: number): Promise<LoadTiming[]> {
  const timings: LoadTiming[] = [];
  for (let i = 0; i < repeats; i++) {
    await server.unloadModel(MODEL);
    if (clearCache) clearBundleCache(modelDir);
    timings.push(await timedLoad(server));
  }
  return timings;
}

function reportLoads(report: Report, section: string, label: string, timings: readonly LoadTiming[]): void {
  const m = (key: keyof LoadTiming): number => median(timings.map((t) => t[key]));
  const n = timings.length > 1 ? `median of ${timings.length}` : 'once';
  report.figure({ section, name: `${label}: loadModel -> READY`, value: m('loadMs'), unit: 'ms', note: n });
  report.figure({ section, name: `${label}:   bundling`, value: m('bundleMs'), unit: 'ms', note: label === 'cached' ? 'checking the cache: re-reading and hashing the inputs' : 'esbuild' });
  report.figure({ section, name: `${label}:   creating isolates`, value: m('sandboxMs'), unit: 'ms', note: `${m('sandboxes')} (one per instance; one more when model.ts has autoCompleteConfig)` });
  report.figure({ section, name: `${label}:   the rest`, value: m('loadMs') - m('bundleMs') - m('sandboxMs'), unit: 'ms', note: 'config, fingerprint, initialize, scheduling' });
  report.figure({ section, name: `${label}: first infer after READY`, value: m('firstInferMs'), unit: 'ms' });
}

export interface ColdStartOptions {
  /** Loads per case (default 10). */
  readonly repeats?: number;
  /** Instances for the memory figure (default 8). */
  readonly instances?: number;
}

export async function benchColdStart(report: Report, repository: string, log: Logger, options: ColdStartOptions = {}): Promise<void> {
  const repeats = options.repeats ?? 10;
  const instances = options.instances ?? 8;
  const section = 'cold-start';
  report.print(`\n[${section}] server.loadModel('${MODEL}') in explicit mode (the ONNX 'simple' it calls is loaded first)\n`);
  report.print('  first: the first load in this process (esbuild starts); uncached: bundle cache cleared; cached: bundle cached\n');
  if (modelBundler.stats.builds > 0) report.note('warning: a bundle was built before this section: "first" is not the first load in the process');
  const server = await createServer({ modelRepository: repository, modelControlMode: 'explicit', log });
  try {
    await server.loadModel('simple');
    const modelDir = `${repository}/${MODEL}`;
    reportLoads(report, section, 'first', [await timedLoad(server)]);
    reportLoads(report, section, 'uncached', await repeated(server, modelDir, true, repeats));
    reportLoads(report, section, 'cached', await repeated(server, modelDir, false, repeats));

    // Memory of `instances` instances: RSS delta around the load, and each isolate's heap.
    const config = server.modelConfig(MODEL) as { instance_group: { count: number }[] };
    const override = JSON.stringify({ ...config, instance_group: [{ ...config.instance_group[0], count: instances }] });
    await server.unloadModel(MODEL);
    await sleep(100);
    gc();
    const rssBefore = process.memoryUsage().rss;
    const timing = await timedLoad(server, { config: override });
    gc();
    const rssAfter = process.memoryUsage().rss;
    report.figure({ section, name: `${instances} instances: loadModel -> READY`, value: timing.loadMs, unit: 'ms', note: 'cached bundle' });
    report.figure({ section, name: `RSS per instance (delta of ${instances} / ${instances})`, value: (rssAfter - rssBefore) / instances / 2 ** 20, unit: 'MiB' });
    const heaps = heapOfLiveSandboxes();
    if (heaps && heaps.length > 0) {
      report.figure({ section, name: 'isolate used heap per instance', value: median(heaps) / 2 ** 20, unit: 'MiB', note: `median of ${heaps.length} live isolates` });
    } else {
      report.note('isolate heap: unavailable (IsolateSandbox.create could not be wrapped); RSS only');
    }
    await server.unloadModel(MODEL);
  } finally {
    await server.close();
  }
}
