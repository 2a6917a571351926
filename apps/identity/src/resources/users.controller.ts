import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AuthRateLimiter, PolicyFacts, Public, scopedDomain } from '@lintel/auth';
import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, InvalidInputError, NotFoundError, ResourceService, type UserEntity } from '@lintel/domain';
import { queryBool, queryPick, queryText } from '@lintel/platform';
import { baseUrl } from '../base-url.js';
import { keystoneCaller, KeystonePolicy } from '../keystone-caller.js';
import { renderProject, renderUser } from '../render.js';
import { userTarget } from '../targets.js';
import { textMatches } from './list-filters.js';
import { listBody, pageRequest } from './pagination.js';
import { extrasOf } from '../request-schema.js';
import { PASSWORD_CHANGE, USER_CREATE, USER_EXTRAS_TOO, USER_UPDATE } from './resource-bodies.js';

type Q = Record<string, unknown>;
const LIST_FILTERS = ['domain_id', 'enabled', 'idp_id', 'name', 'protocol_id', 'unique_id', 'password_expires_at'];

/** `/v3/users` (docs/keystone.md, "Users"), authorized by the policy's `identity:*_user` rules. */
@Controller('v3/users')
export class UsersController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly rateLimiter: AuthRateLimiter,
    private readonly authz: KeystonePolicy,
    private readonly facts: PolicyFacts,
  ) {}

  /** A domain-scoped token lists its domain's users only, whatever the filters say (as Keystone). */
  @Get()
  async listUsers(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = scopedDomain(keystoneCaller(req));
    this.authz.enforce(req, 'identity:list_users', { target: only ? { domain_id: only } : undefined, filters: queryPick(q, LIST_FILTERS) });
    const match = textMatches(q, ['name', 'domain_id'], ['enabled']);
    const asked = queryText(q, 'domain_id') ?? only;
    const page = pageRequest(q, this.cfg, 'identity', { marker: true });
    const users = only && asked !== only ? { items: [], truncated: false }
      : await this.identity.listUsers({ name: queryText(q, 'name'), domainId: asked, enabled: queryBool(q, 'enabled'), match }, page);
    const expiries = await this.identity.passwordExpiries(users.items.map((u) => u.id));
    const base = baseUrl(req, this.cfg);
    const rendered = users.items.map((u) => renderUser(u, expiries.get(u.id) ?? null, base));
    return listBody('users', users, rendered, req, this.cfg, page, { marker: true });
  }

  /** The policy sees the user as the body describes it (Keystone's target); the domain defaults to the token's. */
  @Post()
  async createUser(@Body() body: unknown, @Req() req: FastifyRequest) {
    // Keystone's order: what the policy needs, the policy, the domain, then the rest.
    const b = USER_CREATE.check(body, { until: 'default_project_id' });
    const caller = keystoneCaller(req);
    const domainId = b.domain_id ?? scopedDomain(caller) ?? DEFAULT_DOMAIN_ID;
    const facts = await this.facts.forAction('identity:create_user', { userName: { name: b.name, domainId } });
    const { password: _secret, ...described } = b;
    this.authz.enforce(req, 'identity:create_user', { target: { user: described, ...facts } });
    if (!(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const defaultProjectId = USER_CREATE.check(body, { until: 'password' }).default_project_id ?? null;
    await this.requireNotDomain(defaultProjectId);
    const user = USER_CREATE.check(body);
    const u = await this.identity.createUser({
      name: user.name, domainId, password: user.password ?? undefined, enabled: user.enabled,
      defaultProjectId, options: user.options, extra: extrasOf(user, USER_CREATE, USER_EXTRAS_TOO),
    });
    return { user: await this.render(u, req) };
  }

  @Get(':id')
  async getUser(@Param('id') id: string, @Req() req: FastifyRequest) {
    await this.authorize(req, 'identity:get_user', id);
    return { user: await this.render(await this.load(id), req) };
  }

  @Patch(':id')
  async updateUser(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    // Keystone's order: what the policy needs, the policy and the 404, the id, the domain, the rest.
    const { name } = USER_UPDATE.check(body, { until: 'sameId' });
    const current = await this.authorize(req, 'identity:update_user', id, name);
    if (!current) throw new NotFoundError('user', id);
    const b = USER_UPDATE.check(body, { id, until: 'domain_id' });
    if (b.domain_id !== undefined && b.domain_id !== current.domainId) throw InvalidInputError.field('user/domain_id', 'can not be updated');
    const defaultProjectId = USER_UPDATE.check(body, { id, until: 'enabled' }).default_project_id;
    await this.requireNotDomain(defaultProjectId);
    const user = USER_UPDATE.check(body, { id });
    const u = await this.identity.updateUser(id, {
      name, enabled: user.enabled, password: user.password ?? undefined,
      defaultProjectId, options: user.options, extra: extrasOf(user, USER_UPDATE, USER_EXTRAS_TOO),
    });
    return { user: await this.render(u, req) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteUser(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorize(req, 'identity:delete_user', id);
    await this.identity.deleteUser(id);
  }

  /**
   * Self-service password change: the original password is the authentication, so a user whose
   * password has expired (and who can get no token) can still change it; 204. Counted by the
   * authentication rate limits and subject to lockout like a login.
   */
  @Public()
  @Post(':id/password')
  @HttpCode(204)
  async changePassword(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest): Promise<void> {
    this.rateLimiter.attempt(req.ip, id);
    const b = PASSWORD_CHANGE.check(body);
    await this.identity.changePassword(id, b.original_password, b.password, this.cfg.lockout);
  }

  @Get(':id/projects')
  async listUserProjects(@Param('id') id: string, @Query() q: Q, @Req() req: FastifyRequest) {
    await this.authorize(req, 'identity:list_user_projects', id, undefined, queryPick(q, ['domain_id', 'enabled', 'name']));
    await this.load(id);
    const base = baseUrl(req, this.cfg);
    const page = pageRequest(q, this.cfg, 'assignment');
    const found = await this.assignments.projectsOfUser(id, page.limit);
    const projects = await this.resources.withTags(found.items);
    return listBody('projects', found, projects.map((p) => renderProject(p, base)), req, this.cfg, page);
  }

  /**
   * Keystone's order: the stored user is the target (none when it does not exist, so only who
   * may act on any user learns that it is missing), then the policy, then the 404.
   */
  private async authorize(req: FastifyRequest, action: string, id: string, newName?: string, filters?: Record<string, string>): Promise<UserEntity | null> {
    const u = await this.identity.getUser(id);
    const facts = u ? await this.facts.forAction(action, { user: u, userName: { name: newName ?? u.name, domainId: u.domainId } }) : undefined;
    this.authz.enforce(req, action, { args: { user_id: id }, target: u ? { user: userTarget(u), ...facts } : {}, filters });
    return u;
  }

  /**
   * Keystone takes any `default_project_id`, even of a project that does not exist, except the
   * id of a domain (docs/keystone-resources-parity.md, "Users").
   */
  private async requireNotDomain(defaultProjectId: string | null | undefined): Promise<void> {
    if (defaultProjectId && (await this.resources.getProjectView(defaultProjectId))?.isDomain) {
      throw new InvalidInputError(`User's default project ID cannot be a domain ID: ${defaultProjectId}`);
    }
  }

  private async load(id: string): Promise<UserEntity> {
    const u = await this.identity.getUser(id);
    if (!u) throw new NotFoundError('user', id);
    return u;
  }

  private async render(u: UserEntity, req: FastifyRequest) {
    return renderUser(u, (await this.identity.currentPassword(u.id))?.expiresAt ?? null, baseUrl(req, this.cfg));
  }
}
