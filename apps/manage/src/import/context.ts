import type { EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';
import { isUniqueViolation, writeRevocation, type CredentialCipher, type RevocationFields } from '@lintel/domain';
import type { KeystoneCredentialKeys } from './keystone-fernet.js';
import type { Row, SourceDb } from './source.js';

export type Outcome = 'created' | 'updated' | 'skipped' | 'refused';

/** How many refused ids a reason keeps for the summary. */
const SAMPLE_IDS = 5;

/** What one step did: counts per outcome, and why rows were refused (or whole tables skipped). */
export class Tally {
  created = 0;
  updated = 0;
  skipped = 0;
  refused = 0;
  seconds = 0;
  /** `reason` -> how many rows and the first few ids, per outcome that carries a reason. */
  readonly reasons = new Map<string, { outcome: Outcome; count: number; ids: string[] }>();
  private onProgress: (t: Tally) => void = () => undefined;

  constructor(readonly name: string, public total: number) {}

  get done(): number {
    return this.created + this.updated + this.skipped + this.refused;
  }

  watch(fn: (t: Tally) => void): void {
    this.onProgress = fn;
  }

  count(outcome: Outcome, n = 1): void {
    this[outcome] += n;
    this.onProgress(this);
  }

  /** Counts a row with a reason the summary shows (refused rows always have one). */
  note(outcome: Outcome, id: string, reason: string): void {
    const r = this.reasons.get(reason) ?? { outcome, count: 0, ids: [] };
    r.count++;
    if (r.ids.length < SAMPLE_IDS && !r.ids.includes(id)) r.ids.push(id);
    this.reasons.set(reason, r);
    this.count(outcome);
  }

  refuse(id: string, reason: string): void {
    this.note('refused', id, reason);
  }

  /** Takes back a count (a row the database refused at insert time after all). */
  uncount(outcome: Outcome): void {
    this[outcome]--;
  }

  /** A row counted as created that the database refused for a unique key at insert time. */
  refusedByDatabase(accepted: Set<string>, id: string): void {
    accepted.delete(id);
    this.uncount('created');
    this.refuse(id, 'Lintel already has a row with the same unique name (as its database compares names)');
  }
}

/** Ids of what exists in Lintel once the import commits, per kind, for the references of later steps. */
export interface Accepted {
  domains: Set<string>;
  projects: Set<string>;
  users: Set<string>;
  groups: Set<string>;
  roles: Set<string>;
  regions: Set<string>;
  services: Set<string>;
  endpoints: Set<string>;
  endpointGroups: Set<string>;
  trusts: Set<string>;
  consumers: Set<string>;
}

const BATCH = 200;

/** Everything a step needs: the source snapshot, the target transaction, and the run's state. */
export class ImportContext {
  readonly accepted: Accepted = {
    domains: new Set(), projects: new Set(), users: new Set(), groups: new Set(), roles: new Set(), regions: new Set(),
    services: new Set(), endpoints: new Set(), endpointGroups: new Set(), trusts: new Set(), consumers: new Set(),
  };
  /** Keystone's internal access rule ids -> the ids clients see, for the application credentials that use them. */
  readonly accessRules = new Map<string, string>();
  /** What became of a row other steps depend on, by `kind:id` (user options follow their user). */
  readonly outcomes = new Map<string, Outcome>();
  /** Token revocations the import's changes call for, written with it. */
  readonly revocations: RevocationFields[] = [];
  private sourceTables: Set<string> | undefined;

  constructor(
    readonly src: SourceDb,
    /** The target: the import's transaction, or (dry run) the plain manager, only read. */
    readonly m: EntityManager,
    readonly dryRun: boolean,
    /** Lintel's credential key ring, which seals imported secrets. */
    readonly cipher: CredentialCipher,
    /** Keystone's credential keys, when given. */
    readonly fernet: KeystoneCredentialKeys | undefined,
    /** The target compares names as MariaDB's utf8mb4_unicode_ci does (case- and accent-blind). */
    readonly foldedNames: boolean,
    readonly now = new Date(),
  ) {}

  async hasTable(name: string): Promise<boolean> {
    this.sourceTables ??= await this.src.tables();
    return this.sourceTables.has(name);
  }

  /** `SELECT COUNT(*)` of a source table (0 when the table does not exist). */
  async countRows(table: string, where = ''): Promise<number> {
    if (!(await this.hasTable(table))) return 0;
    const [r] = await this.src.all(`SELECT COUNT(*) AS n FROM ${this.src.q(table)}${where ? ` WHERE ${where}` : ''}`);
    return Number(r?.n ?? 0);
  }

  /**
   * Every row of a source query in `orderBy` order, a page at a time, streamed: the next page is
   * read once the step has written the one before, so a table of any size goes through in
   * bounded memory.
   */
  async *pages(sql: string, orderBy: string, pageSize = 1000): AsyncGenerator<Row[]> {
    let page: Row[] = [];
    for await (const row of this.src.stream(`${sql} ORDER BY ${orderBy}`)) {
      page.push(row);
      if (page.length >= pageSize) {
        yield page;
        page = [];
      }
    }
    if (page.length) yield page;
  }

  /** A name as the target's unique keys compare it. */
  nameKey(name: string): string {
    return this.foldedNames ? name.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase().replace(/ +$/, '') : name;
  }

  /**
   * Inserts rows (nothing in a dry run). A batch the database refuses for a unique key is
   * retried row by row; the rows it still refuses are returned (each statement that fails is
   * undone on its own, on both databases, so the transaction goes on).
   */
  async insert<T extends ObjectLiteral>(entity: EntityTarget<T>, rows: T[]): Promise<T[]> {
    if (this.dryRun || !rows.length) return [];
    const refused: T[] = [];
    for (let i = 0; i < rows.length; i += BATCH) {
      const chunk = rows.slice(i, i + BATCH);
      try {
        await this.m.insert(entity, chunk as never);
      } catch (e) {
        if (!isUniqueViolation(e)) throw e;
        for (const row of chunk) {
          try {
            await this.m.insert(entity, row as never);
          } catch (e2) {
            if (!isUniqueViolation(e2)) throw e2;
            refused.push(row);
          }
        }
      }
    }
    return refused;
  }

  async update<T extends ObjectLiteral>(entity: EntityTarget<T>, where: Partial<T>, set: Partial<T>): Promise<void> {
    if (!this.dryRun) await this.m.update(entity, where as never, set as never);
  }

  async delete<T extends ObjectLiteral>(entity: EntityTarget<T>, where: Partial<T>): Promise<void> {
    if (!this.dryRun) await this.m.delete(entity, where as never);
  }

  revoke(fields: RevocationFields): void {
    this.revocations.push(fields);
  }

  /** Writes the revocation events the import called for (Lintel tokens issued before it). */
  async writeRevocations(): Promise<void> {
    if (this.dryRun) return;
    for (const f of this.revocations) await writeRevocation(this.m, { ...f, issuedBefore: this.now });
  }
}

/** One group of Keystone tables imported together (docs/migrating-from-keystone.md, "What is imported"). */
export interface Step {
  /** The name the progress and the summary show. */
  readonly name: string;
  /** Shown only when the source has rows for it (the tables Lintel does not take). */
  readonly optional?: boolean;
  /** How many source rows the step goes through (its progress total). */
  count(ctx: ImportContext): Promise<number>;
  run(ctx: ImportContext, t: Tally): Promise<void>;
}

// ---------------------------------------------------------------- reading Keystone's values

/** Keystone's booleans: 0/1 on both databases (NULL counts as `dflt`, as Keystone's API shows it). */
export function bool(v: unknown, dflt = true): boolean {
  if (v === null || v === undefined) return dflt;
  if (Buffer.isBuffer(v)) return v.length > 0 && v[0] !== 0 && v[0] !== 0x30;
  return v === true || v === 1 || v === '1' || v === 't' || v === 'true';
}

export function text(v: unknown): string | null {
  if (v === null || v === undefined) return null;
  return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
}

/** A JSON column (`extra`, filters, option values); undefined when it does not parse. */
export function jsonValue(v: unknown): unknown {
  const s = text(v);
  if (s === null || s === '') return null;
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

/** Keystone's `extra` columns: a JSON object (NULL and empty are `{}`); undefined when it is not one. */
export function jsonObject(v: unknown): Record<string, unknown> | undefined {
  const parsed = jsonValue(v);
  if (parsed === null) return {};
  return parsed !== undefined && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
}

/**
 * A DATETIME (naive UTC text on both databases here) or DATE, to whole seconds: Lintel's
 * datetime columns keep seconds on MariaDB, so comparisons on a re-run stay exact.
 */
export function instant(v: unknown): Date | null {
  const s = text(v);
  if (!s) return null;
  const m = /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2}):(\d{2})(?:\.\d+)?)?/.exec(s);
  if (!m) return null;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +(m[4] ?? 0), +(m[5] ?? 0), +(m[6] ?? 0)));
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Keystone's `*_int` instants: microseconds since the epoch (0 and NULL mean none), to whole seconds. */
export function micros(v: unknown): Date | null {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) return null;
  return new Date(Math.floor(n / 1e6) * 1000);
}

export function sameInstant(a: Date | null, b: Date | null): boolean {
  return (a === null || b === null) ? a === b : Math.floor(a.getTime() / 1000) === Math.floor(b.getTime() / 1000);
}

/** JSON text with object keys sorted, for comparing what was stored with what would be. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
}

export const sameJson = (a: unknown, b: unknown): boolean => canonical(a ?? null) === canonical(b ?? null);
