import type { DataSource, EntityManager } from 'typeorm';
import { UnavailableError } from '../errors.js';
import { retryOnConflict, TRANSACTION_RETRY, type RetryPolicy } from './conflict-retry.js';

/**
 * The one way Lintel writes. Services read through their injected repositories and write only
 * through this runner, which knows the database's rules (docs/databases.md, "Writes"):
 *
 * - MySQL/MariaDB run transactions side by side on the pool; one may lose a conflict (an InnoDB
 *   deadlock, a Galera certification failure at COMMIT) and is then run again from the start.
 * - SQLite has one writing connection, separate from the read-only one the repositories use: the
 *   runner hands it to one caller at a time, so a transaction never takes in another request's
 *   statements, and reads never see a transaction that has not committed.
 *
 * A callback may run more than once: it keeps its effects inside the database it is given, and
 * must not call the runner again (on SQLite it would wait for itself).
 */
export abstract class TransactionRunner {
  /** Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. */
  abstract transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T>;

  /**
   * Runs `fn`'s statements without a transaction around them, each committing on its own: for a
   * single statement (an `INSERT IGNORE`, a counter update) where BEGIN and COMMIT would double
   * the round trips. Re-run whole on a conflict, so several statements must be safe to repeat.
   */
  abstract write<T>(fn: (m: EntityManager) => Promise<T>): Promise<T>;

  /** Runs `fn` with the writing data source to itself (migrations). */
  abstract exclusive<T>(fn: (writer: DataSource) => Promise<T>): Promise<T>;
}

/** MySQL/MariaDB: the pool itself, with conflicts run again (docs/galera.md, "Conflicts and retries"). */
export class PoolTransactionRunner extends TransactionRunner {
  constructor(private readonly ds: DataSource, private readonly policy: RetryPolicy = TRANSACTION_RETRY) {
    super();
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return retryOnConflict(this.policy, () => this.ds.transaction(fn));
  }

  write<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return retryOnConflict(this.policy, () => fn(this.ds.manager));
  }

  exclusive<T>(fn: (writer: DataSource) => Promise<T>): Promise<T> {
    return fn(this.ds);
  }
}

/** How long a caller waits for SQLite's writing connection before it is answered with a 503. */
export const SQLITE_WRITER_WAIT_MS = 30_000;

/**
 * SQLite: one writing connection, lent to one caller at a time in the order they asked.
 *
 * Other connections write to the same file (the audit writer thread, `manage`). SQLite begins a
 * transaction without a lock, and one that has read and then writes while another connection holds
 * the write lock fails at once with SQLITE_BUSY: SQLite cannot wait there without risking a
 * deadlock. So each transaction's first statement is a write that changes nothing, which takes the
 * lock up front, waiting for it up to the busy timeout: what BEGIN IMMEDIATE does, which TypeORM
 * has no way to ask for. A stale snapshot (SQLITE_BUSY_SNAPSHOT) is run again all the same.
 */
export class SqliteTransactionRunner extends TransactionRunner {
  private tail: Promise<void> = Promise.resolve();
  private readonly takeWriteLock: string;

  constructor(private readonly writer: DataSource, private readonly policy: RetryPolicy = TRANSACTION_RETRY, private readonly waitMs = SQLITE_WRITER_WAIT_MS) {
    super();
    // TypeORM's migrations table exists wherever transactions run (a database is migrated first).
    this.takeWriteLock = `DELETE FROM ${writer.driver.escape(writer.options.migrationsTableName ?? 'migrations')} WHERE 0`;
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive((w) => retryOnConflict(this.policy, () => w.transaction(async (m) => {
      await m.query(this.takeWriteLock);
      return fn(m);
    })));
  }

  write<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive((w) => retryOnConflict(this.policy, () => fn(w.manager)));
  }

  async exclusive<T>(fn: (writer: DataSource) => Promise<T>): Promise<T> {
    const before = this.tail;
    let release!: () => void;
    this.tail = new Promise<void>((r) => (release = r));
    // A holder stuck for this long must not hang every writer behind it: the waiter gives up
    // with a 503 and its turn passes on when the holder is done.
    let timer: NodeJS.Timeout | undefined;
    const turn = await Promise.race([
      before.then(() => true),
      new Promise<false>((r) => (timer = setTimeout(() => r(false), this.waitMs))),
    ]);
    clearTimeout(timer);
    if (!turn) {
      void before.then(release);
      throw new UnavailableError(`SQLite writer busy for more than ${this.waitMs / 1000} s`);
    }
    try {
      return await fn(this.writer);
    } finally {
      release();
    }
  }
}
