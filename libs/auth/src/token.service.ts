import { Inject, Injectable, Logger } from '@nestjs/common';
import { LRUCache } from 'lru-cache';
import { isAdminProjectName, LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  AssignmentService, CatalogService, DomainError, EndpointFilterService, ForbiddenError, IdentityService, newAuditId, ResourceService, RevocationService,
  UnauthenticatedError, type CatalogEntry, type DomainEntity, type ProjectEntity, type RoleEntity, type ScopeTarget,
  type UserEntity,
} from '@lintel/domain';
import { tokenEvents, type JsonObject } from '@lintel/platform';
import type { AuthMethod, HttpFacts, TokenDelegation } from './auth-method.js';
import type { TokenAppCred } from './app-cred-view.js';
import { AuthReceipts } from './auth-receipts.js';
import { PasswordLogin } from './password-login.js';
import { policyCredentials } from './credentials.js';
import type { Principal } from './principal.js';
import { RevocationCache } from './revocation-cache.js';
import { TokenMap } from './token-map.js';
import { delegationKey, isDelegatedClaims, scopeKey, type TokenClaims } from './token-claims.js';
import { TokenFormatError, TokenProvider } from './token-provider.js';
import { TrustScope, type TrustView } from './trust-scope.js';

export interface DomainRef { id?: string; name?: string }
export interface UserRef { id?: string; name?: string; domain?: DomainRef }

/** `auth.scope` `OS-TRUST:trust` (docs/keystone-trusts.md). */
export interface TrustScopeRequest { trust: { id: string } }

/** `auth.scope` of a token request, already checked for shape by the dialect. */
export type ScopeRequest =
  | { project: { id?: string; name?: string; domain?: DomainRef } }
  | { domain: DomainRef }
  | { system: true }
  | TrustScopeRequest
  | 'unscoped';

export interface AuthRequest {
  methods: string[];
  password?: { user: UserRef; password: string };
  token?: { id: string };
  /** `auth.identity.<method>` of the registered methods (AuthMethod), by method name. */
  bodies?: Record<string, JsonObject>;
  scope?: ScopeRequest;
  /** An `Openstack-Auth-Receipt`: methods proved by an earlier request of the same user (docs/keystone-totp-mfa.md). */
  receipt?: string;
  /** The HTTP request itself, for methods that check a signature over it. */
  http?: HttpFacts;
  /** The remote address, for the authentication rate limits of the password method (PasswordLogin). */
  source?: string;
}

/** Everything a token response shows, derived at issue or validation time. */
export interface TokenView {
  claims: TokenClaims;
  user: UserEntity;
  userDomain: DomainEntity;
  passwordExpiresAt: Date | null;
  project?: ProjectEntity;
  projectDomain?: DomainEntity;
  domain?: DomainEntity;
  roles: RoleEntity[];
  /** The application credential the token was issued from (its `application_credential` object). */
  appCred?: TokenAppCred;
  /** A trust-scoped token's trust, trustor and trustee. */
  trust?: TrustView;
  /** Members a delegation adds to the token body (AuthMethod.revalidate). */
  extensions?: Record<string, unknown>;
}

interface Derived {
  /** The revocation list's version when loaded. */
  version: number;
  value: Promise<Omit<TokenView, 'claims'>>;
}

/** Keystone's 404s for a subject token that cannot be used. */
const tokenNotFound = (msg = 'Failed to validate token') => new DomainError('NotFound', msg);
const UNRECOGNIZED = 'Could not recognize Fernet token';

const DERIVED_TTL_MS = 1000;
const CATALOG_TTL_MS = 2000;
/** Entries of each per-token and per-scope cache; beyond it the least recently used goes. */
const MAX_CACHED = 20_000;

/**
 * Issues and validates tokens. Validation is local: signature (cached per token string), then the
 * revocation cache, then the user's and scope's derived data (cached for a second; every change
 * that matters for security also writes a revocation event, which is checked on every call).
 */
@Injectable()
export class TokenService {
  private readonly logger = new Logger(TokenService.name);
  /** Claims of tokens whose signature checked out, until the signing keys change (expiry is checked on every use). */
  private readonly verified = new TokenMap<TokenClaims>({ max: MAX_CACHED });
  private readonly derived = new LRUCache<string, Derived>({ max: MAX_CACHED, ttl: DERIVED_TTL_MS });
  private readonly principals = new TokenMap<{ version: string; principal: Principal }>({ max: MAX_CACHED, ttl: DERIVED_TTL_MS });
  private readonly methods = new Map<string, AuthMethod>();
  private readonly delegations: TokenDelegation[] = [];
  private catalogCache: { at: number; entries: Promise<CatalogEntry[]> } | undefined;
  /** The projects whose catalog is filtered (OS-EP-FILTER), and their filtered catalogs, per catalog snapshot. */
  private filterCache: { at: number; projects: Promise<Map<string, Set<string>>>; filtered: WeakMap<CatalogEntry[], Map<string, CatalogEntry[]>> } | undefined;
  /**
   * Changes whenever something cached from earlier validations may no longer hold (signing keys
   * changed, caches dropped); together with the revocation list's version it tells a dialect
   * whether a validation it rendered earlier is still good.
   */
  epoch = 0;

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly provider: TokenProvider,
    private readonly revocations: RevocationCache,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly catalog: CatalogService,
    private readonly revocationStore: RevocationService,
    private readonly endpointFilter: EndpointFilterService,
    private readonly receipts: AuthReceipts,
    private readonly trustScope: TrustScope,
    private readonly logins: PasswordLogin,
  ) {
    provider.onKeysChanged = () => {
      this.verified.clear();
      this.epoch++;
    };
  }

  // ---------------------------------------------------------------- issue

  /** Adds an authentication method (called by the module that implements it, at start-up). */
  registerMethod(method: AuthMethod): void {
    this.methods.set(method.name, method);
  }

  /** Adds a delegation tokens may carry (called by the module that implements it, at start-up). */
  registerDelegation(d: TokenDelegation): void {
    this.delegations.push(d);
  }

  /** Every method `POST /v3/auth/tokens` accepts, built-in first. */
  methodNames(): string[] {
    return ['password', 'token', ...this.methods.keys()];
  }

  async issue(req: AuthRequest): Promise<{ id: string; view: TokenView }> {
    try {
      const issued = await this.issueUncounted(req);
      tokenEvents.inc({ event: 'issued' });
      return issued;
    } catch (e) {
      tokenEvents.inc({ event: 'refused' });
      throw e;
    }
  }

  private async issueUncounted(req: AuthRequest): Promise<{ id: string; view: TokenView }> {
    for (const name of req.methods) this.methods.get(name)?.beforeScope?.({ scope: req.scope });
    const trusted = req.scope && req.scope !== 'unscoped' && 'trust' in req.scope ? await this.trustScope.lookup(req.scope.trust.id) : undefined;
    const target = trusted ? trusted.scope : req.scope && req.scope !== 'unscoped' ? await this.resolveScope(req.scope as Exclude<ScopeRequest, 'unscoped' | TrustScopeRequest>) : undefined;

    let user: UserEntity | undefined;
    let methods = new Set<string>();
    let sourceExpiry = Infinity;
    let chainRoot: string | undefined;
    let source: TokenClaims | undefined;

    if (req.methods.includes('password')) {
      user = await this.authenticatePassword(req.password!.user, req.password!.password, req.source);
      methods.add('password');
    }
    if (req.methods.includes('token')) {
      // Exchanging a token must not outrun a revocation another replica just made.
      await this.revocations.refresh();
      source = await this.checkSubject(req.token!.id, false, 'issue');
      this.trustScope.refuseAsSource(source);
      if (source.oauthAccessTokenId) throw new ForbiddenError('Using OAuth-scoped token to create another token. Create a new OAuth-scoped token instead');
      if (user && user.id !== source.userId) throw new UnauthenticatedError('password and token name different users');
      user ??= (await this.identity.getUser(source.userId))!;
      methods = new Set([...methods, ...source.methods, 'token']);
      sourceExpiry = source.expiresAt;
      chainRoot = source.auditIds[source.auditIds.length - 1];
      if (source.scope && 'system' in source.scope && target && !('system' in target)) {
        throw new ForbiddenError('Using a system-scoped token to create a project-scoped or domain-scoped token is not allowed');
      }
      if (isDelegatedClaims(source)) throw new ForbiddenError('Using a delegated token to create another token is not allowed.');
    }
    let imposed: ScopeTarget | undefined;
    let imposedUnscoped = false;
    let delegation: Pick<TokenClaims, 'appCredId' | 'trustId' | 'oauthAccessTokenId'> = {};
    for (const name of req.methods) {
      const method = this.methods.get(name);
      if (!method) continue;
      const r = await method.authenticate(req.bodies?.[name] ?? {}, { scope: req.scope, http: req.http });
      if (user && user.id !== r.user.id) throw new UnauthenticatedError(`authentication methods name different users (${name})`);
      user = r.user;
      methods.add(name);
      if (r.scope) imposed = r.scope;
      if (r.unscoped) imposedUnscoped = true;
      if (r.claims) delegation = { ...delegation, ...r.claims };
      if (r.expiresAt !== undefined) sourceExpiry = Math.min(sourceExpiry, r.expiresAt);
    }
    if (!user) throw new UnauthenticatedError('no usable authentication method');
    // Multi-factor rules (docs/keystone-totp-mfa.md): a receipt adds the methods it proved; too
    // few methods end here with a 401 that carries a new receipt.
    if (req.receipt !== undefined) for (const m of await this.receipts.redeem(req.receipt, user.id)) methods.add(m);
    await this.receipts.requireRules(user, methods, this.methodNames());
    if (trusted) delegation = { ...delegation, trustId: trusted.trust.id };

    let scope = imposed ?? target;
    if (!scope && req.scope === undefined && user.defaultProjectId && !source && !imposedUnscoped) scope = await this.defaultProjectScope(user);

    // One clock reading for both instants: expiry is issue time plus the lifetime (never beyond a
    // source token's expiry), so the two can never disagree by a second boundary.
    const issuedAt = Date.now();
    const claims: TokenClaims = {
      userId: user.id,
      methods: [...methods],
      auditIds: chainRoot ? [newAuditId(), chainRoot] : [newAuditId()],
      issuedAt,
      expiresAt: Math.min((Math.floor(issuedAt / 1000) + this.cfg.token.expiration) * 1000, sourceExpiry),
      scope,
      ...delegation,
    };
    const derived = await this.derive(claims, false);
    if (scope && !derived.roles.length) throw new UnauthenticatedError(`user ${user.id} has no role on ${scopeKey(scope)}`);
    if (trusted) await this.trustScope.consume(trusted.trust.id);
    const id = await this.provider.mint(claims);
    // Lockout counts consecutive failures: only a complete login with a password or passcode ends the run.
    if (user.failedAuthCount > 0 && req.methods.some((m) => m === 'password' || m === 'totp')) await this.identity.clearAuthFailures(user.id);
    return { id, view: { claims, ...derived } };
  }

  /**
   * Issues a token for a user already authenticated some other way (a signed request): the scope
   * must be enabled and the user must hold a role on it, as for any token.
   */
  async issueFor(userId: string, scope: ScopeTarget, methods: string[], o: { claims?: Pick<TokenClaims, 'appCredId' | 'trustId'>; expiresAt?: number } = {}): Promise<{ id: string; view: TokenView }> {
    const now = Date.now();
    const claims: TokenClaims = {
      userId, methods, auditIds: [newAuditId()], issuedAt: now,
      expiresAt: Math.min((Math.floor(now / 1000) + this.cfg.token.expiration) * 1000, o.expiresAt ?? Infinity), scope, ...o.claims,
    };
    // The same checks as validation (user, domains and scope enabled, a role held now), on the
    // same short-lived cache, so signed-request logins do not query the database every time.
    const derived = await this.derivedFor(claims).catch((e) => {
      throw e instanceof DomainError && e.code === 'NotFound' ? new UnauthenticatedError(`user ${userId} cannot use ${scopeKey(scope)}: ${e.message}`) : e;
    });
    const id = await this.provider.mint(claims);
    tokenEvents.inc({ event: 'issued' });
    return { id, view: { claims, ...derived } };
  }

  /**
   * What a token of `userId` on `scope` would carry now, checked as validation checks it (user,
   * domains and scope enabled, a role held now; Keystone's 404 otherwise), from the same short-lived
   * cache: the authority of an access key (KeyAuthorityService, docs/access-keys.md); through an
   * application credential, its roles at most.
   */
  scopeView(userId: string, scope: ScopeTarget, appCredId?: string): Promise<Omit<TokenView, 'claims'>> {
    return this.derivedFor({ userId, scope, methods: [], auditIds: [], issuedAt: 0, expiresAt: 0, ...(appCredId ? { appCredId } : {}) });
  }

  /** Keystone's password method, on the one login path every dialect shares (PasswordLogin). */
  private async authenticatePassword(ref: UserRef, password: string, source: string | undefined): Promise<UserEntity> {
    const login = ref.name !== undefined ? `${ref.name}@${ref.domain?.id ?? ref.domain?.name}` : ref.id!;
    // keepFailures: the failure count is cleared only once the whole login (all factors) succeeded.
    const { user, outcome } = await this.logins.attempt(source, login, async () => {
      if (ref.name === undefined) return this.identity.getUser(ref.id!);
      const domain = await this.findDomain(ref.domain!);
      return domain?.enabled ? this.identity.findUserByName(domain.id, ref.name) : null;
    }, password, { keepFailures: true });
    if (outcome === 'expired') {
      throw new UnauthenticatedError('password expired', `The password is expired and needs to be changed for user: ${user!.id}.`);
    }
    if (outcome !== 'ok') throw new UnauthenticatedError(`password authentication failed (${outcome}) for ${user ? `user ${user.id}` : 'an unknown or disabled user'}`);
    return user!;
  }

  private async findDomain(ref: DomainRef): Promise<DomainEntity | null> {
    return ref.name !== undefined ? this.resources.findDomainByName(ref.name) : this.resources.getDomain(ref.id!);
  }

  /** Resolves and checks the requested scope before any credential is looked at (Keystone's order). */
  private async resolveScope(s: Exclude<ScopeRequest, 'unscoped' | TrustScopeRequest>): Promise<ScopeTarget> {
    if ('system' in s) return { system: true };
    if ('domain' in s) {
      const d = await this.findDomain(s.domain);
      if (!d?.enabled) throw new UnauthenticatedError('scope domain unknown or disabled');
      return { domain: d.id };
    }
    let project: ProjectEntity | null;
    if (s.project.name !== undefined) {
      const d = await this.findDomain(s.project.domain!);
      if (!d?.enabled) throw new UnauthenticatedError('scope project domain unknown or disabled');
      project = await this.resources.findProjectByName(d.id, s.project.name);
    } else {
      project = await this.resources.getProject(s.project.id!);
    }
    if (!project?.enabled || !(await this.resources.getDomain(project.domainId))?.enabled) {
      throw new UnauthenticatedError('scope project unknown or disabled');
    }
    return { project: project.id };
  }

  private async defaultProjectScope(user: UserEntity): Promise<ScopeTarget | undefined> {
    const project = await this.resources.getProject(user.defaultProjectId!);
    if (!project?.enabled || !(await this.resources.getDomain(project.domainId))?.enabled) return undefined;
    const roles = await this.assignments.effectiveRoles(user.id, { project: project.id });
    return roles.length ? { project: project.id } : undefined;
  }

  // ---------------------------------------------------------------- validate

  /** `GET /v3/auth/tokens`: the subject token's view, or Keystone's 404s. */
  async validate(subject: string, allowExpired = false): Promise<TokenView> {
    try {
      const claims = await this.checkSubject(subject, allowExpired, 'validate');
      const derived = await this.derivedFor(claims);
      tokenEvents.inc({ event: 'validated' });
      return { claims, ...derived };
    } catch (e) {
      tokenEvents.inc({ event: 'rejected' });
      throw e;
    }
  }

  /**
   * The Principal of a token validated within the last second, with no revocation event or key
   * change since and a fresh revocation list (the answer cannot have changed); else undefined.
   * Synchronous, so the guard spends no promise on the common case.
   */
  cachedPrincipal(token: string): Principal | undefined {
    const hit = this.principals.get(token);
    if (hit && hit.version === this.validityVersion() && hit.principal.claims.expiresAt > Date.now() && this.revocations.fresh) {
      return hit.principal;
    }
    return undefined;
  }

  /** Turns an `X-Auth-Token` into a Principal; any failure is a generic 401. */
  async authenticate(token: string): Promise<Principal> {
    const cached = this.cachedPrincipal(token);
    if (cached) return cached;
    // Fresh for a second from when the validation began, and only while nothing changed meanwhile.
    const start = this.principals.now();
    const version = this.validityVersion();
    const principal = await this.authenticateUncached(token).catch((e) => {
      tokenEvents.inc({ event: 'rejected' });
      throw e;
    });
    tokenEvents.inc({ event: 'validated' });
    this.principals.set(token, { version, principal }, start);
    return principal;
  }

  private async authenticateUncached(token: string): Promise<Principal> {
    let claims: TokenClaims;
    try {
      claims = await this.checkSubject(token, false, 'authenticate');
    } catch (e) {
      if (e instanceof DomainError && e.code === 'NotFound') throw new UnauthenticatedError(`X-Auth-Token rejected: ${e.message}`);
      throw e;
    }
    const d = await this.derivedFor(claims).catch((e) => {
      throw e instanceof DomainError && e.code === 'NotFound' ? new UnauthenticatedError('X-Auth-Token scope no longer valid') : e;
    });
    const isAdminProject = !!d.project && isAdminProjectName(this.cfg, d.project.name, d.projectDomain?.name);
    return {
      claims,
      // The token's user as rendered: the trustor of an impersonating trust (docs/keystone-trusts.md).
      userId: d.user.id,
      userDomainId: d.user.domainId,
      scope: claims.scope,
      roles: d.roles.map((r) => r.name),
      roleIds: d.roles.map((r) => r.id),
      isAdminProject,
      ...(d.appCred ? { appCred: { id: d.appCred.id, name: d.appCred.name, unrestricted: d.appCred.unrestricted, accessRules: d.appCred.accessRules ?? [] } } : {}),
      creds: policyCredentials({
        user: d.user, userDomain: d.userDomain, project: d.project, projectDomain: d.projectDomain, domain: d.domain, roles: d.roles, scope: claims.scope, claims, isAdminProject,
      }),
    };
  }

  /** Signature, expiry and revocation of a token; the user must still exist and be enabled. */
  private async checkSubject(token: string, allowExpired: boolean, why: string): Promise<TokenClaims> {
    let claims = this.verified.get(token);
    if (!claims) {
      try {
        claims = await this.provider.verify(token);
      } catch (e) {
        if (e instanceof TokenFormatError) {
          this.logger.debug(`${why}: token rejected: ${e.message}`);
          throw tokenNotFound(UNRECOGNIZED);
        }
        throw e;
      }
      this.verified.set(token, claims);
    }
    const now = Date.now();
    const window = allowExpired ? this.cfg.token.allowExpiredWindow * 1000 : 0;
    if (claims.expiresAt <= now - window) throw tokenNotFound();
    const d = await this.derivedFor(claims);
    // A stale revocation list is refreshed on the spot: recovery after an outage is immediate.
    if (!this.revocations.fresh) await this.revocations.refresh().catch(() => undefined);
    if (this.revocations.isRevoked({
      claims, userDomainId: d.user.domainId, projectDomainId: d.project?.domainId, roleIds: d.roles.map((r) => r.id),
      trust: d.trust && { trustorId: d.trust.trustor.id, trusteeId: d.trust.trustee.id },
    })) {
      throw tokenNotFound();
    }
    return claims;
  }

  /** Cached per user and scope; concurrent misses share one load instead of each querying. */
  private derivedFor(claims: TokenClaims): Promise<Omit<TokenView, 'claims'>> {
    const key = `${claims.userId}|${scopeKey(claims.scope)}|${delegationKey(claims)}`;
    const hit = this.derived.get(key);
    // A revocation event (a role removed, a user or project disabled) invalidates it at once.
    if (hit && hit.version === this.revocations.version) return hit.value;
    const value = this.derive(claims, true);
    const entry = { version: this.revocations.version, value };
    this.derived.set(key, entry);
    value.catch(() => {
      if (this.derived.peek(key) === entry) this.derived.delete(key);
    });
    return value;
  }

  /**
   * Loads the user, the scope and the effective roles. With `strict`, everything must still be
   * enabled and the user must still hold a role on the scope (Keystone's validation rules,
   * docs/keystone.md, "Validation and revocation").
   */
  private async derive(claims: TokenClaims, strict: boolean): Promise<Omit<TokenView, 'claims'>> {
    if (claims.trustId) return this.trustScope.derive(claims, strict);
    const user = await this.identity.getUser(claims.userId);
    const userDomain = user ? await this.resources.getDomain(user.domainId) : null;
    if (!user || !userDomain || (strict && (!user.enabled || !userDomain.enabled))) {
      throw tokenNotFound();
    }
    const pw = await this.identity.currentPassword(user.id);
    const view: Omit<TokenView, 'claims'> = { user, userDomain, passwordExpiresAt: pw?.expiresAt ?? null, roles: [] };
    const s = claims.scope;
    if (s && 'project' in s) {
      view.project = (await this.resources.getProject(s.project)) ?? undefined;
      view.projectDomain = view.project ? ((await this.resources.getDomain(view.project.domainId)) ?? undefined) : undefined;
      if (strict && !view.project?.enabled) throw tokenNotFound(`Unable to validate token because project ${s.project} is disabled`);
      if (strict && !view.projectDomain?.enabled) throw tokenNotFound(`Unable to validate token because domain ${view.project!.domainId} is disabled`);
    } else if (s && 'domain' in s) {
      view.domain = (await this.resources.getDomain(s.domain)) ?? undefined;
      if (strict && !view.domain?.enabled) throw tokenNotFound(`Unable to validate token because domain ${s.domain} is disabled`);
    }
    if (s) {
      view.roles = await this.assignments.effectiveRoles(user.id, s);
      for (const d of this.delegations) if (d.appliesTo(claims)) await d.restrict(claims, view, strict);
      // A delegation narrows the roles to what it allows now, or ends the token (404) when gone.
      for (const name of claims.methods) {
        const r = await this.methods.get(name)?.revalidate?.(claims, view.roles);
        if (!r) continue;
        view.roles = r.roles;
        if (r.extensions) view.extensions = { ...view.extensions, ...r.extensions };
      }
      if (strict && !view.roles.length) throw tokenNotFound();
    }
    return view;
  }

  /**
   * Changes whenever a result derived from earlier validations may no longer hold: a revocation
   * event arrived, signing keys changed, or caches were dropped.
   */
  validityVersion(): string {
    // Asked several times per request: the string is rebuilt only when a part changed.
    const { version } = this.revocations;
    if (version !== this.versionOf.revocations || this.epoch !== this.versionOf.epoch) {
      this.versionOf = { revocations: version, epoch: this.epoch, text: `${version}:${this.epoch}` };
    }
    return this.versionOf.text;
  }

  private versionOf = { revocations: -1, epoch: -1, text: '' };

  /** Revokes exactly this token (its own audit id), visible to this process at once. */
  async revoke(claims: TokenClaims): Promise<void> {
    await this.revocationStore.revoke({ auditId: claims.auditIds[0], expiresAt: new Date(claims.expiresAt) });
    await this.revocations.refresh();
  }

  /**
   * The service catalog a token shows, shared by every token for a couple of seconds. A project
   * associated with endpoints (OS-EP-FILTER) sees only those, and only services left with an
   * endpoint (docs/keystone-catalog-extensions.md, "Catalog filtering"); every other scope sees
   * the whole catalog. Which projects are filtered is cached as long, so an unfiltered project
   * costs a map lookup, not a query.
   */
  catalogEntries(projectId?: string): Promise<CatalogEntry[]> {
    const now = Date.now();
    if (!this.catalogCache || now - this.catalogCache.at > CATALOG_TTL_MS) {
      const entries = this.catalog.catalog();
      entries.catch(() => (this.catalogCache = undefined));
      this.catalogCache = { at: now, entries };
    }
    const all = this.catalogCache.entries;
    if (projectId === undefined) return all;
    if (!this.filterCache || now - this.filterCache.at > CATALOG_TTL_MS) {
      const projects = this.endpointFilter.filteredProjects();
      const cache = { at: now, projects, filtered: new WeakMap() };
      projects.catch(() => {
        if (this.filterCache === cache) this.filterCache = undefined;
      });
      this.filterCache = cache;
    }
    const { projects, filtered } = this.filterCache;
    return Promise.all([all, projects]).then(([entries, filters]) => {
      const endpoints = filters.get(projectId);
      if (!endpoints) return entries;
      let perProject = filtered.get(entries);
      if (!perProject) filtered.set(entries, (perProject = new Map()));
      let mine = perProject.get(projectId);
      if (!mine) {
        mine = entries
          .map((c) => ({ service: c.service, endpoints: c.endpoints.filter((e) => endpoints.has(e.id)) }))
          .filter((c) => c.endpoints.length > 0);
        perProject.set(projectId, mine);
      }
      return mine;
    });
  }

  /** After an endpoint association changed here: the next catalog and validation read it afresh. */
  catalogChanged(): void {
    this.catalogCache = undefined;
    this.filterCache = undefined;
    this.epoch++;
  }

  /** Drops derived data so the next check reads the database (after local writes, in tests). */
  forget(): void {
    this.epoch++;
    this.derived.clear();
    this.principals.clear();
    this.catalogCache = undefined;
    this.filterCache = undefined;
  }
}
