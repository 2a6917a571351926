import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import Database from 'better-sqlite3';
import { LintelDataSource, SqliteTransactionRunner, UnavailableError } from '@lintel/domain';

const dir = mkdtempSync(join(tmpdir(), 'lintel-writes-'));
const file = join(dir, 'writes.sqlite');
let ds: LintelDataSource;

before(async () => {
  ds = await LintelDataSource.open({ kind: 'sqlite', url: file, poolSize: 1 });
  await ds.migrate();
  await ds.writes.write((m) => m.query('CREATE TABLE t (n integer NOT NULL)'));
});
after(async () => {
  await ds?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

const numbers = async (min: number) => (await ds.query('SELECT n FROM t WHERE n >= ? ORDER BY n', [min]) as Array<{ n: number }>).map((r) => r.n);

test('a write asked for while a transaction is in flight waits for it and is not part of it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = ds.writes.transaction(async (m) => {
    await m.query('INSERT INTO t (n) VALUES (100)');
    await gate;
    throw new Error('roll back');
  });
  const outside = ds.writes.write((m) => m.query('INSERT INTO t (n) VALUES (200)'));
  release();
  await assert.rejects(tx, /roll back/);
  await outside;
  assert.deepEqual(await numbers(100), [200]);
});

test('reads do not see a transaction that has not committed, and see it once it has', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let written!: () => void;
  const wrote = new Promise<void>((r) => (written = r));
  const tx = ds.writes.transaction(async (m) => {
    await m.query('INSERT INTO t (n) VALUES (300)');
    written();
    await gate;
  });
  await wrote;
  assert.deepEqual(await numbers(300), [], 'the read connection sees only what has committed');
  release();
  await tx;
  assert.deepEqual(await numbers(300), [300]);
});

test('the read connection refuses writes: a write that bypasses the runner fails at once', async () => {
  await assert.rejects(ds.query('INSERT INTO t (n) VALUES (400)'), /readonly/i);
});

test('a transaction holds the write lock from its start: no other connection commits between its read and its write', async () => {
  // Another process (here a connection of this test, as `manage` or the audit writer thread would be).
  const other = new Database(file, { timeout: 50 });
  try {
    let runs = 0;
    await ds.writes.transaction(async (m) => {
      runs++;
      await m.query('SELECT count(*) AS c FROM t');
      assert.throws(() => other.prepare('INSERT INTO t (n) VALUES (500)').run(), { code: 'SQLITE_BUSY' });
      await m.query('INSERT INTO t (n) VALUES (501)');
    });
    assert.equal(runs, 1);
    other.prepare('INSERT INTO t (n) VALUES (502)').run();
    assert.deepEqual(await numbers(500), [501, 502]);
  } finally {
    other.close();
  }
});

test('a caller that waits for the writer too long is answered as unavailable, and the queue moves on', async () => {
  // A runner of its own on the same writing connection, with a 50 ms wait.
  const runner = new SqliteTransactionRunner(await ds.writes.exclusive(async (w) => w), undefined, 50);
  let release!: () => void;
  const held = runner.exclusive(() => new Promise<void>((r) => (release = r)));
  await assert.rejects(runner.write((m) => m.query('SELECT 1')), UnavailableError);
  release();
  await held;
  assert.deepEqual(await runner.write((m) => m.query('SELECT 1 AS one')), [{ one: 1 }]);
});

test('an in-memory database is one database for reads and writes, removed when closed', async () => {
  const mem = await LintelDataSource.open({ kind: 'sqlite', url: ':memory:', poolSize: 1 });
  const where = dirname((mem.options as { database: string }).database);
  try {
    await mem.writes.write((m) => m.query('CREATE TABLE m (n integer NOT NULL)'));
    await mem.writes.write((m) => m.query('INSERT INTO m (n) VALUES (7)'));
    assert.deepEqual(await mem.query('SELECT n FROM m'), [{ n: 7 }]);
  } finally {
    await mem.destroy();
  }
  assert.equal(existsSync(where), false);
});
