/**
 * `setTimeout` / `setInterval` inside an isolate, backed by host timers: the
 * isolate keeps the callbacks, the host keeps the clock. `setTimeout` asks the
 * host for timer `id` (`HostBridge.setTimer`); when it is due the host calls
 * `IsolateEntry.fireTimer(id)`, which runs the callback (and re-arms an interval).
 *
 * As in Node: a delay below 1 ms, above 2^31-1 ms or not a number becomes 1 ms;
 * ids are numbers; clearing an unknown or spent id does nothing. A callback
 * that throws (or returns a promise that rejects) is reported to the server log
 * and does not disturb other timers.
 *
 * @example
 * ```ts
 * const timers = new TimerTable(host, (message) => host.log('error', message));
 * const id = timers.setTimeout(() => console.log('later'), 10); // host.setTimer(id, 10)
 * timers.fire(id);                                             // what IsolateEntry.fireTimer does
 * ```
 */
import type { HostBridge } from './isolate-protocol.ts';
import { formatLogArgs } from './log-format.ts';

type TimerCallback = (...args: unknown[]) => unknown;

interface Timer {
  readonly callback: TimerCallback;
  readonly args: unknown[];
  /** Repeat period for intervals; undefined for one-shot timers. */
  readonly interval: number | undefined;
}

const MAX_DELAY = 2 ** 31 - 1;

function normalizeDelay(delay: unknown): number {
  const ms = Number(delay);
  return ms >= 1 && ms <= MAX_DELAY ? ms : 1;
}

/** The timers of one isolate. */
export class TimerTable {
  readonly #host: Pick<HostBridge, 'setTimer' | 'clearTimer'>;
  readonly #report: (message: string) => void;
  readonly #timers = new Map<number, Timer>();
  #nextId = 1;

  /** `report` receives the message of a callback that threw. */
  constructor(host: Pick<HostBridge, 'setTimer' | 'clearTimer'>, report: (message: string) => void) {
    this.#host = host;
    this.#report = report;
  }

  setTimeout(callback: TimerCallback, delay?: unknown, ...args: unknown[]): number {
    return this.#start(callback, delay, args, false);
  }

  setInterval(callback: TimerCallback, delay?: unknown, ...args: unknown[]): number {
    return this.#start(callback, delay, args, true);
  }

  /** `clearTimeout` and `clearInterval` (interchangeable, as in browsers and Node). */
  clear(id: unknown): void {
    const key = Number(id);
    if (!this.#timers.delete(key)) return;
    this.#host.clearTimer(key);
  }

  /** Runs timer `id` because the host says it is due; unknown ids (cleared meanwhile) are ignored. */
  fire(id: number): void {
    const timer = this.#timers.get(id);
    if (timer === undefined) return;
    if (timer.interval === undefined) this.#timers.delete(id);
    try {
      const result = timer.callback(...timer.args);
      if (typeof (result as PromiseLike<unknown> | undefined)?.then === 'function') {
        (result as PromiseLike<unknown>).then(undefined, (error: unknown) => this.#failed(error));
      }
    } catch (error) {
      this.#failed(error);
    }
    // Re-arm an interval unless its callback cleared it.
    if (timer.interval !== undefined && this.#timers.get(id) === timer) this.#host.setTimer(id, timer.interval);
  }

  /** Number of pending timers. */
  get size(): number {
    return this.#timers.size;
  }

  #start(callback: TimerCallback, delay: unknown, args: unknown[], repeat: boolean): number {
    if (typeof callback !== 'function') {
      throw new TypeError(`${repeat ? 'setInterval' : 'setTimeout'}: the callback must be a function (code strings are not evaluated)`);
    }
    const ms = normalizeDelay(delay);
    const id = this.#nextId++;
    this.#timers.set(id, { callback, args, interval: repeat ? ms : undefined });
    this.#host.setTimer(id, ms);
    return id;
  }

  #failed(error: unknown): void {
    this.#report(`uncaught exception in a timer callback: ${formatLogArgs([error])}`);
  }
}
