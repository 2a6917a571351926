import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { RevocationService, UnavailableError, type RevocationEventEntity } from '@lintel/domain';
import type { TokenClaims } from './token-claims.js';

/** The facts about a token a revocation event can match. */
export interface RevocationSubject {
  claims: TokenClaims;
  /** The user's own domain. */
  userDomainId: string;
  /** The domain of the scoped project, when project-scoped. */
  projectDomainId?: string;
  roleIds: string[];
  /** A trust-scoped token's trustor and trustee: events naming either user revoke it (Keystone's rule). */
  trust?: { trustorId: string; trusteeId: string };
}

/** Events re-read on every refresh, so a row committed late with a lower id is not missed. */
const OVERLAP_MS = 60_000;
/** And every few minutes the whole list is read again, whatever the clocks and commit delays did. */
const FULL_RELOAD_MS = 5 * 60_000;
const PRUNE_EVERY_MS = 10 * 60_000;

/**
 * Every replica's in-memory copy of the revocation events, refreshed from the database every
 * `LINTEL_REVOCATION_REFRESH_MS`. Fails closed: if the copy is older than its bound (twice the
 * refresh interval plus one second, within the 2 s promise), checks throw UnavailableError
 * instead of trusting stale data.
 */
@Injectable()
export class RevocationCache implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(RevocationCache.name);
  private readonly events = new Map<number, RevocationEventEntity>();
  /** Events indexed by their most selective field, so a check looks at few candidates. */
  private readonly index = new Map<string, RevocationEventEntity[]>();
  private lastId = 0;
  private freshAt = 0;
  private timer: NodeJS.Timeout | undefined;
  private refreshing: Promise<void> | undefined;
  private lastPrune = 0;
  private lastFullLoad = 0;
  /** Bumped whenever new events arrive; caches of derived token data compare it. */
  version = 0;

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly store: RevocationService,
  ) {}

  get boundMs(): number {
    return this.cfg.revocationRefreshMs * 2 + 1000;
  }

  async onModuleInit(): Promise<void> {
    await this.refresh();
    this.timer = setInterval(() => void this.refresh().catch(() => undefined), this.cfg.revocationRefreshMs);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  /** True while the copy is within its freshness bound. */
  get fresh(): boolean {
    return Date.now() - this.freshAt <= this.boundMs;
  }

  /** Pulls new events now (the refresh timer calls this; tests and writers may too). */
  refresh(): Promise<void> {
    this.refreshing ??= this.doRefresh().finally(() => (this.refreshing = undefined));
    return this.refreshing;
  }

  private async doRefresh(): Promise<void> {
    const started = Date.now();
    try {
      const full = started - this.lastFullLoad > FULL_RELOAD_MS;
      const rows = await this.store.eventsSince(full ? 0 : this.lastId, new Date(started - OVERLAP_MS));
      if (full) this.lastFullLoad = started;
      let added = 0;
      for (const e of rows) {
        if (this.events.has(e.id)) continue;
        this.add(e);
        added++;
      }
      if (added) this.version++;
      this.freshAt = started;
      // A refresh that was held up (a Galera cluster pausing while it drops a dead node, see
      // docs/galera.md, "Losing a node") counts as fresh only from its start, which may already be
      // near the bound: the next one starts at once rather than at the next tick.
      if (Date.now() - started > this.cfg.revocationRefreshMs) setImmediate(() => void this.refresh().catch(() => undefined));
      if (started - this.lastPrune > PRUNE_EVERY_MS) await this.prune(started);
    } catch (e) {
      if (this.fresh) this.logger.warn(`revocation refresh failed: ${(e as Error).message}`);
      throw e;
    }
  }

  private add(e: RevocationEventEntity): void {
    this.events.set(e.id, e);
    this.lastId = Math.max(this.lastId, e.id);
    const key = e.auditId ? `a:${e.auditId}` : e.appCredId ? `c:${e.appCredId}` : e.trustId ? `t:${e.trustId}` : e.accessTokenId ? `o:${e.accessTokenId}` : e.userId ? `u:${e.userId}` : e.projectId ? `p:${e.projectId}`
      : e.domainId ? `d:${e.domainId}` : e.roleId ? `r:${e.roleId}` : '*';
    const list = this.index.get(key);
    if (list) list.push(e);
    else this.index.set(key, [e]);
  }

  /** Forgets events no live token can match: older than the longest a token validates. */
  private async prune(now: number): Promise<void> {
    this.lastPrune = now;
    const horizon = now - (this.cfg.token.expiration + this.cfg.token.allowExpiredWindow + 1800) * 1000;
    let dropped = 0;
    for (const [id, e] of this.events) {
      if (e.revokedAt.getTime() < horizon) {
        this.events.delete(id);
        dropped++;
      }
    }
    if (dropped) {
      this.index.clear();
      const keep = [...this.events.values()];
      this.events.clear();
      for (const e of keep) this.add(e);
    }
    await this.store.prune(new Date(horizon)).catch(() => undefined);
  }

  /** True when an event revokes the token. Throws UnavailableError when the copy is stale. */
  isRevoked(s: RevocationSubject): boolean {
    if (!this.fresh) throw new UnavailableError('revocation list is stale (database unreachable?)');
    const c = s.claims;
    const keys = ['*', `u:${c.userId}`, `d:${s.userDomainId}`, ...c.auditIds.map((a) => `a:${a}`), ...s.roleIds.map((r) => `r:${r}`)];
    if (c.appCredId) keys.push(`c:${c.appCredId}`);
    if (c.scope && 'project' in c.scope) keys.push(`p:${c.scope.project}`);
    if (c.scope && 'domain' in c.scope) keys.push(`d:${c.scope.domain}`);
    if (s.projectDomainId) keys.push(`d:${s.projectDomainId}`);
    if (c.trustId) keys.push(`t:${c.trustId}`);
    if (s.trust) keys.push(`u:${s.trust.trustorId}`, `u:${s.trust.trusteeId}`);
    if (c.oauthAccessTokenId) keys.push(`o:${c.oauthAccessTokenId}`);
    for (const k of keys) {
      for (const e of this.index.get(k) ?? []) if (matches(e, s)) return true;
    }
    return false;
  }
}

function matches(e: RevocationEventEntity, s: RevocationSubject): boolean {
  const c = s.claims;
  if (c.issuedAt > e.issuedBefore.getTime()) return false;
  // An audit id names one token (its own, the first element); a whole chain is an audit_chain_id.
  if (e.auditId && c.auditIds[0] !== e.auditId) return false;
  if (e.auditChainId && c.auditIds[c.auditIds.length - 1] !== e.auditChainId) return false;
  if (e.trustId && e.trustId !== c.trustId) return false;
  if (e.userId && e.userId !== c.userId && e.userId !== s.trust?.trustorId && e.userId !== s.trust?.trusteeId) return false;
  if (e.projectId && !(c.scope && 'project' in c.scope && c.scope.project === e.projectId)) return false;
  if (e.domainId) {
    const scopeDomain = c.scope && 'domain' in c.scope ? c.scope.domain : undefined;
    if (e.domainId !== s.userDomainId && e.domainId !== scopeDomain && e.domainId !== s.projectDomainId) return false;
  }
  if (e.roleId && !s.roleIds.includes(e.roleId)) return false;
  if (e.appCredId && c.appCredId !== e.appCredId) return false;
  if (e.accessTokenId && e.accessTokenId !== c.oauthAccessTokenId) return false;
  return true;
}
