import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { loadConfig } from '@lintel/config';
import { AuditEventEntity, auditQueueStats, AuditService, createDataSource, type AuditRecord } from '@lintel/domain';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { startIdentity, testEnv } from '../helpers/lintel.js';

const event = (n: number, extra: Partial<AuditRecord> = {}): AuditRecord => ({
  action: 'created.user', outcome: 'success', targetType: 'user', targetId: `target-${n}`,
  initiator: { userId: 'u1', projectId: 'p1', address: '127.0.0.1' }, requestId: `req-${n}`, ...extra,
});

/** Replaces `ds.query` for a while; `fail` says which calls throw. */
function failQueries(ds: DataSource, fail: (sql: string, params: unknown[] | undefined) => boolean): () => void {
  const original = ds.query.bind(ds);
  ds.query = ((sql: string, params?: unknown[]) => (fail(sql, params) ? Promise.reject(new Error('connection lost (test)')) : original(sql, params))) as DataSource['query'];
  return () => void (ds.query = original);
}

// AuditService outside an app logs through Nest's default console logger: one line per event.
Logger.overrideLogger(false);

/** The audit write-behind queue (AuditService) on a real migrated database. */
for (const kind of databaseKinds()) {
  describe(`audit queue (${kind.kind})`, () => {
    let db: TestDatabase;
    let ds: DataSource;
    const stored = async () => (await ds.getRepository(AuditEventEntity).find({ order: { id: 'ASC' } })).map((r) => r.targetId);

    before(async () => {
      db = await kind.create();
      ds = await createDataSource(loadConfig(testEnv(db)).database).initialize();
      await ds.runMigrations({ transaction: 'each' });
    });

    after(async () => {
      await ds?.destroy();
      await db?.drop();
    });

    test('a reader right after a write sees it: list() writes what is queued first', async () => {
      const audit = new AuditService(ds);
      await ds.getRepository(AuditEventEntity).clear();
      audit.record(event(1));
      audit.record(event(2, { outcome: 'failure', reason: '401' }));
      const events = await audit.list({ limit: 10 }) as Array<{ target: { id: string }; outcome: string; reason?: object }>;
      assert.deepEqual(events.map((e) => e.target.id), ['target-2', 'target-1']);
      assert.deepEqual(events[0]!.reason, { reasonType: 'lintel', reasonCode: '401' });
      await audit.onApplicationShutdown();
    });

    test('events go in batches, in the order recorded; over-long column values are cut, the payload keeps them', async () => {
      const audit = new AuditService(ds);
      await ds.getRepository(AuditEventEntity).clear();
      const pending = auditQueueStats.pending;
      const inserts: number[] = [];
      const restore = failQueries(ds, (sql, params) => {
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
      const audit = new AuditService(ds);
      await ds.getRepository(AuditEventEntity).clear();
      const { dropped, failedWrites } = auditQueueStats;
      const restore = failQueries(ds, () => true);
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
      const audit = new AuditService(ds);
      await ds.getRepository(AuditEventEntity).clear();
      const { dropped } = auditQueueStats;
      let restore = failQueries(ds, (sql, params) => sql.startsWith('INSERT') && (params ?? []).includes('poison'));
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
      restore = failQueries(ds, () => true);
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
        const check = await createDataSource(loadConfig(testEnv(fresh)).database).initialize();
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
