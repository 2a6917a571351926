import { markCpu, otherCores } from './cpu.js';
import type { LoadResult } from './load.js';
import { livePids } from './processes.js';
import { RssSampler } from './rss.js';

/** One row of the results table. */
export interface Measurement {
  /** Stable key used by targets and ratios (e.g. `validate`). */
  id: string;
  label: string;
  unit: 'req/s' | 'hash/s';
  /** Concurrency (autocannon connections, or jobs in flight). */
  concurrency?: number;
  rate: number;
  /** Milliseconds. */
  p50?: number;
  p99?: number;
  /** Longest wait, ms, including requests still unanswered at the end (see LoadResult.maxWait). */
  maxWait?: number;
  /** Connections that got no response during the whole run. */
  starved?: number;
  failures: number;
  failureDetail?: string;
  /** Peak RSS (MB) of the processes the scenario watched; filled in by `runScenario`. */
  rssMb?: number;
  /** CPU other processes on the machine used meanwhile (cores); high values mean disturbed numbers. */
  otherCpu?: number;
  /** Id of the measurement the ratio column compares this one's rate with. */
  compareTo?: string;
  /** Set when the scenario failed before it could measure. */
  error?: string;
}

/** What a scenario gets while it runs. */
export interface ScenarioContext {
  /** Adds a process to the RSS peak of this scenario (call it once the load is about to start). */
  watch(pid: number): void;
}

/** A benchmark scenario; add new ones to the list in run.ts. */
export interface Scenario {
  /** Short key selected by `BENCH_ONLY` (e.g. `ec2tokens`). */
  id: string;
  /** Shown in progress lines and in the error row if it fails. */
  name: string;
  run(ctx: ScenarioContext): Promise<Measurement[]>;
}

/** A measurement built from an autocannon run. */
export function fromLoad(id: string, label: string, connections: number, r: LoadResult, compareTo?: string): Measurement {
  return {
    id, label, unit: 'req/s', concurrency: connections, rate: r.rate, p50: r.p50, p99: r.p99,
    maxWait: r.maxWait, starved: r.starved, failures: r.failures, failureDetail: r.failureDetail || undefined, compareTo,
  };
}

/**
 * Runs one scenario with an RSS sampler and CPU accounting around it (how much CPU the rest of the
 * machine took meanwhile). A scenario that throws gives an error row instead of stopping the run.
 */
export async function runScenario(s: Scenario): Promise<Measurement[]> {
  const started = Date.now();
  process.stdout.write(`• ${s.name} … `);
  const rss = new RssSampler();
  const cpuStart = markCpu(livePids());
  try {
    const ms = await s.run({ watch: (pid) => rss.watch(pid) });
    const peak = rss.stop();
    const other = otherCores(cpuStart, markCpu(livePids()));
    for (const m of ms) {
      m.rssMb ??= peak;
      m.otherCpu ??= other;
    }
    process.stdout.write(`done in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    return ms;
  } catch (e) {
    rss.stop();
    const msg = (e as Error).message ?? String(e);
    process.stdout.write(`FAILED: ${msg}\n`);
    return [{ id: s.name, label: s.name, unit: 'req/s', rate: 0, failures: 0, error: msg.split('\n')[0] }];
  }
}

/** A pass/fail check over the measurements. */
export interface Target {
  label: string;
  /** undefined when a measurement it needs is missing (the scenario failed). */
  evaluate(m: Map<string, Measurement>): { pass: boolean; value: string } | undefined;
}

function usable(m: Measurement | undefined): m is Measurement {
  return m !== undefined && m.error === undefined;
}

const failureNote = (m: Measurement) => (m.failures ? `; ${m.failures} failed requests: ${m.failureDetail}` : '');

/** `id`'s rate is at least `fraction` of `refId`'s; failed requests fail the target. */
export function rateAtLeast(id: string, refId: string, fraction: number, label: string): Target {
  return {
    label,
    evaluate(all) {
      const m = all.get(id);
      const ref = all.get(refId);
      if (!usable(m) || !usable(ref) || ref.rate <= 0) return undefined;
      const ratio = m.rate / ref.rate;
      return {
        pass: ratio >= fraction && m.failures === 0,
        value: `${(ratio * 100).toFixed(0)}% (${fmtRate(m.rate)} vs ${fmtRate(ref.rate)} ${ref.unit})${failureNote(m)}`,
      };
    },
  };
}

/** `id`'s p99 is below `ms`; failed requests fail the target. */
export function p99Below(id: string, ms: number, label: string): Target {
  return {
    label,
    evaluate(all) {
      const m = all.get(id);
      if (!usable(m) || m.p99 === undefined) return undefined;
      return { pass: m.p99 < ms && m.failures === 0, value: `p99 ${fmtMs(m.p99)} ms${failureNote(m)}` };
    },
  };
}

export function fmtRate(r: number): string {
  if (r >= 100) return Math.round(r).toLocaleString('en-US');
  return r.toFixed(r >= 10 ? 1 : 2);
}

export function fmtMs(ms: number | undefined): string {
  if (ms === undefined) return '-';
  if (ms >= 100) return ms.toFixed(0);
  if (ms >= 10) return ms.toFixed(1);
  return ms.toFixed(2);
}
