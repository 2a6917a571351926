/**
 * Waiting on a condition instead of sleeping: tests poll what they wait for (a revocation seen
 * by a cache, a process answering, a token expiring) with a deadline, and go on as soon as it
 * holds.
 */

export interface WaitOptions {
  /** Give up after this long (5 s by default). */
  timeoutMs?: number;
  /** Pause between two probes (50 ms by default). */
  intervalMs?: number;
}

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Calls `probe` until `done` holds for its value or the time is up, and returns the last value
 * either way: the caller asserts on it, so a failure shows what was seen last.
 */
export async function eventually<T>(probe: () => T | Promise<T>, done: (v: T) => boolean, o: WaitOptions = {}): Promise<T> {
  const until = Date.now() + (o.timeoutMs ?? 5000);
  for (;;) {
    const v = await probe();
    if (done(v) || Date.now() >= until) return v;
    await pause(o.intervalMs ?? 50);
  }
}

/** Waits until `check` returns true (a throw counts as not yet); throws `what` when the time is up. */
export async function waitUntil(what: string, check: () => boolean | Promise<boolean>, o: WaitOptions = {}): Promise<void> {
  let last: unknown;
  const ok = await eventually(async () => {
    try {
      return await check();
    } catch (e) {
      last = e;
      return false;
    }
  }, Boolean, o);
  if (!ok) throw new Error(`timed out after ${o.timeoutMs ?? 5000} ms waiting until ${what}${last ? ` (last error: ${(last as Error).message})` : ''}`);
}
