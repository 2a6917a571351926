import type { DataSource, QueryRunner } from 'typeorm';

/**
 * How often a MySQL/MariaDB transaction is run before a conflict is given up on, and the ceiling
 * of the random wait before each re-run (it doubles per attempt up to `maxDelayMs`: "full
 * jitter", so replicas that collided once do not collide again in step). See docs/galera.md,
 * "Conflicts and retries".
 */
export interface RetryPolicy {
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

/** At most 8 runs; the waits between them at most 10, 20, 40 ... 500 ms (about 1.1 s in all). */
export const TRANSACTION_RETRY: RetryPolicy = { attempts: 8, baseDelayMs: 10, maxDelayMs: 500 };

/** Counted since the process started; `/metrics` reports them (lintel_db_transaction_retries_total). */
export const transactionRetryStats = { retried: 0, exhausted: 0 };

/**
 * True for the failures after which running the whole transaction again may succeed: InnoDB's
 * deadlock victim, and a Galera certification conflict, which MariaDB reports the same way
 * (error 1213, SQLSTATE 40001, at the statement or at COMMIT).
 */
export function isSerializationFailure(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.driverError ?? e.cause, depth++) {
    if (e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213 || e.sqlState === '40001') return true;
  }
  return false;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Runs `fn`, and again after a random wait while it fails with a serialization failure, at most
 * `policy.attempts` times in all; the last failure is thrown as it came (the dialects answer it
 * with a 503, see `isDatabaseUnavailable`). Any other error is thrown at once.
 */
export async function retryOnConflict<T>(policy: RetryPolicy, fn: () => Promise<T>, random: () => number = Math.random): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (e) {
      if (!isSerializationFailure(e)) throw e;
      if (attempt >= policy.attempts) {
        transactionRetryStats.exhausted++;
        throw e;
      }
      transactionRetryStats.retried++;
      await sleep(Math.floor(random() * Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1))));
    }
  }
}

/**
 * Makes a MySQL/MariaDB data source re-run what lost a conflict. Every `DataSource.transaction`
 * runs its whole callback again, in a fresh transaction, so nothing of the failed attempt
 * survives; callbacks must therefore keep their side effects inside the database (or make them
 * safe to repeat), which Lintel's services do. A statement run on its own (autocommit: the
 * idempotent `INSERT IGNORE`s of grants and memberships, say) is run again by itself; statements
 * inside a transaction are left to the transaction's retry. See docs/galera.md.
 */
export function installTransactionRetry(ds: DataSource, policy: RetryPolicy = TRANSACTION_RETRY): void {
  const original = (ds.transaction as (...a: unknown[]) => Promise<unknown>).bind(ds);
  (ds as unknown as Record<string, unknown>).transaction = (...args: unknown[]) => retryOnConflict(policy, () => original(...args));

  const driver = ds.driver as unknown as { createQueryRunner: (mode?: string) => QueryRunner };
  const create = driver.createQueryRunner.bind(driver);
  driver.createQueryRunner = (mode?: string) => {
    const runner = create(mode);
    const query = runner.query.bind(runner) as (...args: unknown[]) => Promise<unknown>;
    (runner as { query: unknown }).query = (...args: unknown[]) => (runner.isTransactionActive ? query(...args) : retryOnConflict(policy, () => query(...args)));
    return runner;
  };
}
