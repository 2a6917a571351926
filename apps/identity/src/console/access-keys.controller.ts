import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req, UseGuards } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { KeyCallers, PasswordLogin, refuseOutsideDelegation, refuseRestrictedAppCred, type Principal } from '@lintel/auth';
import {
  AccessKeyService, AssignmentService, ForbiddenError, IdentityService, InvalidExpiryError, InvalidInputError, KEY_DIALECTS, parseKeyExpiry,
  UnauthenticatedError, type Credential, type CredentialState, type KeyCaller, type KeyRef, type UserEntity,
} from '@lintel/domain';
import { queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { ACCESS_KEY_CREATE, ACCESS_KEY_UPDATE } from './access-key-bodies.js';
import { ConsoleAccessRulesGuard } from './console-access-rules.guard.js';

type Q = Record<string, unknown>;

/**
 * `/v3/OS-LINTEL/projects/{project_id}/...`: the access keys of a project as the browser console
 * (apps/console) manages them. Every dialect's keys of the project are listed (with the dialect
 * that issued them), never their secrets: a secret is shown once, in the answer that creates it.
 *
 * The access-key core decides and writes (docs/access-keys.md): the policy's `lintel:console:*`
 * rules (docs/policy.md; by default SODA's: the token must be scoped to the project, or be a
 * system admin's; admins there manage everyone's keys, members their own, readers read their
 * own). Creating a key also needs the caller's password again, checked here like a login (lockout
 * and rate limits) once the policy allowed it, so a token left in a browser is not enough to
 * mint long-lived keys.
 */
@Controller('v3/OS-LINTEL/projects/:projectId')
@UseGuards(ConsoleAccessRulesGuard)
export class ConsoleAccessKeysController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly keys: AccessKeyService,
    private readonly callers: KeyCallers,
    private readonly identity: IdentityService,
    private readonly assignments: AssignmentService,
    private readonly logins: PasswordLogin,
  ) {}

  @Get('access_keys')
  async listKeys(@Param('projectId') projectId: string, @Query() q: Q, @Req() req: FastifyRequest) {
    const caller = this.caller(req);
    // The caller may list at all when it may read its own keys; each key is then shown only to
    // who may read its owner's keys (a filter on someone else's gives an empty list, not a 403).
    const keys = await this.keys.list(caller, 'lintel:console:list_access_keys', { projectId, ownerId: queryText(q, 'user_id') }, { ownerId: caller.userId, projectId });
    return this.page(await this.renderAll(keys, req), req);
  }

  @Get('access_keys/:access')
  async getKey(@Param('projectId') projectId: string, @Param('access') access: string, @Req() req: FastifyRequest) {
    const key = await this.keys.get(this.caller(req), 'lintel:console:get_access_key', this.ref(projectId, access));
    return { access_key: (await this.renderAll([key], req))[0] };
  }

  /**
   * `{"access_key": {"user_id"?, "expires_at"?}, "password": "<the caller's>"}` → 201 with the
   * secret, which no other answer carries.
   */
  @Post('access_keys')
  async createKey(@Param('projectId') projectId: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = this.caller(req);
    const { access_key: asked, password } = ACCESS_KEY_CREATE.check(body);
    const ownerId = asked.user_id ?? caller.userId;
    const expiresAt = this.expiry(asked.expires_at);
    // As for EC2 credentials (docs/keystone-application-credentials.md): an application
    // credential's token must be unrestricted and stay in its project; the key keeps its limits.
    const principal = (req as FastifyRequest & { principal: Principal }).principal;
    refuseRestrictedAppCred(principal, 'credentials');
    refuseOutsideDelegation(principal, projectId, 'Credential');
    const issued = (await this.keys.issue(caller, KEY_DIALECTS.console, {
      action: 'lintel:console:create_access_key', ownerId, projectId, expiresAt,
      confirm: () => this.confirmPassword(caller.userId, password, req.ip),
    }))!;
    return { access_key: { ...(await this.renderAll([issued.credential], req))[0], secret: issued.secret } };
  }

  /** `{"access_key": {"state": "active" | "inactive"}}`: deactivate or reactivate. */
  @Patch('access_keys/:access')
  async updateKey(@Param('projectId') projectId: string, @Param('access') access: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const { state } = ACCESS_KEY_UPDATE.check(body);
    const updated = await this.keys.update(this.caller(req), 'lintel:console:update_access_key', this.ref(projectId, access), { state: state as CredentialState });
    return { access_key: (await this.renderAll([updated], req))[0] };
  }

  @Delete('access_keys/:access')
  @HttpCode(204)
  async deleteKey(@Param('projectId') projectId: string, @Param('access') access: string, @Req() req: FastifyRequest): Promise<void> {
    await this.keys.delete(this.caller(req), 'lintel:console:delete_access_key', this.ref(projectId, access));
  }

  /** The users who may own keys here, each shown where `lintel:console:get_key_owner` allows (by default: all to the project's admins, else the caller). */
  @Get('users')
  async listUsers(@Param('projectId') projectId: string, @Req() req: FastifyRequest) {
    const caller = this.caller(req);
    const may = async (id: string, user: UserEntity | null) => caller.may('lintel:console:get_key_owner', { ownerId: id, owner: user, projectId });
    if (!(await may(caller.userId, await this.identity.getUser(caller.userId)))) throw new ForbiddenError('lintel:console:get_key_owner');
    const members = [...new Set((await this.assignments.listAssignments({ projectId, effective: true }, this.cfg.listLimits.assignment)).items.map((l) => l.actor.id))];
    const users: UserEntity[] = [];
    for (const id of members) {
      const user = await this.identity.getUser(id);
      if (user && (await may(id, user))) users.push(user);
    }
    users.sort((a, b) => a.name.localeCompare(b.name));
    return {
      users: users.map((u) => ({ id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled })),
      links: { self: selfUrl(req, this.cfg), previous: null, next: null },
    };
  }

  /** The caller's password, checked on the login path every dialect shares (rate limits, lockout). */
  private async confirmPassword(userId: string, password: string, source: string): Promise<void> {
    const { outcome } = await this.logins.confirm(source, userId, password);
    if (outcome === 'locked') throw new UnauthenticatedError(`access key password confirmation for ${userId}: locked`, 'The account is temporarily locked after too many failed attempts.');
    if (outcome !== 'ok' && outcome !== 'expired') throw new UnauthenticatedError(`access key password confirmation for ${userId}: ${outcome}`, 'The password confirmation is incorrect.');
  }

  /** `expires_at`: the core's parser (UTC when no zone is given), worded as Keystone words bad input. */
  private expiry(text: string | null | undefined): Date | null {
    if (text === undefined || text === null) return null;
    try {
      return parseKeyExpiry(text, { maxLifetimeMs: KEY_DIALECTS.console.maxLifetimeMs });
    } catch (e) {
      if (e instanceof InvalidExpiryError) throw InvalidInputError.field('access_key/expires_at', e.message);
      throw e;
    }
  }

  /** A key of this project, hidden (404) from a caller who may not read it. */
  private ref(projectId: string, access: string): KeyRef {
    return { access, projectId, readAction: 'lintel:console:get_access_key' };
  }

  private caller(req: FastifyRequest): KeyCaller {
    return this.callers.token(keystoneCaller(req), { address: req.ip, requestId: String(req.id) });
  }

  private page(keys: unknown[], req: FastifyRequest) {
    return { access_keys: keys, links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  private async renderAll(keys: Credential[], req: FastifyRequest) {
    const names = new Map<string, string | null>();
    for (const id of new Set(keys.map((k) => k.userId))) names.set(id, (await this.identity.getUser(id))?.name ?? null);
    const base = baseUrl(req, this.cfg);
    return keys.map((k) => ({
      id: k.id,
      access: k.accessKey,
      user_id: k.userId,
      user_name: names.get(k.userId) ?? null,
      project_id: k.projectId,
      issuer: k.issuer,
      state: k.state,
      created_at: k.createdAt.toISOString(),
      expires_at: k.expiresAt?.toISOString() ?? null,
      last_used_at: k.lastUsedAt?.toISOString() ?? null,
      last_used_service: k.lastUsedService,
      links: { self: `${base}/v3/OS-LINTEL/projects/${k.projectId}/access_keys/${k.accessKey}` },
    }));
  }
}
