import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), in which /proc reports CPU time. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat; undefined when it is gone. */
export function cpuSeconds(pid: number): number | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicks();
}

/** Resident memory of a process in bytes (VmRSS), or undefined when it is gone. */
export function residentBytes(pid: number): number | undefined {
  try {
    const match = /^VmRSS:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** The machine's 1-minute load average and number of CPUs (what else was running shows here). */
export function machineLoad(): { loadAverage1m: number; cpus: number } {
  const load = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
  const cpus = readFileSync('/proc/cpuinfo', 'utf8').split('\n').filter((l) => l.startsWith('processor')).length;
  return { loadAverage1m: load, cpus };
}

/** Total CPU seconds of a set of processes, for measuring a span: call `take()` before and after. */
export class CpuMeter {
  constructor(private readonly pids: () => readonly number[]) {}

  take(): Map<number, number> {
    const out = new Map<number, number>();
    for (const pid of this.pids()) {
      const seconds = cpuSeconds(pid);
      if (seconds !== undefined) out.set(pid, seconds);
    }
    return out;
  }

  /** CPU seconds used between two readings by the processes present in both. */
  static used(before: Map<number, number>, after: Map<number, number>): number {
    let total = 0;
    for (const [pid, end] of after) {
      const start = before.get(pid);
      if (start !== undefined) total += end - start;
    }
    return total;
  }
}
