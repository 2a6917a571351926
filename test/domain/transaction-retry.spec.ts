import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import type { DataSource } from 'typeorm';
import { isDatabaseUnavailable, isSerializationFailure, PoolTransactionRunner, retryOnConflict, sessionSetupSql, transactionRetryStats, type LintelDataSource } from '@lintel/domain';
import { mariadbKind, skipWithoutMariaDb } from '../helpers/databases.js';
import { useDatabase } from '../helpers/lintel.js';

/** What mysql2 and TypeORM hand up for a deadlock or a Galera certification conflict. */
const conflict = () => Object.assign(new Error('Query failed'), { driverError: { code: 'ER_LOCK_DEADLOCK', errno: 1213, sqlState: '40001' } });
const policy = { attempts: 4, baseDelayMs: 10, maxDelayMs: 15 };

describe('the transaction retry policy', () => {
  test('serialization failures are recognised by code, errno or SQLSTATE, wrapped or not', () => {
    assert.ok(isSerializationFailure(conflict()));
    assert.ok(isSerializationFailure({ errno: 1213 }));
    assert.ok(isSerializationFailure({ cause: { sqlState: '40001' } }));
    assert.ok(isSerializationFailure({ driverError: { code: 'SQLITE_BUSY_SNAPSHOT' } }), "SQLite's stale snapshot");
    assert.ok(!isSerializationFailure({ driverError: { code: 'SQLITE_BUSY' } }), 'a busy timeout that ran out is not run again');
    assert.ok(!isSerializationFailure(Object.assign(new Error('dup'), { driverError: { code: 'ER_DUP_ENTRY', errno: 1062 } })));
    assert.ok(!isSerializationFailure(undefined));
  });

  test('a conflict is retried until the callback succeeds, with a growing, random wait', async () => {
    const draws: number[] = [];
    let runs = 0;
    const before_ = transactionRetryStats.retried;
    const started = Date.now();
    const out = await retryOnConflict(policy, async () => {
      if (++runs < 3) throw conflict();
      return 'done';
    }, () => {
      draws.push(Date.now());
      return 1;
    });
    assert.equal(out, 'done');
    assert.equal(runs, 3);
    assert.equal(draws.length, 2, 'one random draw per wait');
    assert.equal(transactionRetryStats.retried - before_, 2);
    // random() = 1 gives the ceilings: 10 ms, then 20 ms capped at 15.
    const waited = Date.now() - started;
    assert.ok(waited >= 24 && waited < 200, `waited ${waited} ms`);
  });

  test('the number of attempts is bounded and the last conflict is thrown as it came, as a 503', async () => {
    let runs = 0;
    const before_ = transactionRetryStats.exhausted;
    const err = await retryOnConflict(policy, async () => {
      runs++;
      throw conflict();
    }, () => 0).catch((e: unknown) => e);
    assert.equal(runs, policy.attempts);
    assert.ok(isSerializationFailure(err));
    assert.ok(isDatabaseUnavailable(err), 'the dialects answer it with 503, never 500');
    assert.equal(transactionRetryStats.exhausted - before_, 1);
  });

  test('any other error is thrown at once', async () => {
    let runs = 0;
    await assert.rejects(retryOnConflict(policy, async () => {
      runs++;
      throw new Error('bad query');
    }), /bad query/);
    assert.equal(runs, 1);
  });

  test('the pool runner re-runs a transaction whole and a lone write by itself', async () => {
    const log: string[] = [];
    let failNext = 0;
    const manager = {
      async query(sql: string) {
        log.push(sql);
        if (failNext > 0) {
          failNext--;
          throw conflict();
        }
        return [];
      },
    };
    const pool = { manager, transaction: (fn: (m: unknown) => Promise<unknown>) => fn(manager) };
    const runner = new PoolTransactionRunner(pool as unknown as DataSource, { attempts: 3, baseDelayMs: 1, maxDelayMs: 1 });

    failNext = 1;
    await runner.write((m) => m.query('INSERT IGNORE lone'));
    assert.deepEqual(log.splice(0), ['INSERT IGNORE lone', 'INSERT IGNORE lone']);

    let runs = 0;
    await runner.transaction(async (m) => {
      runs++;
      await m.query('SELECT');
      if (runs === 1) failNext = 1;
      await m.query('UPDATE in transaction');
    });
    assert.equal(runs, 2, 'the whole callback ran again');
    assert.deepEqual(log.splice(0), ['SELECT', 'UPDATE in transaction', 'SELECT', 'UPDATE in transaction']);
  });

  test('the session statement adds the READ bit on Galera unless a value is given', () => {
    assert.match(sessionSetupSql({ kind: 'mysql', url: 'mysql://x/y', poolSize: 1 }), /IF\(@@global\.wsrep_on = 1, @@session\.wsrep_sync_wait \| 1, @@session\.wsrep_sync_wait\)/);
    assert.match(sessionSetupSql({ kind: 'mysql', url: 'mysql://x/y', poolSize: 1, wsrepSyncWait: 0 }), /IF\(@@global\.wsrep_on = 1, 0,/);
  });
});

describe('transaction retry on MariaDB', { skip: skipWithoutMariaDb }, () => {
  const ctx = useDatabase(mariadbKind(), { migrated: false, env: { LINTEL_DB_POOL_SIZE: '4' } });
  let ds: LintelDataSource;

  before(async () => {
    ds = ctx.ds;
    await ds.writes.write(async (m) => {
      await m.query('CREATE TABLE t (id int PRIMARY KEY, n int NOT NULL) ENGINE=InnoDB');
      await m.query('INSERT INTO t VALUES (1, 0), (2, 0)');
    });
  });

  test('sessions keep wsrep_sync_wait off a cluster (wsrep_on OFF)', async () => {
    const [row] = await ds.query('SELECT @@global.wsrep_on AS w, @@session.wsrep_sync_wait AS s') as Array<{ w: number; s: number }>;
    assert.equal(Number(row!.w), 0);
    assert.equal(Number(row!.s), 0);
  });

  test('two transactions that deadlock both commit: the victim is run again, whole', async () => {
    // Each locks one row, then waits for the other to have done the same before asking for the
    // other's row: InnoDB must pick a victim, whose callback runs a second time from the start.
    let arrived = 0;
    let bothLocked!: () => void;
    const rendezvous = new Promise<void>((r) => (bothLocked = r));
    const runs = [0, 0];
    const before_ = transactionRetryStats.retried;
    const crossing = (i: 0 | 1, first: number, second: number) => ds.writes.transaction(async (m) => {
      runs[i]!++;
      await m.query('UPDATE t SET n = n + 1 WHERE id = ?', [first]);
      if (runs[i] === 1 && ++arrived === 2) bothLocked();
      if (runs[i] === 1) await rendezvous;
      await m.query('UPDATE t SET n = n + 1 WHERE id = ?', [second]);
    });
    await Promise.all([crossing(0, 1, 2), crossing(1, 2, 1)]);
    assert.equal(runs[0]! + runs[1]!, 3, `runs: ${runs}`);
    assert.equal(transactionRetryStats.retried - before_, 1);
    const rows = await ds.query('SELECT n FROM t ORDER BY id') as Array<{ n: number }>;
    assert.deepEqual(rows.map((r) => r.n), [2, 2], 'each transaction counted once: nothing of the failed attempt survived');
  });
});
