import { randomUUID } from 'node:crypto';
import { Inject, Injectable, Logger, Optional, type OnApplicationShutdown } from '@nestjs/common';
import { DataSource, MoreThanOrEqual } from 'typeorm';
import type { ColumnMetadata } from 'typeorm/metadata/ColumnMetadata.js';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { LintelDataSource } from '../database/lintel-data-source.js';
import { AuditEventEntity } from '../entities/index.js';
import { auditInsertSql, auditRowValues, cadfEvent, packAuditEvent, unpackAuditEvent, type AuditRecord, type PackedAuditEvent, type QueuedAuditEvent } from './audit-event.js';
import { AuditWriterThread, AuditWriteError } from './audit-writer-thread.js';

export type { AuditRecord } from './audit-event.js';

/** Counters of the audit write-behind queue, process-wide (every AuditService adds to them). */
export const auditQueueStats = {
  /** Events waiting to be written. */
  pending: 0,
  /** Events given up on (database failing for too long, queue full, or a row it refused). */
  dropped: 0,
  /** Batch writes that failed (each is retried or dropped). */
  failedWrites: 0,
};

type Queued = { event: PackedAuditEvent; attempts: number };

const VERBOSE_LEVELS = new Set(['info', 'debug', 'trace']);

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
 * log at once (at level info) and to the `audit_events` table by a write-behind queue, in
 * multi-row INSERTs every {@link FLUSH_MS} ms or {@link BATCH_ROWS} events (one INSERT per
 * authentication was most of the cost of `POST /v3/ec2tokens`); on an SQLite file a writer
 * thread builds and stores the rows. Recording never fails, nor waits for, the request it describes.
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
  private queue: Queued[] = [];
  private timer: NodeJS.Timeout | undefined;
  /** The write in progress; writes never overlap, so rows keep their order (and ids). */
  private writing: Promise<void> = Promise.resolve();
  /** A write is chained behind the current one and has not started: it will take what is queued. */
  private waiting = false;
  private failures = 0;
  /** Whether events are logged (at info): otherwise their CADF form is built only when stored. */
  private readonly logEvents: boolean;
  /** On an SQLite file, with the app's config: the thread that stores the events (see {@link insert}). */
  private readonly thread: AuditWriterThread | undefined;
  private timeColumn: ColumnMetadata | undefined;

  /** `ds` reads; its runner (`ds.writes`) stores the events that no writer thread takes. */
  constructor(
    @Inject(DataSource) private readonly ds: LintelDataSource,
    @Optional() @Inject(LINTEL_CONFIG) cfg?: LintelConfig,
  ) {
    this.logEvents = !cfg || VERBOSE_LEVELS.has(cfg.logLevel);
    const db = cfg?.database;
    this.thread = db?.kind === 'sqlite' && db.url !== ':memory:' ? AuditWriterThread.acquire(db.url) : undefined;
  }

  record(r: AuditRecord): void {
    const event: QueuedAuditEvent = { id: randomUUID(), time: new Date(), record: r };
    if (this.logEvents) this.logger.log({ request_id: r.requestId ?? undefined, cadf: cadfEvent(event) }, 'audit');
    this.enqueue(packAuditEvent(event));
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
    await this.thread?.release();
  }

  private enqueue(event: PackedAuditEvent): void {
    this.queue.push({ event, attempts: 0 });
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
        await this.insert(batch.map((b) => b.event));
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
   * by one and only those it refuses are dropped. Otherwise it is failing (or, for the writer
   * thread, busy or locked past the timeout, or the thread stopped): the batch goes back to the
   * head of the queue for a later try, with backoff, and false stops this write.
   */
  private async retryOrDrop(batch: Queued[], error: Error): Promise<boolean> {
    const transient = error instanceof AuditWriteError && error.transient;
    if (!transient && await this.databaseAnswers()) {
      this.failures = 0;
      for (const b of batch) {
        try {
          await this.insert([b.event]);
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

  private drop(events: Queued[], why: string): void {
    auditQueueStats.pending -= events.length;
    auditQueueStats.dropped += events.length;
    this.logger.warn(`${events.length} audit event(s) dropped, ${why}`);
  }

  /**
   * One multi-row INSERT. On an SQLite file the writer thread builds and stores the rows: with
   * better-sqlite3 the INSERT runs on the calling thread, and it was the largest part of an audited
   * request's time on the event loop. Elsewhere (MySQL's pool already waits off the event loop; an
   * in-memory database lives in a scratch file of the data source's own) through the transaction
   * runner, the time converted as TypeORM would (`preparePersistentValue`); not through the query
   * builder, whose parameter bookkeeping costs more than the write.
   */
  private async insert(events: PackedAuditEvent[]): Promise<void> {
    if (this.thread) return this.thread.write(events);
    const { driver } = this.ds;
    this.timeColumn ??= this.ds.getMetadata(AuditEventEntity).findColumnWithPropertyName('eventTime')!;
    const timeColumn = this.timeColumn;
    const time = (d: Date) => driver.preparePersistentValue(d, timeColumn) as unknown;
    const values: unknown[] = [];
    for (const e of events) auditRowValues(unpackAuditEvent(e), time, values);
    const sql = auditInsertSql(events.length, (name) => driver.escape(name));
    await this.ds.writes.write((m) => m.query(sql, values));
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
