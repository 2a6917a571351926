import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { DataSource } from 'typeorm';
import { createDataSource } from '@lintel/domain';

const dir = mkdtempSync(join(tmpdir(), 'lintel-gate-'));
let ds: DataSource;

before(async () => {
  ds = await createDataSource({ kind: 'sqlite', url: join(dir, 'gate.sqlite'), poolSize: 1 }).initialize();
  await ds.query('CREATE TABLE t (n integer NOT NULL)');
});
after(async () => {
  await ds?.destroy();
  rmSync(dir, { recursive: true, force: true });
});

/** A statement on the DataSource itself (not the transaction's manager), from inside a transaction. */
const insideTransaction = (n: number) => ds.transaction(async (m) => {
  await m.query('INSERT INTO t (n) VALUES (?)', [n]);
  // Passes the gate only if the transaction's async context is recognised; otherwise it would wait
  // for the gate its own transaction holds.
  return ds.query('SELECT count(*) AS c FROM t') as Promise<Array<{ c: number }>>;
});

test('transactions one after another each recognise their own statements (the storage is switched on again)', async () => {
  for (let i = 1; i <= 3; i++) {
    const started = Date.now();
    assert.equal((await insideTransaction(i))[0]!.c, i);
    assert.ok(Date.now() - started < 1000, 'no wait on the gate the transaction holds');
  }
});

test('outside statements wait for a transaction in flight and are not part of it', async () => {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const tx = ds.transaction(async (m) => {
    await m.query('INSERT INTO t (n) VALUES (100)');
    await gate;
    throw new Error('roll back');
  });
  const outside = ds.query('INSERT INTO t (n) VALUES (200)');
  release();
  await assert.rejects(tx, /roll back/);
  await outside;
  const rows = await ds.query('SELECT n FROM t WHERE n >= 100') as Array<{ n: number }>;
  assert.deepEqual(rows.map((r) => r.n), [200]);
});
