import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { DataSource, EntityManager } from 'typeorm';
import { AuditEventEntity, auditQueueStats, AuditService, AuditWriterThread, type AuditRecord, type LintelDataSource, type TransactionRunner } from '@lintel/domain';
import { databaseKinds, sqliteKind } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { openDatabase, startIdentity, useDatabase } from '../helpers/lintel.js';
import { eventually } from '../helpers/wait.js';

const event = (n: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  action: 'created.user', outcome: 'success', targetType: 'user', targetId: `target-${n}`,
  initiator: { userId: 'u1', projectId: 'p1', address: '127.0.0.1' }, requestId: `req-${n}`, ...extra,
});

/**
 * Makes statements fail for a while, reads (`ds.query`) and writes (`ds.writes.write`) alike;
 * `fail` says which throw. Returns the function that ends it.
 */
function failQueries(ds: LintelDataSource, fail: (sql: string, params: unknown[] | undefined) => boolean): () => void {
  const failing = (run: (sql: string, params?: unknown[]) => Promise<unknown>) => (sql: string, params?: unknown[]) =>
    (fail(sql, params) ? Promise.reject(new Error('connection lost (test)')) : run(sql, params));
  const { query, writes } = ds;
  ds.query = failing(query.bind(ds)) as DataSource['query'];
  // On MySQL the writes' manager is the data source's own: its statements must not pass the patched `ds.query` a second time.
  const unpatched = (m: EntityManager) => (m.connection === ds ? query.bind(ds) : m.query.bind(m));
  const write: TransactionRunner['write'] = (fn) => writes.write((m) => fn(Object.assign(Object.create(m) as EntityManager, { query: failing(unpatched(m)) })));
  ds.writes = Object.assign(Object.create(writes) as TransactionRunner, { write });
  return () => {
    ds.query = query;
    ds.writes = writes;
  };
}

// AuditService outside an app logs through Nest's default console logger: one line per event.
Logger.overrideLogger(false);

/** The audit write-behind queue (AuditService) on a real migrated database. */
for (const kind of databaseKinds()) {
  describe(`audit queue (${kind.kind})`, () => {
    const ctx = useDatabase(kind);
    const stored = async () => (await ctx.ds.getRepository(AuditEventEntity).find({ order: { id: 'ASC' } })).map((r) => r.targetId);

    test('a reader right after a write sees it: list() writes what is queued first', async () => {
      const audit = new AuditService(ctx.ds);
      await clear(ctx.ds);
      audit.record(event(1));
      audit.record(event(2, { outcome: 'failure', reason: '401' }));
      const events = await audit.list({ limit: 10 }) as Array<{ target: { id: string }; outcome: string; reason?: object }>;
      assert.deepEqual(events.map((e) => e.target.id), ['target-2', 'target-1']);
      assert.deepEqual(events[0]!.reason, { reasonType: 'lintel', reasonCode: '401' });
      await audit.onApplicationShutdown();
    });

    test('events go in batches, in the order recorded; over-long column values are cut, the payload keeps them', async () => {
      const audit = new AuditService(ctx.ds);
      await clear(ctx.ds);
      const pending = auditQueueStats.pending;
      const inserts: number[] = [];
      const restore = failQueries(ctx.ds, (sql, params) => {
        if (sql.startsWith('INSERT')) inserts.push(params!.length);
        return false;
      });
      try {
        for (let i = 0; i < 600; i++) audit.record(event(i));
        audit.record(event(600, { targetId: 'x'.repeat(400) }));
        assert.equal(auditQueueStats.pending, pending + 601);
        await audit.flush();
      } finally {
        restore();
      }
      assert.equal(auditQueueStats.pending, pending);
      const columns = inserts[0]! / 250;
      assert.deepEqual(inserts, [250, 250, 50, 50, 1].map((n) => n * columns), 'INSERTs of 250, 50, 10 or 1 rows');
      const ids = await stored();
      assert.deepEqual(ids.slice(0, 600), Array.from({ length: 600 }, (_, i) => `target-${i}`));
      assert.equal(ids[600], 'x'.repeat(255));
      const [last] = await audit.list({ limit: 1 }) as Array<{ target: { id: string } }>;
      assert.equal(last!.target.id, 'x'.repeat(400));
    });

    test('a database that does not answer is retried: nothing lost once it answers again', async () => {
      const audit = new AuditService(ctx.ds);
      await clear(ctx.ds);
      const { dropped, failedWrites } = auditQueueStats;
      const restore = failQueries(ctx.ds, () => true);
      try {
        for (let i = 0; i < 3; i++) audit.record(event(i));
        await audit.flush();
        await audit.flush();
        assert.deepEqual(await stored(), []);
        assert.equal(auditQueueStats.failedWrites, failedWrites + 2);
      } finally {
        restore();
      }
      await audit.flush();
      assert.deepEqual(await stored(), ['target-0', 'target-1', 'target-2']);
      assert.equal(auditQueueStats.dropped, dropped);
    });

    test('a row the database refuses (while it answers) is dropped alone, counted; a database that keeps failing drops the batch in the end', async () => {
      const audit = new AuditService(ctx.ds);
      await clear(ctx.ds);
      const { dropped } = auditQueueStats;
      let restore = failQueries(ctx.ds, (sql, params) => sql.startsWith('INSERT') && (params ?? []).includes('poison'));
      try {
        audit.record(event(0));
        audit.record(event(1, { targetId: 'poison' }));
        audit.record(event(2));
        await audit.flush();
        assert.deepEqual(await stored(), ['target-0', 'target-2']);
        assert.equal(auditQueueStats.dropped, dropped + 1);
      } finally {
        restore();
      }
      restore = failQueries(ctx.ds, () => true);
      try {
        audit.record(event(3));
        for (let i = 0; i < 8; i++) await audit.flush();
        assert.equal(auditQueueStats.dropped, dropped + 2);
      } finally {
        restore();
      }
      await audit.flush();
      assert.deepEqual(await stored(), ['target-0', 'target-2']);
    });

    test('shutdown writes what is queued', async () => {
      const fresh = await kind.create();
      try {
        const h = await startIdentity(fresh);
        const admin = (await issue(h.url, adminProjectAuth())).id;
        const made = await call(h.url, 'POST', '/v3/users', { token: admin, body: { user: { name: 'last-words' } } });
        assert.equal(made.status, 201);
        await h.close();
        const { ds: check } = await openDatabase(fresh);
        try {
          const rows = await check.getRepository(AuditEventEntity).findBy({ action: 'created.user' });
          assert.deepEqual(rows.map((r) => r.targetId), [made.body.user.id]);
        } finally {
          await check.destroy();
        }
      } finally {
        await fresh.drop();
      }
    });
  });
}

/**
 * On an SQLite file the app's AuditService (the one given the config) stores events from a writer
 * thread with a connection of its own, beside the main connection.
 */
describe('audit writer thread (sqlite)', () => {
  const ctx = useDatabase(sqliteKind());
  const yieldFor = (ms: number) => new Promise((r) => setTimeout(r, ms));

  test('stores events in order, with the same columns and payload as the connection would', async () => {
    await clear(ctx.ds);
    const viaThread = new AuditService(ctx.ds, ctx.config);
    const viaConnection = new AuditService(ctx.ds);
    try {
      for (let i = 0; i < 600; i++) viaThread.record(event(i));
      viaThread.record(event(600, { targetId: 'x'.repeat(400), outcome: 'failure', reason: '401' }));
      await viaThread.flush();
      viaConnection.record(event(601));
      await viaConnection.flush();
      const rows = await ctx.ds.getRepository(AuditEventEntity).find({ order: { id: 'ASC' } });
      assert.deepEqual(rows.slice(0, 600).map((r) => r.targetId), Array.from({ length: 600 }, (_, i) => `target-${i}`));
      assert.equal(rows[600]!.targetId, 'x'.repeat(255), 'column cut to its length');
      const cadf = JSON.parse(rows[600]!.payload) as { target: { id: string }; reason: object; eventTime: string };
      assert.equal(cadf.target.id, 'x'.repeat(400), 'the payload keeps the whole value');
      assert.deepEqual(cadf.reason, { reasonType: 'lintel', reasonCode: '401' });
      // The time column as TypeORM reads it back is the event's time, in either path.
      assert.equal(rows[600]!.eventTime.toISOString(), cadf.eventTime.replace('+0000', 'Z'));
      const raw = await ctx.ds.query('SELECT event_time FROM audit_events WHERE target_id IN (?, ?) ORDER BY id', ['target-599', 'target-601']) as Array<{ event_time: string }>;
      assert.match(raw[0]!.event_time, /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}$/);
      assert.equal(raw[0]!.event_time.length, raw[1]!.event_time.length, 'same stored format as the connection writes');
      const [latest] = await viaThread.list({ limit: 1 }) as Array<{ target: { id: string } }>;
      assert.equal(latest!.target.id, 'target-601');
    } finally {
      await viaThread.onApplicationShutdown();
      await viaConnection.onApplicationShutdown();
    }
  });

  test('transactions of the main connection that read, then write, never fail while the thread writes', async () => {
    await clear(ctx.ds);
    const audit = new AuditService(ctx.ds, ctx.config);
    try {
      audit.record(event(0));
      await audit.flush();
      let writing = true;
      const writer = (async () => {
        for (let i = 1; writing && i < 20_000; i++) {
          audit.record(event(i));
          // Lets the transactions below run between records.
          if (i % 50 === 0) await yieldFor(0);
        }
      })();
      // Each of these fails with SQLITE_BUSY_SNAPSHOT whenever the thread commits between its read
      // and its write; the runner runs it again.
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => ctx.ds.writes.transaction(async (m) => {
        await m.query('SELECT COUNT(*) AS n FROM audit_events');
        // Widens the window between the read and the write, where the thread's commits land.
        await yieldFor(2);
        await m.query('UPDATE audit_events SET outcome = outcome WHERE id = (SELECT MIN(id) FROM audit_events)');
      })));
      writing = false;
      await writer;
      await audit.flush();
      assert.deepEqual(results.filter((r) => r.status === 'rejected').map((r) => String((r as PromiseRejectedResult).reason)), []);
      assert.ok(await ctx.ds.getRepository(AuditEventEntity).count() > 1);
    } finally {
      await audit.onApplicationShutdown();
    }
  });

  test('a database locked past the busy timeout is retried, not dropped', async () => {
    await clear(ctx.ds);
    const busy = AuditWriterThread.busyTimeoutMs;
    AuditWriterThread.busyTimeoutMs = 50;
    const audit = new AuditService(ctx.ds, ctx.config);
    const { dropped, failedWrites } = auditQueueStats;
    try {
      // The main writer holds the write lock (its transaction has written) until the write has failed.
      let held!: () => void;
      let release!: () => void;
      const lockHeld = new Promise<void>((r) => (held = r));
      const released = new Promise<void>((r) => (release = r));
      const locked = ctx.ds.writes.transaction(async (m) => {
        await m.query('DELETE FROM audit_events WHERE id < 0');
        held();
        await released;
      });
      await lockHeld;
      for (let i = 0; i < 3; i++) audit.record(event(i));
      await audit.flush();
      assert.ok(auditQueueStats.failedWrites > failedWrites, 'the write failed while locked');
      release();
      await locked;
      const count = await eventually(async () => {
        await audit.flush();
        return ctx.ds.getRepository(AuditEventEntity).count();
      }, (n) => n >= 3, { timeoutMs: 5000, intervalMs: 100 });
      assert.equal(count, 3);
      assert.deepEqual(await stored(ctx.ds), ['target-0', 'target-1', 'target-2']);
      assert.equal(auditQueueStats.dropped, dropped);
    } finally {
      await audit.onApplicationShutdown();
      AuditWriterThread.busyTimeoutMs = busy;
    }
  });
});

async function clear(ds: LintelDataSource): Promise<void> {
  await ds.writes.write((m) => m.getRepository(AuditEventEntity).clear());
}

async function stored(ds: DataSource): Promise<Array<string | null>> {
  return (await ds.getRepository(AuditEventEntity).find({ order: { id: 'ASC' } })).map((r) => r.targetId);
}
