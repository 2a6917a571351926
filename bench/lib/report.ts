import { fmtMs, fmtRate, type Measurement, type Target } from './scenario.js';

type Align = 'l' | 'r';

function table(header: string[], align: Align[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells
    .map((c, i) => (align[i] === 'r' ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
    .join('  ')
    .trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** The results table: one row per measurement, with the ratio to its reference. */
export function resultsTable(ms: Measurement[]): string {
  const byId = new Map(ms.map((m) => [m.id, m]));
  const rows = ms.map((m) => {
    if (m.error) return [m.label, '', 'ERROR', '', '', '', '', '', '', m.error];
    const ref = m.compareTo ? byId.get(m.compareTo) : undefined;
    const ratio = ref && !ref.error && ref.rate > 0 ? `${(m.rate / ref.rate).toFixed(2)}× ${ref.id}` : '';
    return [
      m.label,
      m.concurrency === undefined ? '' : String(m.concurrency),
      fmtRate(m.rate),
      m.unit,
      fmtMs(m.p50),
      fmtMs(m.p99),
      fmtMs(m.maxWait),
      String(m.failures),
      m.rssMb === undefined || Number.isNaN(m.rssMb) ? '-' : m.rssMb.toFixed(0),
      ratio,
    ];
  });
  return table(
    ['scenario', 'conc', 'rate', 'unit', 'p50 ms', 'p99 ms', 'max ms', 'failed', 'RSS MB', 'ratio'],
    ['l', 'r', 'r', 'l', 'r', 'r', 'r', 'r', 'r', 'l'],
    rows,
  );
}

/** PASS/FAIL (or SKIP when a scenario failed) per target. */
export function targetsTable(targets: Target[], ms: Measurement[]): string {
  const byId = new Map(ms.map((m) => [m.id, m]));
  const rows = targets.map((t) => {
    const r = t.evaluate(byId);
    return [r === undefined ? 'SKIP' : r.pass ? 'PASS' : 'FAIL', t.label, r?.value ?? 'not measured'];
  });
  return table(['', 'target', 'measured'], ['l', 'l', 'l'], rows);
}

/** Warnings the table alone does not make obvious (starved connections, failed requests). */
export function warnings(ms: Measurement[]): string[] {
  const out: string[] = [];
  for (const m of ms) {
    if (m.error) continue;
    if (m.starved) {
      out.push(`${m.label}: ${m.starved} of ${m.concurrency} connections got no response at all during the run `
        + `(waited ${fmtMs(m.maxWait)} ms); their requests are missing from rate and percentiles`);
    } else if (m.maxWait !== undefined && m.p99 !== undefined && m.maxWait > Math.max(10 * m.p99, 1000)) {
      out.push(`${m.label}: a request waited ${fmtMs(m.maxWait)} ms (p99 ${fmtMs(m.p99)} ms): unfair queueing?`);
    }
    if (m.otherCpu !== undefined && m.otherCpu > 0.15) {
      out.push(`${m.label}: other processes on this machine used ${(m.otherCpu * 100).toFixed(0)}% of a CPU meanwhile; numbers disturbed`);
    }
    if (m.failures) out.push(`${m.label}: ${m.failures} failed requests (${m.failureDetail})`);
  }
  return out;
}
