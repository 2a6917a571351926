import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PasswordLogin, PolicyFacts, PolicyService, type Principal } from '@lintel/auth';
import { randomAlphanumeric } from '@lintel/credentials';
import {
  AssignmentService, ConflictError, CredentialService, ForbiddenError, IdentityService, InvalidInputError, NotFoundError,
  UnauthenticatedError, type Credential, type UserEntity,
} from '@lintel/domain';
import { isJsonObject, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { ResourceBody } from '../resources/resource-body.js';

type Q = Record<string, unknown>;
const STATES = ['active', 'inactive'];
/** The console's keys look like the other clouds' (20-character id, 40-character secret). */
const ACCESS_LENGTH = 20;
const SECRET_LENGTH = 40;
const MAX_EXPIRY_MS = 10 * 365 * 24 * 3600 * 1000;

/**
 * `/v3/OS-LINTEL/projects/{project_id}/...`: the access keys of a project as the browser console
 * (apps/console) manages them. Every dialect's keys of the project are listed (with the dialect
 * that issued them), never their secrets: a secret is shown once, in the answer that creates it.
 *
 * Authorization is the policy's `lintel:console:*` rules (docs/policy.md; by default SODA's: the
 * token must be scoped to the project, or be a system admin's; admins there manage everyone's
 * keys, members their own, readers read their own). Creating a key also needs the caller's password again,
 * checked here like a login (lockout and rate limits), so a token left in a browser is not
 * enough to mint long-lived keys.
 */
@Controller('v3/OS-LINTEL/projects/:projectId')
export class AccessKeysController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly credentials: CredentialService,
    private readonly identity: IdentityService,
    private readonly assignments: AssignmentService,
    private readonly logins: PasswordLogin,
    private readonly policy: PolicyService,
    private readonly facts: PolicyFacts,
  ) {}

  @Get('access_keys')
  async listKeys(@Param('projectId') projectId: string, @Query() q: Q, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const asked = queryText(q, 'user_id');
    // The caller may list at all when it may read its own keys; each key is then shown only to
    // who may read its owner's keys (a filter on someone else's gives an empty list, not a 403).
    await this.enforce(caller, 'lintel:console:list_access_keys', projectId, caller.userId);
    const keys: Credential[] = [];
    for (const c of await this.credentials.list({ projectId, userId: asked })) {
      if (c.accessKey !== null && (await this.allows(caller, 'lintel:console:list_access_keys', projectId, c.userId))) keys.push(c);
    }
    return this.page(await this.renderAll(keys, req), req);
  }

  @Get('access_keys/:access')
  async getKey(@Param('projectId') projectId: string, @Param('access') access: string, @Req() req: FastifyRequest) {
    const key = await this.loadKey(keystoneCaller(req), projectId, access, 'lintel:console:get_access_key');
    return { access_key: (await this.renderAll([key], req))[0] };
  }

  /**
   * `{"access_key": {"user_id"?, "expires_at"?}, "password": "<the caller's>"}` → 201 with the
   * secret, which no other answer carries.
   */
  @Post('access_keys')
  async createKey(@Param('projectId') projectId: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const b = ResourceBody.of(body, 'access_key', ['user_id', 'expires_at']);
    const password = isJsonObject(body) ? body.password : undefined;
    if (password === undefined) throw InvalidInputError.missing('password', 'request body');
    if (typeof password !== 'string' || !password || password.length > 4096) throw InvalidInputError.field('password', "is not a non-empty string");
    b.noExtras();
    const userId = b.str('user_id', { max: 64 }) ?? caller.userId;
    const expiresAt = this.expiry(b.str('expires_at', { max: 64, nullable: true }));
    await this.enforce(caller, 'lintel:console:create_access_key', projectId, userId);
    await this.confirmPassword(caller, password, req.ip);
    await this.requireMember(userId, projectId);
    for (let attempt = 0; ; attempt++) {
      const access = randomAlphanumeric(ACCESS_LENGTH).toUpperCase();
      const secret = randomAlphanumeric(SECRET_LENGTH);
      try {
        const c = await this.credentials.create({
          userId, projectId, type: 'ec2', issuer: 'console', expiresAt, blob: JSON.stringify({ access, secret }),
        });
        return { access_key: { ...(await this.renderAll([c], req))[0], secret } };
      } catch (e) {
        if (!(e instanceof ConflictError) || attempt >= 2) throw e;
      }
    }
  }

  /** `{"access_key": {"state": "active" | "inactive"}}`: deactivate or reactivate. */
  @Patch('access_keys/:access')
  async updateKey(@Param('projectId') projectId: string, @Param('access') access: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const b = ResourceBody.of(body, 'access_key', ['state']);
    b.noExtras();
    b.required('state');
    const state = b.str('state', { max: 16 })!;
    if (!STATES.includes(state)) throw InvalidInputError.field('access_key/state', `'${state}' is not one of ['active', 'inactive']`);
    const key = await this.loadKey(caller, projectId, access, 'lintel:console:update_access_key');
    const updated = await this.credentials.update(key.id, { state: state as 'active' | 'inactive' }, (current) => {
      if (current.projectId !== projectId) throw new NotFoundError('access key', access);
    });
    return { access_key: (await this.renderAll([updated], req))[0] };
  }

  @Delete('access_keys/:access')
  @HttpCode(204)
  async deleteKey(@Param('projectId') projectId: string, @Param('access') access: string, @Req() req: FastifyRequest): Promise<void> {
    const key = await this.loadKey(keystoneCaller(req), projectId, access, 'lintel:console:delete_access_key');
    await this.credentials.delete(key.id);
  }

  /** The users who may own keys here, each shown where `lintel:console:get_key_owner` allows (by default: all to the project's admins, else the caller). */
  @Get('users')
  async listUsers(@Param('projectId') projectId: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    await this.enforce(caller, 'lintel:console:get_key_owner', projectId, caller.userId);
    const members = [...new Set((await this.assignments.listAssignments({ projectId, effective: true })).map((l) => l.actor.id))];
    const ids: string[] = [];
    for (const id of members) if (await this.allows(caller, 'lintel:console:get_key_owner', projectId, id)) ids.push(id);
    const users = (await Promise.all(ids.map((id) => this.identity.getUser(id)))).filter((u): u is UserEntity => u !== null);
    users.sort((a, b) => a.name.localeCompare(b.name));
    return {
      users: users.map((u) => ({ id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled })),
      links: { self: selfUrl(req, this.cfg), previous: null, next: null },
    };
  }

  /** The policy on the project and the keys' owner (with the facts about the owner that the rule reads). */
  private async allows(caller: Principal, action: string, projectId: string, userId: string): Promise<boolean> {
    const facts = await this.facts.forAction(action, { user: await this.identity.getUser(userId) });
    return this.policy.allows(caller, action, { args: { project_id: projectId }, target: { project: { id: projectId }, user: { id: userId }, ...facts } });
  }

  private async enforce(caller: Principal, action: string, projectId: string, userId: string): Promise<void> {
    if (!(await this.allows(caller, action, projectId, userId))) throw new ForbiddenError(action);
  }

  /** A key of this project; someone else's key is as absent as a missing one to a caller who may not read it. */
  private async loadKey(caller: Principal, projectId: string, access: string, action: string): Promise<Credential> {
    const key = await this.credentials.findByAccessKey(access);
    if (!key || key.projectId !== projectId || !(await this.allows(caller, 'lintel:console:get_access_key', projectId, key.userId))) throw new NotFoundError('access key', access);
    await this.enforce(caller, action, projectId, key.userId);
    return key;
  }

  /** The caller's password, checked on the login path every dialect shares (rate limits, lockout). */
  private async confirmPassword(caller: Principal, password: string, source: string): Promise<void> {
    const { outcome } = await this.logins.confirm(source, caller.userId, password);
    if (outcome === 'locked') throw new UnauthenticatedError(`access key password confirmation for ${caller.userId}: locked`, 'The account is temporarily locked after too many failed attempts.');
    if (outcome !== 'ok' && outcome !== 'expired') throw new UnauthenticatedError(`access key password confirmation for ${caller.userId}: ${outcome}`, 'The password confirmation is incorrect.');
  }

  private async requireMember(userId: string, projectId: string): Promise<void> {
    const user = await this.identity.getUser(userId);
    if (!user || !(await this.assignments.effectiveRoles(userId, { project: projectId })).length) throw new NotFoundError('user', userId);
  }

  private expiry(text: string | null | undefined): Date | null {
    if (text === undefined || text === null) return null;
    const at = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? new Date(text) : new Date(NaN);
    if (Number.isNaN(at.getTime())) throw InvalidInputError.field('access_key/expires_at', `'${text.slice(0, 40)}' is not an ISO 8601 date and time`);
    if (at.getTime() <= Date.now()) throw InvalidInputError.field('access_key/expires_at', 'the expiration must be in the future');
    if (at.getTime() > Date.now() + MAX_EXPIRY_MS) throw InvalidInputError.field('access_key/expires_at', 'the expiration must be within ten years');
    return at;
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
