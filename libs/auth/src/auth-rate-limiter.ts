import { Inject, Injectable } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TooManyRequestsError } from '@lintel/domain';

const WINDOW_MS = 60_000;
const MAX_KEYS = 100_000;

type Windows = Map<string, { start: number; count: number }>;

/**
 * The windows of each configuration, so the identity and multicloud apps of one process (built
 * from the same configuration, as `npm start` does) count together: an account's attempts
 * through Keystone, Edgio and Outscale share one budget.
 */
const SHARED = new WeakMap<LintelConfig, Windows>();

/**
 * Fixed one-minute windows of authentication attempts per remote address and per account
 * (`LINTEL_AUTH_RATE_LIMIT_PER_SOURCE`, `LINTEL_AUTH_RATE_LIMIT_PER_USER`; off when unset).
 * Every login path counts here (docs/security.md, "M4"). Per process: with N replicas an
 * attacker gets at most N times the limit, which lockout (shared in the database) bounds anyway.
 */
@Injectable()
export class AuthRateLimiter {
  private readonly windows: Windows;

  constructor(@Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig) {
    let w = SHARED.get(cfg);
    if (!w) SHARED.set(cfg, (w = new Map()));
    this.windows = w;
  }

  /** Counts one attempt from `source` and, when given, for the user of that id; throws TooManyRequestsError once a limit is passed. */
  attempt(source: string, userId: string | undefined): void {
    this.source(source);
    if (userId) this.account({ id: userId }, userId);
  }

  /** Counts one attempt from a remote address. */
  source(source: string): void {
    const { perSource } = this.cfg.authRateLimit;
    if (perSource !== undefined) this.count(`s:${source}`, perSource);
  }

  /**
   * Counts one attempt for an account: the user, once the login names one (whichever name, id or
   * dialect reached it), else the login as given (case folded: MariaDB compares names
   * case-insensitively, so `Admin` is `admin`).
   */
  account(user: { id: string } | null, login: string): void {
    const { perUser } = this.cfg.authRateLimit;
    if (perUser !== undefined) this.count(user ? `u:${user.id}` : `n:${login.toLowerCase()}`, perUser);
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
