import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';
import { UnavailableError } from './errors.js';

const GATE_WAIT_MS = 30_000;

/** Marks the async context of the transaction that holds the gate. */
interface Holder {
  active: boolean;
}

/**
 * TypeORM runs every better-sqlite3 statement on one shared connection, so two concurrent
 * transactions collide ("cannot start a transaction within a transaction"), and a statement of
 * another request issued while a transaction is open would silently become part of it (and be
 * rolled back with it). The gate serialises access: a transaction holds it from BEGIN to
 * COMMIT/ROLLBACK, and any other statement waits for it. Statements made inside the holding
 * transaction's own async context pass straight through.
 */
export function installSqliteGate(ds: DataSource): void {
  const als = new AsyncLocalStorage<Holder>();
  let tail: Promise<void> = Promise.resolve();
  const exclusive = async <T>(fn: () => Promise<T>): Promise<T> => {
    const prev = tail;
    let release!: () => void;
    tail = new Promise<void>((r) => (release = r));
    // A transaction stuck for this long (or one awaiting something that needs the gate) must not
    // hang every request behind it: the waiter gives up with a 503 and the queue moves on.
    let timer: NodeJS.Timeout | undefined;
    const waited = await Promise.race([
      prev.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), GATE_WAIT_MS))),
    ]);
    clearTimeout(timer);
    if (!waited) {
      void prev.then(release);
      throw new UnavailableError(`SQLite connection busy for more than ${GATE_WAIT_MS / 1000} s`);
    }
    try {
      return await fn();
    } finally {
      release();
    }
  };
  const inside = () => als.getStore()?.active === true;
  /**
   * Runs `fn` holding the gate, in an async context whose statements pass through. The storage is
   * switched off again afterwards: while any AsyncLocalStorage is enabled, Node runs promise hooks
   * on every promise of every request, reads included, and transactions are the rare case. Holders
   * never overlap (the gate serialises them), and a late continuation of a finished transaction
   * finds no store, which is what it would find inactive anyway.
   */
  const held = <T>(fn: () => Promise<T>): Promise<T> => exclusive(async () => {
    const holder: Holder = { active: true };
    try {
      return await als.run(holder, fn);
    } finally {
      holder.active = false;
      als.disable();
    }
  });

  // Transactions, and migrations (which open their own), hold the gate for their whole run.
  for (const name of ['transaction', 'runMigrations', 'undoLastMigration'] as const) {
    const original = (ds[name] as (...a: unknown[]) => Promise<unknown>).bind(ds);
    (ds as unknown as Record<string, unknown>)[name] = (...args: unknown[]) => (inside() ? original(...args) : held(() => original(...args)));
  }

  const driver = ds.driver as unknown as { createQueryRunner: (mode?: string) => QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  const gated = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode?: string) => {
    const runner = create(mode);
    if (!gated.has(runner)) {
      gated.add(runner);
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
      (runner as { query: unknown }).query = (...args: unknown[]) => {
        // Another connection writes to the file too (the audit writer thread, `manage`): a
        // transaction that read first and wrote later would fail (SQLITE_BUSY_SNAPSHOT) had that
        // connection committed in between. Taking the write lock at BEGIN, waiting for it up to the
        // busy timeout, rules that out; transactions here are serialised by the gate anyway.
        if (args[0] === 'BEGIN TRANSACTION') args[0] = 'BEGIN IMMEDIATE TRANSACTION';
        return inside() ? query(...args) : exclusive(() => query(...args));
      };
      // A transaction opened outside the gate (Repository.save does that) would span several
      // gated statements and swallow other requests' writes: refuse it loudly instead.
      const start = runner.startTransaction.bind(runner);
      runner.startTransaction = (...args: Parameters<QueryRunner['startTransaction']>) => {
        if (!inside()) return Promise.reject(new Error('SQLite transactions must be opened with DataSource.transaction (the connection gate)'));
        return start(...args);
      };
    }
    return runner;
  };
}
