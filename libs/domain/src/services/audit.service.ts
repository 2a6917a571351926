import { randomUUID } from 'node:crypto';
import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import { AuditEventEntity } from '../entities/index.js';

/** What happened, by whom, to what: the fields of a CADF event Lintel fills. */
export interface AuditRecord {
  /** CADF action, e.g. `created.user`, `deleted.project`, `authenticate`. */
  action: string;
  outcome: 'success' | 'failure';
  /** Keystone's resource type: `user`, `project`, `role_assignment`, `token`, ... */
  targetType: string;
  targetId?: string | null;
  initiator: { userId?: string | null; projectId?: string | null; name?: string | null; address?: string | null };
  requestId?: string | null;
  /** Why it failed, for the operator (never a secret). */
  reason?: string;
}

/** Counters of the audit write-behind queue, process-wide (every AuditService adds to them). */
export const auditQueueStats = {
  /** Events waiting to be written. */
  pending: 0,
  /** Events given up on (database failing for too long, queue full, or a row it refused). */
  dropped: 0,
  /** Batch writes that failed (each is retried or dropped). */
  failedWrites: 0,
};

type AuditRow = Omit<AuditEventEntity, 'id'>;

const TEXT_TYPES = new Set(['varchar', 'text']);

const OBSERVER = { typeURI: 'service/security', id: 'lintel' };

/** Write a batch at least this often while events are queued... */
const FLUSH_MS = 200;
/** ...or as soon as this many are queued; also the most rows one INSERT carries. */
const BATCH_ROWS = 250;
/**
 * Row counts of the INSERTs a batch is cut into. SQLite prepares (and TypeORM caches) a statement
 * per distinct SQL text: a few fixed shapes are prepared once, where one INSERT per arbitrary
 * remainder was prepared anew at nearly every flush, which cost as much as the write.
 */
const STATEMENT_ROWS = [BATCH_ROWS, 50, 10, 1];
/** Beyond this many queued events (the database is down) the oldest are dropped. */
const MAX_PENDING = 20_000;
/** A batch that failed this many times in a row is dropped. */
const MAX_ATTEMPTS = 8;
const MAX_RETRY_MS = 5_000;

/**
 * The audit trail, in the shape of Keystone's CADF notifications: every record is written to the
 * log at once and to the `audit_events` table by a write-behind queue, in multi-row INSERTs every
 * {@link FLUSH_MS} ms or {@link BATCH_ROWS} events (one INSERT per authentication was most of the
 * cost of `POST /v3/ec2tokens`). Recording never fails, nor waits for, the request it describes.
 *
 * Readers of this process see every event recorded before they asked ({@link list} flushes
 * first); other processes (`manage audit list`, other replicas) see them within the flush
 * interval. A database that does not answer is retried with backoff; events are dropped only
 * after {@link MAX_ATTEMPTS} failed writes, when more than {@link MAX_PENDING} are queued, or when
 * the database answers but refuses the row, each time with a warning and counted in
 * `lintel_audit_events_dropped_total`. Shutdown writes what is queued.
 */
@Injectable()
export class AuditService implements OnApplicationShutdown {
  private readonly logger = new Logger('audit');
  private queue: Array<{ row: AuditRow; attempts: number }> = [];
  private timer: NodeJS.Timeout | undefined;
  /** The write in progress; writes never overlap, so rows keep their order (and ids). */
  private writing: Promise<void> = Promise.resolve();
  /** A write is chained behind the current one and has not started: it will take what is queued. */
  private waiting = false;
  private failures = 0;
  private columns: Array<{ property: keyof AuditRow; prepare?: (v: unknown) => unknown; databaseName: string }> | undefined;

  constructor(private readonly ds: DataSource) {}

  record(r: AuditRecord): void {
    const now = new Date();
    const { userId, name, projectId, address } = r.initiator;
    // Built field by field rather than with conditional spreads: this runs once per audited request.
    const initiator: Record<string, unknown> = { typeURI: 'service/security/account/user' };
    if (userId) initiator.id = userId;
    if (name) initiator.name = name;
    if (projectId) initiator.project_id = projectId;
    if (address) initiator.host = { address };
    const target: Record<string, unknown> = { typeURI: `data/security/${r.targetType}` };
    if (r.targetId) target.id = r.targetId;
    const event: Record<string, unknown> = {
      typeURI: 'http://schemas.dmtf.org/cloud/audit/1.0/event',
      id: randomUUID(),
      eventType: 'activity',
      eventTime: `${now.toISOString().slice(0, -1)}+0000`,
      action: r.action,
      outcome: r.outcome,
      initiator,
      target,
      observer: OBSERVER,
    };
    if (r.requestId) event.requestId = r.requestId;
    if (r.reason) event.reason = { reasonType: 'lintel', reasonCode: r.reason };
    this.logger.log({ request_id: r.requestId ?? undefined, cadf: event }, 'audit');
    // Columns are cut to their lengths (the payload keeps the whole value): a row the database
    // refuses would otherwise fail the batch it travels in.
    this.enqueue({
      eventId: event.id as string, action: r.action.slice(0, 64), outcome: r.outcome, initiatorUserId: userId?.slice(0, 64) ?? null,
      initiatorProjectId: projectId?.slice(0, 64) ?? null, targetType: r.targetType.slice(0, 64),
      targetId: r.targetId?.slice(0, 255) ?? null, requestId: r.requestId?.slice(0, 64) ?? null, eventTime: now, payload: JSON.stringify(event),
    });
  }

  /** Writes every event recorded so far; resolves once they are stored (or given up on). */
  flush(): Promise<void> {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (this.waiting) return this.writing;
    this.waiting = true;
    this.writing = this.writing.then(() => {
      this.waiting = false;
      return this.writeQueued();
    });
    return this.writing;
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ds.isInitialized) await this.flush();
    if (this.queue.length) this.drop(this.queue.splice(0), 'shutting down while the database fails');
  }

  private enqueue(row: AuditRow): void {
    this.queue.push({ row, attempts: 0 });
    auditQueueStats.pending++;
    if (this.queue.length > MAX_PENDING) this.drop(this.queue.splice(0, this.queue.length - MAX_PENDING), 'the queue is full');
    if (this.queue.length >= BATCH_ROWS && !this.failures) void this.flush();
    else this.schedule(FLUSH_MS);
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => void this.flush(), ms);
    this.timer.unref();
  }

  private async writeQueued(): Promise<void> {
    while (this.queue.length && this.ds.isInitialized) {
      const batch = this.queue.splice(0, STATEMENT_ROWS.find((n) => n <= this.queue.length));
      try {
        await this.insert(batch.map((b) => b.row));
        auditQueueStats.pending -= batch.length;
        this.failures = 0;
      } catch (e) {
        auditQueueStats.failedWrites++;
        if (!(await this.retryOrDrop(batch, e as Error))) return;
      }
    }
    if (this.queue.length) this.drop(this.queue.splice(0), 'the database connection is closed');
  }

  /**
   * A failed INSERT. If the database answers, it refused something in the batch: the rows go one
   * by one and only those it refuses are dropped. Otherwise it is failing: the batch goes back to
   * the head of the queue for a later try, with backoff, and false stops this write.
   */
  private async retryOrDrop(batch: Array<{ row: AuditRow; attempts: number }>, error: Error): Promise<boolean> {
    if (await this.databaseAnswers()) {
      this.failures = 0;
      for (const b of batch) {
        try {
          await this.insert([b.row]);
          auditQueueStats.pending--;
        } catch (e) {
          this.drop([b], `the database refused it: ${(e as Error).message}`);
        }
      }
      return true;
    }
    this.failures++;
    for (const b of batch) b.attempts++;
    const expired = batch.filter((b) => b.attempts >= MAX_ATTEMPTS);
    if (expired.length) this.drop(expired, `${MAX_ATTEMPTS} writes failed, the last with: ${error.message}`);
    const kept = batch.filter((b) => b.attempts < MAX_ATTEMPTS);
    this.queue.unshift(...kept);
    if (this.queue.length) {
      this.logger.warn(`audit events not stored yet (${this.queue.length} queued), will retry: ${error.message}`);
      this.schedule(Math.min(FLUSH_MS * 2 ** this.failures, MAX_RETRY_MS));
    }
    return false;
  }

  private async databaseAnswers(): Promise<boolean> {
    try {
      await this.ds.query('SELECT 1');
      return true;
    } catch {
      return false;
    }
  }

  private drop(events: Array<{ row: AuditRow }>, why: string): void {
    auditQueueStats.pending -= events.length;
    auditQueueStats.dropped += events.length;
    this.logger.warn(`${events.length} audit event(s) dropped, ${why}`);
  }

  /**
   * One multi-row INSERT, values converted as TypeORM would (`preparePersistentValue`). Not through
   * the query builder: it spends O(rows x columns) on parameter bookkeeping, more than the write.
   */
  private async insert(rows: AuditRow[]): Promise<void> {
    const { driver } = this.ds;
    const meta = this.ds.getMetadata(AuditEventEntity);
    this.columns ??= meta.columns.filter((c) => !c.isGenerated).map((c) => ({
      property: c.propertyName as keyof AuditRow,
      // Text columns without a transformer go as they are; the rest (the time) as TypeORM would write them.
      prepare: TEXT_TYPES.has(String(c.type)) && !c.transformer ? undefined : (v: unknown) => driver.preparePersistentValue(v, c) as unknown,
      databaseName: c.databaseName,
    }));
    const columns = this.columns;
    const values: unknown[] = [];
    for (const row of rows) for (const c of columns) values.push(c.prepare ? c.prepare(row[c.property]) : row[c.property]);
    const tuple = `(${columns.map(() => '?').join(', ')})`;
    const names = columns.map((c) => driver.escape(c.databaseName)).join(', ');
    await this.ds.query(`INSERT INTO ${driver.escape(meta.tableName)} (${names}) VALUES ${rows.map(() => tuple).join(', ')}`, values);
  }

  /** Recent records, newest first, as CADF events. */
  async list(o: { since?: Date; limit?: number } = {}): Promise<object[]> {
    await this.flush();
    const rows = await this.ds.getRepository(AuditEventEntity).find({
      where: o.since ? { eventTime: MoreThanOrEqual(o.since) } : {},
      order: { id: 'DESC' },
      take: Math.min(Math.max(o.limit ?? 100, 1), 1000),
    });
    return rows.map((r) => JSON.parse(r.payload) as object);
  }
}
