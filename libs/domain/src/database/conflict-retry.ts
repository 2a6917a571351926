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
 * (error 1213, SQLSTATE 40001, at the statement or at COMMIT); on SQLite, a transaction that read
 * a snapshot another connection (the audit writer thread, `manage`) has since written past
 * (SQLITE_BUSY_SNAPSHOT, reported at once, without waiting).
 */
export function isSerializationFailure(err: unknown): boolean {
  for (let e: any = err, depth = 0; e && depth < 4; e = e.driverError ?? e.cause, depth++) {
    if (e.code === 'ER_LOCK_DEADLOCK' || e.errno === 1213 || e.sqlState === '40001' || e.code === 'SQLITE_BUSY_SNAPSHOT') return true;
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
