import { randomBytes } from 'node:crypto';
import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { refuseRestrictedAppCred, RevocationCache, scopedProject, TokenService, type Principal } from '@lintel/auth';
import {
  AccessRuleNotFoundError, ApplicationCredentialNotFoundError, ApplicationCredentialService, DomainError, ForbiddenError,
  IdentityService, InvalidInputError, nowMicros, type AccessRule, type ApplicationCredential, type RoleEntity,
} from '@lintel/domain';
import { queryPick, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { userTarget } from '../targets.js';
import { parseAppCredBody, parseExpiry } from './application-credential-body.js';
import { textMatches } from './list-filters.js';
import { renderRole } from './roles.controller.js';

type Q = Record<string, unknown>;
const RULE_FILTERS = ['service', 'path', 'method'];

/** Keystone's ApplicationCredentialValidationError (400). */
const invalid = (detail: string) => new InvalidInputError(`Invalid application credential: ${detail}`);

/** Microseconds since the epoch as Keystone shows the expiry: naive UTC, six fraction digits. */
export function microsTime(us: bigint | null): string | null {
  if (us === null) return null;
  const ms = us / 1000n;
  const iso = new Date(Number(ms)).toISOString();
  return `${iso.slice(0, 19)}.${(us % 1_000_000n).toString().padStart(6, '0')}`;
}

function renderAccessRule(r: AccessRule) {
  return { id: r.id, service: r.service, path: r.path, method: r.method };
}

/** An application credential as Keystone shows it (the secret only in the answer that creates it). */
export function renderAppCred(c: ApplicationCredential, base: string, secret?: string) {
  return {
    id: c.id, name: c.name, description: c.description, user_id: c.userId, project_id: c.projectId, system: c.system,
    expires_at: microsTime(c.expiresAt), unrestricted: c.unrestricted,
    roles: c.roles.map((r) => {
      const { links: _links, ...role } = renderRole(r, base);
      return role;
    }),
    ...(c.accessRules ? { access_rules: c.accessRules.map(renderAccessRule) } : {}),
    ...(secret !== undefined ? { secret } : {}),
    links: { self: `${base}/v3/application_credentials/${c.id}` },
  };
}

/**
 * Trust- and OAuth1-delegated tokens may not manage application credentials or access rules
 * (Keystone's check; tokens from EC2 credentials never reach Keystone's API at all).
 */
function refuseDelegated(p: Principal): void {
  if (p.claims.trustId || p.claims.oauthAccessTokenId) {
    throw new DomainError('Forbidden', 'Cannot manage application credentials with a token issued via delegation.');
  }
}

/**
 * `/v3/users/{user_id}/application_credentials` and `/v3/users/{user_id}/access_rules`
 * (docs/keystone-application-credentials.md), authorized by Keystone's rules for them.
 */
@Controller('v3/users/:userId')
export class ApplicationCredentialsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly appCreds: ApplicationCredentialService,
    private readonly identity: IdentityService,
    private readonly authz: KeystonePolicy,
    private readonly revocationCache: RevocationCache,
    private readonly tokens: TokenService,
  ) {}

  /**
   * Keystone's order: policy (owner only), schema, delegation and restriction checks, then the
   * roles (named ones looked up; each must be on the caller's token, which they all are when
   * none is given), the expiry, and the store (the user must hold the roles there: 400; the name
   * must be free: 409). The credential is for the token's project.
   */
  @Post('application_credentials')
  async create(@Param('userId') userId: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = this.authz.enforce(req, 'identity:create_application_credential', { args: { user_id: userId } });
    const b = parseAppCredBody(body);
    refuseDelegated(caller);
    refuseRestrictedAppCred(caller);
    if (caller.userId !== userId) throw new ForbiddenError('Cannot create an application credential for another user.');
    const secret = b.secret || randomBytes(64).toString('base64url');
    const roleIds = b.roles?.length ? await this.requestedRoles(b.roles, caller) : caller.roleIds;
    const expiresAt = b.expiresAt ? parseExpiry(b.expiresAt, nowMicros()) : null;
    const created = await this.appCreds.create({
      name: b.name, description: b.description, secret, userId, projectId: scopedProject(caller) ?? null, system: b.system,
      expiresAt, unrestricted: b.unrestricted ?? null, roleIds, accessRules: b.accessRules?.length ? b.accessRules : undefined,
    }).catch((e: unknown) => {
      if (e instanceof DomainError && e.message.startsWith('Could not find role assignment')) throw invalid(e.message);
      throw e;
    });
    return { application_credential: renderAppCred(created, baseUrl(req, this.cfg), secret) };
  }

  /** Roles named by id or by (unique) name; none may be missing from the caller's token. */
  private async requestedRoles(asked: NonNullable<ReturnType<typeof parseAppCredBody>['roles']>, caller: Principal): Promise<string[]> {
    const ids: string[] = [];
    for (const r of asked) {
      if ('id' in r) {
        ids.push(r.id);
        continue;
      }
      const named: RoleEntity[] = await this.appCreds.rolesNamed(r.name);
      if (!named.length) throw new DomainError('NotFound', `Role ${r.name} is not defined`);
      if (named.length > 1) throw new InvalidInputError(`There are multiple role entities named '${r.name}'. Please use ID instead of names to resolve the ambiguity.`);
      ids.push(named[0]!.id);
    }
    if (ids.some((id) => !caller.roleIds.includes(id))) throw invalid('Cannot create an application credential with unassigned role');
    return ids;
  }

  @Get('application_credentials')
  async list(@Param('userId') userId: string, @Query() q: Q, @Req() req: FastifyRequest) {
    const caller = this.authz.enforce(req, 'identity:list_application_credentials', { args: { user_id: userId }, filters: queryPick(q, ['name']) });
    refuseDelegated(caller);
    const creds = await this.appCreds.list(userId, { name: queryText(q, 'name'), match: textMatches(q, ['name']) });
    const base = baseUrl(req, this.cfg);
    return { application_credentials: creds.map((c) => renderAppCred(c, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Get('application_credentials/:id')
  async get(@Param('userId') userId: string, @Param('id') id: string, @Req() req: FastifyRequest) {
    const c = await this.authorize(req, 'identity:get_application_credential', userId, id);
    return { application_credential: renderAppCred(c, baseUrl(req, this.cfg)) };
  }

  @Delete('application_credentials/:id')
  @HttpCode(204)
  async delete(@Param('userId') userId: string, @Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorize(req, 'identity:delete_application_credential', userId, id, true);
    await this.appCreds.delete(id);
    // This process refuses the credential's tokens at once; other replicas at their next refresh.
    await this.revocationCache.refresh();
    this.tokens.forget();
  }

  /**
   * The policy sees the credential's owner, not the path's user (Keystone's fix against reaching
   * another user's credential through one's own path); then delegation, restriction, the 404.
   */
  private async authorize(req: FastifyRequest, action: string, userId: string, id: string, manage = false): Promise<ApplicationCredential> {
    const c = await this.appCreds.get(id);
    const owner = c?.userId ?? userId;
    const caller = this.authz.enforce(req, action, { args: { user_id: owner }, target: c ? { user_id: c.userId } : undefined });
    refuseDelegated(caller);
    if (manage) refuseRestrictedAppCred(caller);
    if (!c) throw new ApplicationCredentialNotFoundError(id);
    return c;
  }

  // ------------------------------------------------------------------ access rules

  @Get('access_rules')
  async listAccessRules(@Param('userId') userId: string, @Query() q: Q, @Req() req: FastifyRequest) {
    await this.authorizeRules(req, 'identity:list_access_rules', userId, queryPick(q, RULE_FILTERS));
    const f = queryPick(q, RULE_FILTERS);
    const rules = await this.appCreds.listAccessRules(userId, { ...f, match: textMatches(q, RULE_FILTERS) });
    const base = baseUrl(req, this.cfg);
    return {
      access_rules: rules.map((r) => ({ ...renderAccessRule(r), links: { self: `${base}/v3/access_rules/${r.id}` } })),
      links: { self: selfUrl(req, this.cfg), previous: null, next: null },
    };
  }

  @Get('access_rules/:id')
  async getAccessRule(@Param('userId') userId: string, @Param('id') id: string, @Req() req: FastifyRequest) {
    await this.authorizeRules(req, 'identity:get_access_rule', userId);
    const r = await this.ownRule(userId, id);
    return { access_rule: { ...renderAccessRule(r), links: { self: `${baseUrl(req, this.cfg)}/v3/access_rules/${r.id}` } } };
  }

  /** Refused (403) while a credential uses the rule. */
  @Delete('access_rules/:id')
  @HttpCode(204)
  async deleteAccessRule(@Param('userId') userId: string, @Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorizeRules(req, 'identity:delete_access_rule', userId);
    await this.ownRule(userId, id);
    await this.appCreds.deleteAccessRule(id);
  }

  /** The path's user is the target (none when it does not exist: only who may act on anyone learns that). */
  private async authorizeRules(req: FastifyRequest, action: string, userId: string, filters?: Record<string, string>): Promise<void> {
    const u = await this.identity.getUser(userId);
    const caller = this.authz.enforce(req, action, { args: { user_id: userId }, target: u ? { user: userTarget(u) } : {}, filters });
    refuseDelegated(caller);
  }

  /** Another user's rule under this path is "not found" (a tightening of Keystone, which serves any rule by id). */
  private async ownRule(userId: string, id: string): Promise<AccessRule> {
    const r = await this.appCreds.getAccessRule(id);
    if (!r || r.userId !== userId) throw new AccessRuleNotFoundError(id);
    return r;
  }
}
