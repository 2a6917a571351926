import { AsyncLocalStorage } from 'node:async_hooks';
import type { DataSource, QueryRunner } from 'typeorm';

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
    await prev;
    try {
      return await fn();
    } finally {
      release();
    }
  };
  const inside = () => als.getStore()?.active === true;

  const transaction = ds.transaction.bind(ds) as (...args: unknown[]) => Promise<unknown>;
  (ds as { transaction: unknown }).transaction = (...args: unknown[]) => {
    if (inside()) return transaction(...args);
    return exclusive(async () => {
      const holder: Holder = { active: true };
      try {
        return await als.run(holder, () => transaction(...args));
      } finally {
        holder.active = false;
      }
    });
  };

  const driver = ds.driver as unknown as { createQueryRunner: (mode?: string) => QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  const gated = new WeakSet<QueryRunner>();
  driver.createQueryRunner = (mode?: string) => {
    const runner = create(mode);
    if (!gated.has(runner)) {
      gated.add(runner);
      const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
      (runner as { query: unknown }).query = (...args: unknown[]) => (inside() ? query(...args) : exclusive(() => query(...args)));
    }
    return runner;
  };
}
