import { readFileSync } from 'node:fs';

/** Resident set size of a process in MB (from /proc/<pid>/status VmRSS), or undefined off Linux. */
export function rssMb(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples the RSS of some processes; `stop` gives the highest sum seen (MB). */
export class RssSampler {
  private readonly pids = new Set<number>();
  private peak: number | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(intervalMs = 100) {
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  /** Adds a process to the sum (the scenario's server, or several). */
  watch(pid: number): void {
    this.pids.add(pid);
    this.sample();
  }

  private sample(): void {
    if (!this.pids.size) return;
    let sum = 0;
    let any = false;
    for (const pid of this.pids) {
      const mb = rssMb(pid);
      if (mb !== undefined) {
        sum += mb;
        any = true;
      }
    }
    if (any) this.peak = Math.max(this.peak ?? 0, sum);
  }

  stop(): number | undefined {
    this.sample();
    clearInterval(this.timer);
    return this.peak;
  }
}
