/**
 * The machine's CPU and memory use, for Triton's `nv_cpu_utilization`,
 * `nv_cpu_memory_total_bytes` and `nv_cpu_memory_used_bytes` gauges. Triton
 * samples /proc on an interval; here each scrape reads the OS counters, and
 * utilization is the busy share of all CPUs since the previous reading
 * (the first: since the machine started).
 *
 * @example
 * ```ts
 * const cpu = new CpuUsage();
 * // ... later, at each scrape:
 * cpu.utilization(); // 0.37: 37% of all CPU time since the previous call was not idle
 * memoryBytes();     // { total: 8_345_612_288, used: 2_113_372_160 }
 * ```
 */
import { cpus, freemem, totalmem } from 'node:os';

interface CpuTimes {
  busy: number;
  total: number;
}

function cpuTimes(): CpuTimes {
  let busy = 0;
  let total = 0;
  for (const { times } of cpus()) {
    const all = times.user + times.nice + times.sys + times.idle + times.irq;
    total += all;
    busy += all - times.idle;
  }
  return { busy, total };
}

export class CpuUsage {
  /** Zero: the first reading is the share since the machine started. */
  #last: CpuTimes = { busy: 0, total: 0 };

  /** Busy share of all CPUs since the previous call (the first call: since the machine started), from 0 to 1. */
  utilization(): number {
    const now = cpuTimes();
    const busy = now.busy - this.#last.busy;
    const total = now.total - this.#last.total;
    this.#last = now;
    return total > 0 ? Math.min(1, Math.max(0, busy / total)) : 0;
  }
}

/** Physical memory in bytes: all of it, and what is in use (all but what the OS reports available). */
export function memoryBytes(): { total: number; used: number } {
  const total = totalmem();
  return { total, used: total - freemem() };
}
