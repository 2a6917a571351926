import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Post, Req } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AppCredRestriction, refuseDelegatedForTrusts, RevocationCache, TokenService, type AuthenticatedRequest, type Principal } from '@lintel/auth';
import {
  AssignmentService, ForbiddenError, IdentityService, NotFoundError, ResourceService, TrustService, type Trust,
} from '@lintel/domain';
import { isJsonObject, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { parseExpiry, parseTrustBody, type TrustRequest } from './trust-body.js';
import { renderTrust, renderTrustRole, renderTrustSummary, trustTime } from './trust.render.js';

/** A trust as Keystone's trust rules see it (`target.trust.*`), from the database. */
const trustTarget = (t: Trust) => ({
  id: t.id, trustor_user_id: t.trustorUserId, trustee_user_id: t.trusteeUserId, project_id: t.projectId,
  impersonation: t.impersonation, expires_at: trustTime(t.expiresAt), remaining_uses: t.remainingUses,
  redelegated_trust_id: t.redelegatedTrustId, redelegation_count: t.redelegationCount, roles: t.roleIds.map((id) => ({ id })),
});

/** The attributes of a requested trust a rule may read, only where they are text (anything else matches nobody). */
function requestedTarget(body: unknown): Record<string, unknown> {
  const t = isJsonObject(body) && isJsonObject(body.trust) ? body.trust : {};
  const out: Record<string, unknown> = {};
  for (const k of ['trustor_user_id', 'trustee_user_id', 'project_id']) if (typeof t[k] === 'string') out[k] = t[k];
  return out;
}

/**
 * `/v3/OS-TRUST/trusts` (docs/keystone-trusts.md): create, list, show and delete trusts and
 * look at their roles, with Keystone's policies, order of checks and messages.
 */
@Controller('v3/OS-TRUST/trusts')
export class TrustsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly trusts: TrustService,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly authz: KeystonePolicy,
    private readonly restriction: AppCredRestriction,
    private readonly tokens: TokenService,
    private readonly revocationCache: RevocationCache,
  ) {}

  @Post()
  async createTrust(@Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:create_trust', { target: { trust: requestedTarget(body) } });
    const request = parseTrustBody(body);
    await refuseDelegatedForTrusts(caller, this.restriction);
    if (request.projectId && !request.roles.length) throw new ForbiddenError('At least one role should be specified');
    if (caller.userId !== request.trustorUserId) throw new ForbiddenError('The authenticated user should match the trustor');
    if (!(await this.identity.getUser(request.trusteeUserId))) throw new NotFoundError('user', request.trusteeUserId);
    const roleIds = await this.roleIds(request);
    const expiresAt = request.expiresAt === null ? null : parseExpiry(request.expiresAt);
    const redelegated = await this.redelegatedTrust(caller);
    const trust = await this.trusts.create({
      trustorUserId: request.trustorUserId, trusteeUserId: request.trusteeUserId, projectId: request.projectId,
      impersonation: request.impersonation, expiresAt, remainingUses: request.remainingUses, allowRedelegation: request.allowRedelegation,
      redelegationCount: request.redelegationCount, roleIds, extra: request.extra,
    }, redelegated);
    return { trust: renderTrust(trust, await this.trusts.existingRoles(trust.roleIds), baseUrl(req, this.cfg)) };
  }

  /**
   * Keystone's rules for who may list (docs/keystone-trusts.md, "Routes"): `?trustor_user_id`
   * under `identity:list_trusts_for_trustor`, else `?trustee_user_id` under
   * `identity:list_trusts_for_trustee`, else `identity:list_trusts` (admins and system readers).
   */
  @Get()
  async listTrusts(@Req() req: AuthenticatedRequest) {
    const trustor = queryText(req.query, 'trustor_user_id');
    const trustee = queryText(req.query, 'trustee_user_id');
    let caller: Principal;
    if (trustor) caller = this.authz.enforce(req, 'identity:list_trusts_for_trustor', { target: { trust: { trustor_user_id: trustor } } });
    else if (trustee) caller = this.authz.enforce(req, 'identity:list_trusts_for_trustee', { target: { trust: { trustee_user_id: trustee } } });
    else caller = this.authz.enforce(req, 'identity:list_trusts');
    await refuseDelegatedForTrusts(caller, this.restriction);
    const filtered = Object.keys((req.query ?? {}) as object).length > 0;
    // As Keystone: a query naming neither filter lists nothing.
    const trusts = !filtered ? await this.trusts.list() : trustor ? await this.trusts.list({ trustorUserId: trustor }) : trustee ? await this.trusts.list({ trusteeUserId: trustee }) : [];
    const base = baseUrl(req, this.cfg);
    return { trusts: trusts.map((t) => renderTrustSummary(t, base)), links: { next: null, self: selfUrl(req, this.cfg), previous: null } };
  }

  @Get(':id')
  async getTrust(@Param('id') id: string, @Req() req: AuthenticatedRequest) {
    const trust = await this.authorize(req, 'identity:get_trust', id);
    return { trust: renderTrust(trust, await this.trusts.existingRoles(trust.roleIds), baseUrl(req, this.cfg)) };
  }

  /** Deletes the trust and those redelegated from it; their tokens stop working at once (docs/keystone-trusts.md, "Trust-scoped tokens"). */
  @Delete(':id')
  @HttpCode(204)
  async deleteTrust(@Param('id') id: string, @Req() req: AuthenticatedRequest): Promise<void> {
    await this.authorize(req, 'identity:delete_trust', id);
    await this.trusts.delete(id);
    await this.revocationCache.refresh();
    this.tokens.forget();
  }

  @Get(':id/roles')
  async listTrustRoles(@Param('id') id: string, @Req() req: AuthenticatedRequest) {
    const trust = await this.authorize(req, 'identity:list_roles_for_trust', id);
    const base = baseUrl(req, this.cfg);
    const roles = await this.trusts.existingRoles(trust.roleIds);
    return { roles: roles.map((r) => renderTrustRole(r, base)), links: { self: `${base}/v3/${trust.id}/roles`, next: null, previous: null } };
  }

  @Get(':id/roles/:roleId')
  async getTrustRole(@Param('id') id: string, @Param('roleId') roleId: string, @Req() req: AuthenticatedRequest) {
    const trust = await this.authorize(req, 'identity:get_role_for_trust', id);
    if (!trust.roleIds.includes(roleId)) throw new NotFoundError('role', roleId);
    const role = await this.assignments.getRole(roleId);
    if (!role) throw new NotFoundError('role', roleId);
    return { role: renderTrustRole(role, baseUrl(req, this.cfg)) };
  }

  /**
   * Keystone's order on one trust: the trust first (a missing, expired or used-up one is a 404
   * before any policy decision), then the rule with the trust as target, then the refusal of
   * delegated tokens.
   */
  private async authorize(req: AuthenticatedRequest, action: string, id: string): Promise<Trust> {
    const trust = await this.trusts.get(id);
    const caller = this.authz.enforce(req, action, { args: { trust_id: id }, target: { trust: trustTarget(trust) } });
    await refuseDelegatedForTrusts(caller, this.restriction);
    return trust;
  }

  /**
   * The roles by id, names resolved (404 for an unknown name); each must be one the trustor holds
   * on the project now, directly, through a group, by inheritance or implied, domain-specific
   * roles included (else Keystone's 404 for that role). A trust without a project delegates none.
   */
  private async roleIds(request: TrustRequest): Promise<string[]> {
    const ids: string[] = [];
    for (const r of request.roles) ids.push('id' in r ? r.id : (await this.trusts.roleByName(r.name)).id);
    let held = new Set<string>();
    if (request.projectId) {
      if (!(await this.resources.getProject(request.projectId))) throw new NotFoundError('project', request.projectId);
      held = new Set((await this.assignments.effectiveRoles(request.trustorUserId, { project: request.projectId }, { withDomainRoles: true })).map((r) => r.id));
    }
    for (const id of ids) if (!held.has(id)) throw new NotFoundError('role', id);
    return ids;
  }

  /**
   * A trust created with a trust-scoped token is redelegated from that token's trust, which must
   * still be usable; other delegations cannot redelegate.
   */
  private async redelegatedTrust(caller: Principal): Promise<Trust | undefined> {
    if (caller.claims.trustId) return this.trusts.get(caller.claims.trustId);
    if (caller.claims.oauthAccessTokenId) throw new ForbiddenError('Redelegation allowed for delegated by trust only');
    return undefined;
  }
}
