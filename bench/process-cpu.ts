/** CPU time of another process (a server the benchmark started), for CPU-per-request figures. */
import { readFileSync } from 'node:fs';

/** CPU time (user + system, µs) the process `pid` has used, from /proc (Linux); undefined elsewhere. */
export function processCpuMicros(pid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    // utime and stime are fields 14 and 15 of stat, 12 and 13 after the command name; clock ticks of 10 ms.
    return (Number(fields[11]) + Number(fields[12])) * 10_000;
  } catch {
    return undefined;
  }
}
