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
 * SQLite: one writing connection, lent to one caller at a time in the order they asked. The
 * connection's own transactions begin DEFERRED, so one that read before another process (the audit
 * writer thread, `manage`) committed fails with SQLITE_BUSY_SNAPSHOT when it comes to write; it is
 * then run again, as a MySQL conflict is.
 */
export class SqliteTransactionRunner extends TransactionRunner {
  private tail: Promise<void> = Promise.resolve();

  constructor(private readonly writer: DataSource, private readonly policy: RetryPolicy = TRANSACTION_RETRY, private readonly waitMs = SQLITE_WRITER_WAIT_MS) {
    super();
  }

  transaction<T>(fn: (m: EntityManager) => Promise<T>): Promise<T> {
    return this.exclusive((w) => retryOnConflict(this.policy, () => w.transaction(fn)));
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
