import { Controller, Delete, Get, HttpCode, Inject, Param, Req } from '@nestjs/common';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { isDelegated, RevocationCache, TokenService, type AuthenticatedRequest } from '@lintel/auth';
import { accessTokenNotFound, AssignmentService, DomainError, ForbiddenError, NotFoundError, OAuth1Service, UnauthenticatedError, type OAuth1AccessToken, type RoleEntity } from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { tokenTime } from '../render.js';
import { renderRole } from '../resources/roles.controller.js';

/** Keystone's answer when the access token belongs to another user than the path's: its NotFound template, unfilled. */
const otherUsersToken = () => new DomainError('NotFound', 'Could not find: %(target)s.');

export function renderAccessToken(t: OAuth1AccessToken, base: string) {
  const self = `${base}/v3/users/${t.authorizingUserId}/OS-OAUTH1/access_tokens/${t.id}`;
  return {
    id: t.id, authorizing_user_id: t.authorizingUserId, project_id: t.projectId, consumer_id: t.consumerId,
    expires_at: t.expiresAt ? tokenTime(t.expiresAt.getTime()) : null, links: { roles: `${self}/roles`, self },
  };
}

/** A delegated role as Keystone lists it: the role without its description. */
function renderDelegatedRole(r: RoleEntity, base: string) {
  const { description: _omitted, ...rest } = renderRole(r, base);
  return rest;
}

/**
 * A user's OAuth1 access tokens (docs/keystone-oauth1.md, "Access tokens"):
 * `/v3/users/{user_id}/OS-OAUTH1/access_tokens[/{id}[/roles[/{role_id}]]]`. Listing, reading and
 * deleting them needs a token that is not itself a delegation.
 */
@Controller('v3/users/:user_id/OS-OAUTH1/access_tokens')
export class AccessTokensController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly oauth: OAuth1Service,
    private readonly assignments: AssignmentService,
    private readonly tokens: TokenService,
    private readonly revocationCache: RevocationCache,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listAccessTokens(@Param('user_id') userId: string, @Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:list_access_tokens', { args: { user_id: userId } });
    if (isDelegated(caller)) throw new ForbiddenError();
    const base = baseUrl(req, this.cfg);
    return {
      access_tokens: (await this.oauth.listAccessTokens(userId)).map((t) => renderAccessToken(t, base)),
      links: { self: selfUrl(req, this.cfg), previous: null, next: null },
    };
  }

  @Get(':id')
  async getAccessToken(@Param('user_id') userId: string, @Param('id') id: string, @Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:get_access_token', { args: { user_id: userId, access_token_id: id } });
    if (isDelegated(caller)) throw new ForbiddenError();
    const t = await this.oauth.getAccessToken(id);
    if (!t) throw accessTokenNotFound();
    if (t.authorizingUserId !== userId) throw otherUsersToken();
    return { access_token: renderAccessToken(t, baseUrl(req, this.cfg)) };
  }

  /**
   * Keystone guards this with `identity:ec2_delete_credential` (its target names no credential,
   * so in effect an administrator). Revokes the tokens issued from the access token at once.
   */
  @Delete(':id')
  @HttpCode(204)
  async deleteAccessToken(@Param('user_id') userId: string, @Param('id') id: string, @Req() req: AuthenticatedRequest): Promise<void> {
    const caller = this.authz.enforce(req, 'identity:ec2_delete_credential', { args: { user_id: userId, access_token_id: id }, target: {} });
    if (isDelegated(caller)) throw new ForbiddenError();
    const t = await this.oauth.getAccessToken(id);
    if (!t) throw accessTokenNotFound();
    if (t.authorizingUserId !== userId) throw new UnauthenticatedError('access token: user ids do not match');
    await this.oauth.deleteAccessToken(id);
    await this.revocationCache.refresh();
    this.tokens.forget();
  }

  @Get(':id/roles')
  async listRoles(@Param('user_id') userId: string, @Param('id') id: string, @Req() req: AuthenticatedRequest) {
    this.authz.enforce(req, 'identity:list_access_token_roles', { args: { user_id: userId, access_token_id: id } });
    const t = await this.oauth.getAccessToken(id);
    if (!t) throw accessTokenNotFound();
    if (t.authorizingUserId !== userId) throw otherUsersToken();
    const base = baseUrl(req, this.cfg);
    const roles = (await Promise.all(t.roleIds.map((r) => this.assignments.getRole(r)))).filter((r): r is RoleEntity => !!r);
    return { roles: roles.map((r) => renderDelegatedRole(r, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Get(':id/roles/:role_id')
  async getRole(@Param('user_id') userId: string, @Param('id') id: string, @Param('role_id') roleId: string, @Req() req: AuthenticatedRequest) {
    this.authz.enforce(req, 'identity:get_access_token_role', { args: { user_id: userId, access_token_id: id, role_id: roleId } });
    const t = await this.oauth.getAccessToken(id);
    if (!t) throw accessTokenNotFound();
    if (t.authorizingUserId !== userId) throw new UnauthenticatedError('access token: user ids do not match');
    const role = t.roleIds.includes(roleId) ? await this.assignments.getRole(roleId) : null;
    if (!role) throw new NotFoundError('role', roleId);
    return { role: renderDelegatedRole(role, baseUrl(req, this.cfg)) };
  }
}
