/**
 * Bench-only instrumentation of the script backend, for figures no public
 * path reaches yet. Runtime code is unchanged; the benchmark wraps two
 * methods in its own process:
 *
 * - `IsolateSandbox.create`, to keep every sandbox the server creates and
 *   read `heapBytes()` (there for the model's memory statistics, which are
 *   not exposed yet);
 * - `TensorHandles.prototype.take`, to count payloads moved into an isolate
 *   (a model.ts that only forwards tensors should move none);
 * - `modelBundler.bundle` (the server's bundler), to time bundling apart
 *   from isolate creation in a model load.
 *
 * If either method goes away, the probe reports undefined and the caller
 * prints the figure as unavailable.
 */
import { IsolateSandbox } from '../runtime/backends/script/isolate-sandbox.ts';
import { TensorHandles } from '../runtime/backends/script/tensor-handles.ts';
import { modelBundler } from '../runtime/backends/script/bundle/model-bundler.ts';

const sandboxes = new Set<IsolateSandbox>();
let sandboxesTracked = false;
let takes: number | undefined;
let bundlerTimed = false;

/** Milliseconds spent in each call, since the last `takePhaseTimes()`. */
export interface PhaseTimes {
  /** `modelBundler.bundle` calls (a load makes two: config completion and the instance; the second hits the cache). */
  bundleMs: number[];
  /** `IsolateSandbox.create` calls (a load makes one throwaway for autoCompleteConfig, then one per instance). */
  sandboxMs: number[];
}

let phases: PhaseTimes = { bundleMs: [], sandboxMs: [] };

/** Starts tracking sandboxes created and payloads taken from now on. Idempotent. */
export function installScriptProbes(): void {
  const create = (IsolateSandbox as { create?: typeof IsolateSandbox.create }).create;
  if (!sandboxesTracked && typeof create === 'function') {
    IsolateSandbox.create = async function (...args: Parameters<typeof IsolateSandbox.create>) {
      const t0 = performance.now();
      const sandbox = await create.apply(IsolateSandbox, args);
      phases.sandboxMs.push(performance.now() - t0);
      sandboxes.add(sandbox);
      return sandbox;
    };
    sandboxesTracked = true;
  }
  const take = TensorHandles.prototype.take;
  if (takes === undefined && typeof take === 'function') {
    takes = 0;
    TensorHandles.prototype.take = function (this: TensorHandles, ...args: Parameters<TensorHandles['take']>) {
      takes!++;
      return take.apply(this, args);
    };
  }
  if (!bundlerTimed && typeof modelBundler?.bundle === 'function') {
    const bundle = modelBundler.bundle.bind(modelBundler);
    modelBundler.bundle = async (...args: Parameters<typeof modelBundler.bundle>) => {
      const t0 = performance.now();
      try {
        return await bundle(...args);
      } finally {
        phases.bundleMs.push(performance.now() - t0);
      }
    };
    bundlerTimed = true;
  }
}

/** The phase times recorded since the last call, and a fresh record. */
export function takePhaseTimes(): PhaseTimes {
  const taken = phases;
  phases = { bundleMs: [], sandboxMs: [] };
  return taken;
}

/** used_heap_size of each sandbox still alive (disposed ones are dropped), or undefined when not tracking. */
export function heapOfLiveSandboxes(): number[] | undefined {
  if (!sandboxesTracked) return undefined;
  for (const sandbox of sandboxes) if (sandbox.isDisposed) sandboxes.delete(sandbox);
  return [...sandboxes].map((sandbox) => sandbox.heapBytes());
}

/** Tensor payloads moved into any isolate so far, or undefined when not tracking. */
export function payloadsTaken(): number | undefined {
  return takes;
}
