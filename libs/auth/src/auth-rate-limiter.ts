import { Inject, Injectable } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TooManyRequestsError } from '@lintel/domain';

const WINDOW_MS = 60_000;
const MAX_KEYS = 100_000;

/**
 * Fixed one-minute windows of authentication attempts per remote address and per account
 * (`LINTEL_AUTH_RATE_LIMIT_PER_SOURCE`, `LINTEL_AUTH_RATE_LIMIT_PER_USER`; off when unset).
 * Per process: with N replicas an attacker gets at most N times the limit, which lockout
 * (shared in the database) bounds anyway.
 */
@Injectable()
export class AuthRateLimiter {
  private readonly windows = new Map<string, { start: number; count: number }>();

  constructor(@Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig) {}

  /** Counts one attempt; throws TooManyRequestsError once a limit is passed. */
  attempt(source: string, account: string | undefined): void {
    const { perSource, perUser } = this.cfg.authRateLimit;
    if (perSource !== undefined) this.count(`s:${source}`, perSource);
    // Case folded: MariaDB compares names case-insensitively, so `Admin` is `admin`.
    if (perUser !== undefined && account) this.count(`u:${account.toLowerCase()}`, perUser);
  }

  private count(key: string, limit: number): void {
    const now = Date.now();
    let w = this.windows.get(key);
    if (!w || now - w.start >= WINDOW_MS) {
      if (this.windows.size >= MAX_KEYS) this.sweep(now);
      w = { start: now, count: 0 };
      this.windows.set(key, w);
    }
    w.count++;
    if (w.count > limit) {
      throw new TooManyRequestsError(Math.ceil((w.start + WINDOW_MS - now) / 1000), `${key.startsWith('s:') ? 'source' : 'account'} over ${limit}/min`);
    }
  }

  /**
   * Forgets finished windows; if the map is still full (a flood of made-up keys), the oldest
   * tenth goes. Never everything: clearing would reset a victim's count along with the flood.
   */
  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (now - w.start >= WINDOW_MS) this.windows.delete(k);
    if (this.windows.size < MAX_KEYS) return;
    let drop = Math.ceil(MAX_KEYS / 10);
    for (const k of this.windows.keys()) {
      if (drop-- <= 0) break;
      this.windows.delete(k);
    }
  }
}
