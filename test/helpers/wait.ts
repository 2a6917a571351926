import assert from 'node:assert/strict';

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

/**
 * Resolves once the clock has passed `at`: an instant the server announced (an expiry, the end
 * of a lockout), or one the test computed from such an instant.
 */
export async function clockPasses(at: Date | number | string): Promise<void> {
  const t = typeof at === 'string' ? Date.parse(at) : Number(at);
  assert.ok(Number.isFinite(t), `not an instant: ${String(at)}`);
  while (Date.now() <= t) await pause(t - Date.now() + 1);
}

/**
 * Waits, if need be, until at least `marginMs` are left of the current 30-second TOTP step, so
 * that a passcode computed now is judged in the step it was computed for.
 */
export async function awayFromTotpStepEdge(marginMs = 4000): Promise<void> {
  const into = Date.now() % 30_000;
  if (into > 30_000 - marginMs) await clockPasses(Date.now() - into + 30_000 + 100);
}
