/**
 * The host bridge this bundle talks to. The host installs it as the global
 * `__nereidHost` before the bundle runs; the prelude (the first module of the
 * bundle) takes it and deletes the global, so model code never sees it. The
 * sdk reaches it only through `boundHost()`.
 *
 * Imports no sdk module that runs code at load (the prelude loads it before any other sdk module runs).
 *
 * @example
 * ```ts
 * const host = takeHostGlobal();   // HostBridge | undefined; the global is gone afterwards
 * if (host) bindHost(host);
 * boundHost().log('info', 'ready');
 * ```
 */
import { NereidError } from '../errors.ts';
import { HOST_GLOBAL, type EntryWire, type HostBridge, type HostWire, type IsolateEntry } from './isolate-protocol.ts';
import { adaptHostWire, isHostWire, type AdaptedWire } from './isolate-wire.ts';

let bound: HostBridge | undefined;
let entryWire: AdaptedWire['entryWire'] | undefined;

/**
 * Removes `globalThis.__nereidHost` and returns it as a HostBridge (undefined
 * when it is not there). The server's global speaks frames and is adapted
 * (isolate-wire.ts); a plain HostBridge (a test's fake host) is used as is.
 */
export function takeHostGlobal(): HostBridge | undefined {
  const global = globalThis as Record<string, unknown>;
  const host = global[HOST_GLOBAL] as HostBridge | HostWire | undefined;
  if (host === undefined) return undefined;
  if (!Reflect.deleteProperty(global, HOST_GLOBAL)) {
    throw new Error(`nereid: the host must install ${HOST_GLOBAL} as a configurable property, so the bundle can remove it`);
  }
  if (isHostWire(host)) {
    const adapted = adaptHostWire(host);
    entryWire = adapted.entryWire;
    return adapted.bridge;
  }
  if (typeof host !== 'object' || host === null || typeof host.settle !== 'function') {
    throw new Error(`nereid: ${HOST_GLOBAL} is not a host bridge`);
  }
  return host;
}

/** What to install as the entry global for `entry`: its frame-speaking form when the host global spoke frames. */
export function entryGlobal(entry: IsolateEntry): IsolateEntry | EntryWire {
  return entryWire === undefined ? entry : entryWire(entry);
}

/** Makes `host` the bridge every sdk call goes to. */
export function bindHost(host: HostBridge): void {
  bound = host;
}

/** The bound bridge, or undefined outside a served model (e.g. a unit test calling a model directly). */
export function maybeHost(): HostBridge | undefined {
  return bound;
}

/** The bound bridge; `what` names the feature in the error thrown when there is none. */
export function boundHost(what: string): HostBridge {
  if (bound === undefined) {
    throw NereidError.unavailable(`nereid/model: ${what} works only inside a model served by nereid (no host bridge is installed)`);
  }
  return bound;
}
