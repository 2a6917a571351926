import { Injectable, type OnModuleInit } from '@nestjs/common';
import {
  ApplicationCredentialNotFoundError, ApplicationCredentialService, DomainError, IdentityService, InvalidInputError, isExpired,
  NotFoundError, ResourceService, UnauthenticatedError, type ApplicationCredential, type DomainEntity, type UserEntity,
} from '@lintel/domain';
import { isJsonObject, type JsonObject } from '@lintel/platform';
import type { AuthMethod, AuthMethodContext, DerivedView, MethodResult, TokenDelegation } from './auth-method.js';
import type { TokenClaims } from './token-claims.js';
import { TokenService } from './token.service.js';

/**
 * Keystone's 401 from an authentication plugin: its text is shown, and the error body carries
 * an `identity` object (empty), as Keystone's AuthPluginException renders it.
 */
export class AuthPluginError extends UnauthenticatedError {
  readonly identity: Record<string, never> = {};
  constructor(message: string) {
    super(message, message);
  }
}

const missing = (attribute: string, target: string) => InvalidInputError.missing(attribute, target);
const unauthenticated = (why: string) => new UnauthenticatedError(`application credential: ${why}`);
/** Microseconds to milliseconds, rounded down (a token never outlives its credential). */
const toMillis = (us: bigint) => Number(us / 1000n);

/**
 * The `application_credential` auth method and the restrictions its tokens carry
 * (docs/keystone-application-credentials.md). Authenticates by credential id and secret, or by
 * name, secret and user (id, or name and domain); the token is scoped to the credential's project
 * (none may be asked for), holds the credential's roles the user still has, and expires no later
 * than the credential. Every validation checks the credential still exists, unexpired, for the
 * same user and project, and narrows the roles again; tokens from EC2 credentials made with an
 * application credential token carry the same restrictions.
 */
@Injectable()
export class ApplicationCredentialAuth implements AuthMethod, TokenDelegation, OnModuleInit {
  readonly name = 'application_credential';

  constructor(
    private readonly tokens: TokenService,
    private readonly appCreds: ApplicationCredentialService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
  ) {}

  onModuleInit(): void {
    this.tokens.registerMethod(this);
    this.tokens.registerDelegation(this);
  }

  beforeScope(ctx: AuthMethodContext): void {
    if (ctx.scope !== undefined) throw new AuthPluginError('Error authenticating with application credential: Application credentials cannot request a scope.');
  }

  /** Keystone's order: find the credential (404 for an unknown id), then the user, then the secret. */
  async authenticate(body: JsonObject): Promise<MethodResult> {
    const cred = await this.lookup(body);
    const user = await this.identity.getUser(cred.userId);
    if (!user) throw unauthenticated(`owner of ${cred.id} is gone`);
    await this.requireEnabled(user);
    const secret = body.secret;
    if (secret !== undefined && secret !== null && typeof secret !== 'string') throw missing('string', 'password');
    if (typeof secret !== 'string' || !(await this.appCreds.verify(cred.id, secret))) throw unauthenticated(`secret mismatch or credential ${cred.id} expired`);
    let scope: MethodResult['scope'];
    if (cred.projectId) {
      const project = await this.resources.getProject(cred.projectId);
      if (!project?.enabled || !(await this.resources.getDomain(project.domainId))?.enabled) throw unauthenticated(`project of ${cred.id} unknown or disabled`);
      scope = { project: project.id };
    }
    return {
      user, scope, unscoped: !scope, claims: { appCredId: cred.id },
      ...(cred.expiresAt !== null ? { expiresAt: toMillis(cred.expiresAt) } : {}),
    };
  }

  /** The credential `auth.identity.application_credential` names (Keystone's AuthInfo lookup). */
  private async lookup(body: JsonObject): Promise<ApplicationCredential> {
    if (body.id) {
      const id = typeof body.id === 'string' ? body.id : JSON.stringify(body.id);
      const cred = await this.appCreds.get(id);
      if (!cred) throw new ApplicationCredentialNotFoundError(id);
      return cred;
    }
    const name = body.name;
    if (!name) throw missing('name or ID', 'application credential');
    const user = body.user;
    if (!user) throw missing('user', 'application credential');
    if (!isJsonObject(user)) throw missing('id or name', 'user');
    let userId: string;
    if (user.id) {
      userId = String(user.id);
    } else {
      if (user.domain === undefined) throw missing('domain', 'user');
      const domain = await this.domainOf(user.domain);
      if (typeof user.name !== 'string' || !user.name) throw missing('id or name', 'user');
      const found = await this.identity.findUserByName(domain.id, user.name);
      if (!found) throw new NotFoundError('user', user.name);
      userId = found.id;
    }
    const creds = typeof name === 'string' ? await this.appCreds.list(userId, { name }) : [];
    if (creds.length !== 1) throw unauthenticated(`no single application credential named ${JSON.stringify(name).slice(0, 80)} for user ${userId}`);
    return creds[0]!;
  }

  private async domainOf(ref: unknown): Promise<DomainEntity> {
    const r = isJsonObject(ref) ? ref : {};
    if (!r.id && !r.name) throw missing('id or name', 'domain');
    const domain = r.name ? await this.resources.findDomainByName(String(r.name)) : await this.resources.getDomain(String(r.id));
    if (!domain?.enabled) throw unauthenticated('user domain unknown or disabled');
    return domain;
  }

  private async requireEnabled(user: UserEntity): Promise<void> {
    if (!user.enabled) throw unauthenticated(`user ${user.id} is disabled`);
    if (!(await this.resources.getDomain(user.domainId))?.enabled) throw unauthenticated(`domain of user ${user.id} is disabled`);
  }

  // ---------------------------------------------------------------- the token's restrictions

  appliesTo(claims: TokenClaims): boolean {
    return claims.appCredId !== undefined;
  }

  /**
   * The credential must still exist (Keystone's 404 names it), belong to the token's user and
   * project and be unexpired; the token holds only the credential's roles the user has now (as
   * Keystone 22: no role is added through implication).
   */
  async restrict(claims: TokenClaims, view: DerivedView, strict: boolean): Promise<void> {
    const id = claims.appCredId!;
    const cred = await this.appCreds.get(id);
    if (!cred) throw new ApplicationCredentialNotFoundError(id);
    const project = claims.scope && 'project' in claims.scope ? claims.scope.project : null;
    const other = claims.scope !== undefined && project === null;
    if (cred.userId !== claims.userId || cred.projectId !== project || other) throw new DomainError('NotFound', 'Failed to validate token');
    if (strict && isExpired(cred.expiresAt)) throw new DomainError('NotFound', 'Failed to validate token');
    const carried = new Set(cred.roles.map((r) => r.id));
    view.roles = view.roles.filter((r) => carried.has(r.id));
    view.appCred = { id: cred.id, name: cred.name, unrestricted: cred.unrestricted === true, ...(cred.accessRules ? { accessRules: cred.accessRules } : {}) };
  }
}
