import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AuthRateLimiter, policy, Public, type Principal } from '@lintel/auth';
import { AssignmentService, DEFAULT_DOMAIN_ID, ForbiddenError, IdentityService, InvalidInputError, NotFoundError, ResourceService, type UserEntity } from '@lintel/domain';
import { queryBool, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderProject, renderUser } from '../render.js';
import { Access } from './access.js';
import { ResourceBody } from './resource-body.js';

type Q = Record<string, unknown>;
/** Readers of identity data under Keystone's default policy (§0.7): admin or a system reader. */
export const isReader = (p: Principal) => policy.isAdmin(p) || policy.isSystemReader(p);
const USER_FIELDS = ['name', 'domain_id', 'password', 'enabled', 'default_project_id', 'options'];

/** `description` and `email` are stored as extras, but a client that sends them means text. */
function checkUserExtras(b: ResourceBody): void {
  b.str('description', { max: 65535, nullable: true });
  b.str('email', { max: 255, nullable: true });
}

/** `/v3/users` (contract §7.1). Writes need admin; a user may read themself and change their own password. */
@Controller('v3/users')
export class UsersController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly rateLimiter: AuthRateLimiter,
  ) {}

  @Get()
  async listUsers(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = new Access(keystoneCaller(req)).listScope('identity:list_users');
    const asked = queryText(q, 'domain_id');
    const users = only && asked && asked !== only ? []
      : await this.identity.listUsers({ name: queryText(q, 'name'), domainId: only ?? asked, enabled: queryBool(q, 'enabled') });
    return { users: await Promise.all(users.map((u) => this.render(u, req))), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createUser(@Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const b = ResourceBody.of(body, 'user', USER_FIELDS);
    b.required('name');
    checkUserExtras(b);
    const scopedDomain = caller.scope && 'domain' in caller.scope ? caller.scope.domain : undefined;
    const domainId = b.str('domain_id', { max: 64 }) ?? scopedDomain ?? DEFAULT_DOMAIN_ID;
    new Access(caller).require(new Access(caller).manages(domainId), 'identity:create_user');
    if (!(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const u = await this.identity.createUser({
      name: b.str('name')!, domainId, password: b.str('password', { max: 4096 }) ?? undefined, enabled: b.bool('enabled'),
      defaultProjectId: b.str('default_project_id', { max: 64, nullable: true }) ?? null, options: b.userOptions(), extra: b.extras(),
    });
    return { user: await this.render(u, req) };
  }

  @Get(':id')
  async getUser(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const u = await this.load(id);
    new Access(caller).require(new Access(caller).reads(u.domainId) || caller.userId === id, 'identity:get_user');
    return { user: await this.render(u, req) };
  }

  @Patch(':id')
  async updateUser(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const access = new Access(keystoneCaller(req));
    await access.requireConfined(this.assignments, await this.assignments.actorsOf(id), (await this.load(id)).domainId, 'identity:update_user');
    const b = ResourceBody.of(body, 'user', USER_FIELDS);
    b.nonEmpty();
    checkUserExtras(b);
    b.sameId(id);
    if (b.has('domain_id') && b.o.domain_id !== (await this.load(id)).domainId) throw InvalidInputError.field('user/domain_id', 'can not be updated');
    const u = await this.identity.updateUser(id, {
      name: b.str('name') ?? undefined, enabled: b.bool('enabled'), password: b.str('password', { max: 4096 }) ?? undefined,
      defaultProjectId: b.has('default_project_id') ? b.str('default_project_id', { max: 64, nullable: true }) : undefined,
      options: b.userOptions(), extra: b.extras(),
    });
    return { user: await this.render(u, req) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteUser(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    const access = new Access(keystoneCaller(req));
    await access.requireConfined(this.assignments, await this.assignments.actorsOf(id), (await this.load(id)).domainId, 'identity:delete_user');
    await this.identity.deleteUser(id);
  }

  /**
   * Self-service password change (§7.1, §8.1): the original password is the authentication, so a
   * user whose password has expired (and who can get no token) can still change it; 204. Counted
   * by the authentication rate limits and subject to lockout like a login.
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
  async listUserProjects(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const u = await this.load(id);
    new Access(caller).require(new Access(caller).reads(u.domainId) || caller.userId === id, 'identity:list_user_projects');
    const base = baseUrl(req, this.cfg);
    const projects = await this.assignments.projectsOfUser(id);
    return { projects: projects.map((p) => renderProject(p, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
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
