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
import { ResourceBody } from './resource-body.js';

type Q = Record<string, unknown>;
const USER_FIELDS = ['name', 'domain_id', 'password', 'enabled', 'default_project_id', 'options'];
const LIST_FILTERS = ['domain_id', 'enabled', 'idp_id', 'name', 'protocol_id', 'unique_id', 'password_expires_at'];

/** `description` and `email` are stored as extras, but a client that sends them means text. */
function checkUserExtras(b: ResourceBody): void {
  b.str('description', { max: 65535, nullable: true });
  b.str('email', { max: 255, nullable: true });
}

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
    const b = ResourceBody.of(body, 'user', USER_FIELDS);
    b.required('name');
    checkUserExtras(b);
    const name = b.str('name')!;
    const asked = b.str('domain_id', { max: 64 }) ?? undefined;
    const caller = keystoneCaller(req);
    const domainId = asked ?? scopedDomain(caller) ?? DEFAULT_DOMAIN_ID;
    const facts = await this.facts.forAction('identity:create_user', { userName: { name, domainId } });
    const { password: _secret, ...described } = b.o;
    this.authz.enforce(req, 'identity:create_user', { target: { user: described, ...facts } });
    if (!(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const defaultProjectId = b.str('default_project_id', { max: 64, nullable: true }) ?? null;
    await this.requireNotDomain(defaultProjectId);
    const u = await this.identity.createUser({
      name, domainId, password: b.str('password', { max: 4096, nullable: true }) ?? undefined, enabled: b.bool('enabled'),
      defaultProjectId, options: b.userOptions(), extra: b.extras(),
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
    const b = ResourceBody.of(body, 'user', USER_FIELDS);
    b.nonEmpty();
    checkUserExtras(b);
    const name = b.str('name') ?? undefined;
    const current = await this.authorize(req, 'identity:update_user', id, name);
    if (!current) throw new NotFoundError('user', id);
    b.sameId(id);
    if (b.has('domain_id') && b.o.domain_id !== current.domainId) throw InvalidInputError.field('user/domain_id', 'can not be updated');
    const defaultProjectId = b.has('default_project_id') ? b.str('default_project_id', { max: 64, nullable: true }) : undefined;
    await this.requireNotDomain(defaultProjectId);
    const u = await this.identity.updateUser(id, {
      name, enabled: b.bool('enabled'), password: b.str('password', { max: 4096, nullable: true }) ?? undefined,
      defaultProjectId, options: b.userOptions(), extra: b.extras(),
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
    const b = ResourceBody.of(body, 'user', ['original_password', 'password']);
    b.required('original_password');
    b.required('password');
    await this.identity.changePassword(id, b.str('original_password', { max: 4096 })!, b.str('password', { max: 4096 })!, this.cfg.lockout);
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
