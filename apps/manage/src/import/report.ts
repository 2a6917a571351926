import type { Tally } from './context.js';

export interface ImportStart {
  source: string;
  schema: string;
  target: string;
  dryRun: boolean;
}

export interface ImportSummary {
  dryRun: boolean;
  seconds: number;
  tallies: Tally[];
}

/** Where the import reports: progress per table while it runs, then the summary. */
export interface Reporter {
  start(s: ImportStart): void;
  tableStart(t: Tally): void;
  progress(t: Tally, elapsedMs: number): void;
  tableEnd(t: Tally): void;
  summary(s: ImportSummary): void;
  error(message: string): void;
}

type Write = (s: string) => void;

const fmt = (n: number) => n.toLocaleString('en-US');

function clock(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

const totals = (tallies: Tally[]) => tallies.reduce((a, t) => ({
  rows: a.rows + t.total, created: a.created + t.created, updated: a.updated + t.updated, skipped: a.skipped + t.skipped, refused: a.refused + t.refused,
}), { rows: 0, created: 0, updated: 0, skipped: 0, refused: 0 });

/** For a terminal: one progress line per table, redrawn in place, and a summary table. */
export class TerminalReporter implements Reporter {
  private lastDraw = 0;

  constructor(private readonly write: Write) {}

  start(s: ImportStart): void {
    this.write(`Importing Keystone ${s.source} (schema ${s.schema})\n     into Lintel ${s.target}${s.dryRun ? '  [dry run: nothing is written]' : ''}\n\n`);
  }

  tableStart(t: Tally): void {
    this.lastDraw = 0;
    this.draw(t, 0, true);
  }

  progress(t: Tally, elapsedMs: number): void {
    const now = Date.now();
    if (now - this.lastDraw < 100 && t.done < t.total) return;
    this.lastDraw = now;
    this.draw(t, elapsedMs, false);
  }

  tableEnd(t: Tally): void {
    this.write(`\r\x1b[K  ${t.name.padEnd(26)} ${`${fmt(t.done)} rows`.padStart(22)}   done in ${t.seconds.toFixed(1)} s\n`);
  }

  private draw(t: Tally, elapsedMs: number, first: boolean): void {
    const rate = elapsedMs > 0 ? (t.done * 1000) / elapsedMs : 0;
    const left = rate > 0 ? (t.total - t.done) / rate : Number.NaN;
    const counts = `${fmt(t.done)} / ${fmt(t.total)}`.padStart(22);
    this.write(`${first ? '' : '\r\x1b[K'}  ${t.name.padEnd(26)} ${counts}   ${`${fmt(Math.round(rate))} rows/s`.padStart(14)}   ${clock(left)} left`);
  }

  summary(s: ImportSummary): void {
    const head = ['table', 'rows', 'created', 'updated', 'skipped', 'refused', 'time'];
    const lines = s.tallies.map((t) => [t.name, fmt(t.total), fmt(t.created), fmt(t.updated), fmt(t.skipped), fmt(t.refused), `${t.seconds.toFixed(1)} s`]);
    const sum = totals(s.tallies);
    lines.push(['total', fmt(sum.rows), fmt(sum.created), fmt(sum.updated), fmt(sum.skipped), fmt(sum.refused), `${s.seconds.toFixed(1)} s`]);
    const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
    const row = (cells: string[]) => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
    const rule = widths.map((w) => '-'.repeat(w)).join('  ');
    this.write(`\n${row(head)}\n${rule}\n${lines.slice(0, -1).map(row).join('\n')}\n${rule}\n${row(lines.at(-1)!)}\n`);
    const reasons = s.tallies.flatMap((t) => [...t.reasons].map(([reason, r]) => ({ table: t.name, reason, ...r })));
    if (reasons.length) {
      this.write('\nNot imported, and why:\n');
      for (const r of reasons) this.write(`  ${r.table}: ${fmt(r.count)} ${r.outcome} - ${r.reason}${r.ids.length ? ` (${r.ids.join(', ')}${r.count > r.ids.length ? ', ...' : ''})` : ''}\n`);
    }
    this.write(s.dryRun ? '\nDry run: nothing was written. Run again without --dry-run to import.\n'
      : `\nImported in ${s.seconds.toFixed(1)} s, in one transaction.${sum.refused ? ' Some rows were refused (above).' : ''}\n`);
  }

  error(message: string): void {
    this.write(`\r\x1b[K\nImport failed, nothing was written: ${message}\n`);
  }
}

/** Without a terminal: the same as JSON lines, one object per event. */
export class JsonLinesReporter implements Reporter {
  private lastLine = 0;

  constructor(private readonly write: Write) {}

  private emit(event: string, fields: Record<string, unknown>): void {
    this.write(`${JSON.stringify({ event, time: new Date().toISOString(), ...fields })}\n`);
  }

  start(s: ImportStart): void {
    this.emit('start', { source: s.source, schema: s.schema, target: s.target, dry_run: s.dryRun });
  }

  tableStart(t: Tally): void {
    this.lastLine = Date.now();
    this.emit('table_start', { table: t.name, total: t.total });
  }

  progress(t: Tally, elapsedMs: number): void {
    const now = Date.now();
    if (now - this.lastLine < 1000 || t.done >= t.total) return;
    this.lastLine = now;
    const rate = elapsedMs > 0 ? (t.done * 1000) / elapsedMs : 0;
    this.emit('progress', { table: t.name, done: t.done, total: t.total, rows_per_second: Math.round(rate), seconds_left: rate > 0 ? Math.round((t.total - t.done) / rate) : null });
  }

  tableEnd(t: Tally): void {
    this.emit('table', {
      table: t.name, total: t.total, created: t.created, updated: t.updated, skipped: t.skipped, refused: t.refused, seconds: round(t.seconds),
      reasons: [...t.reasons].map(([reason, r]) => ({ outcome: r.outcome, reason, count: r.count, ids: r.ids })),
    });
  }

  summary(s: ImportSummary): void {
    this.emit('summary', { dry_run: s.dryRun, seconds: round(s.seconds), ...totals(s.tallies), committed: !s.dryRun });
  }

  error(message: string): void {
    this.emit('error', { message, committed: false });
  }
}

const round = (n: number) => Math.round(n * 1000) / 1000;
