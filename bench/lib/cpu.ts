import { readFileSync } from 'node:fs';

/** Clock ticks of the whole machine: busy (all CPUs, process and steal time) and elapsed (per CPU). */
function machineTicks(): { busy: number; elapsedPerCpu: number } | undefined {
  try {
    const stat = readFileSync('/proc/stat', 'utf8');
    const [user, nice, system, idle, iowait, irq, softirq, steal] = stat.split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
    const cpus = stat.split('\n').filter((l) => /^cpu\d+ /.test(l)).length || 1;
    // irq/softirq time is left out: our own loopback traffic is mostly accounted there, to no process.
    const busy = user! + nice! + system! + steal!;
    return { busy, elapsedPerCpu: (busy + idle! + iowait!) / cpus };
  } catch {
    return undefined;
  }
}

/** utime+stime of a process (all its threads), plus its reaped children's when `withChildren`. */
function processTicks(pid: number | 'self', withChildren: boolean): number {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // Fields 14-17 of proc(5) (utime, stime, cutime, cstime); f[0] is field 3.
    const [utime, stime, cutime, cstime] = f.slice(11, 15).map(Number);
    return utime! + stime! + (withChildren ? cutime! + cstime! : 0);
  } catch {
    return 0;
  }
}

export interface CpuMark {
  busy: number;
  elapsedPerCpu: number;
  ours: number;
}

/**
 * CPU time of this benchmark: this process, the reaped children (counted in its cutime) and the
 * children still running. Undefined off Linux.
 */
export function markCpu(livePids: Iterable<number>): CpuMark | undefined {
  const m = machineTicks();
  if (!m) return undefined;
  let ours = processTicks('self', true);
  for (const pid of livePids) ours += processTicks(pid, false);
  return { ...m, ours };
}

/** CPU the rest of the machine used between two marks, in cores (1 = one CPU fully busy). */
export function otherCores(a: CpuMark | undefined, b: CpuMark | undefined): number | undefined {
  if (!a || !b || b.elapsedPerCpu <= a.elapsedPerCpu) return undefined;
  return Math.max(0, (b.busy - a.busy) - (b.ours - a.ours)) / (b.elapsedPerCpu - a.elapsedPerCpu);
}
