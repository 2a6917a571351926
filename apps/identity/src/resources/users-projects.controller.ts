import { Controller, Get, Inject, Param, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy, type Principal } from '@lintel/auth';
import { AssignmentService, ForbiddenError, IdentityService, NotFoundError, ResourceService } from '@lintel/domain';
import { queryFlag } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderProject, renderUser } from '../render.js';

type Q = Record<string, unknown>;
const text = (q: Q, k: string) => (typeof q[k] === 'string' ? (q[k] as string) : undefined);
const flag = (q: Q, k: string) => (q[k] === undefined ? undefined : queryFlag(q, k));
const reader = (p: Principal) => policy.isAdmin(p) || policy.isSystemReader(p);

/**
 * The read side of users and projects that clients need to resolve names and ids (the openstack
 * CLI looks a user or project up before acting on it). Writes arrive with the admin API issue.
 */
@Controller('v3')
export class UsersProjectsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
  ) {}

  @Get('users')
  async listUsers(@Query() q: Q, @Req() req: FastifyRequest) {
    if (!reader(keystoneCaller(req))) throw new ForbiddenError('identity:list_users');
    const base = baseUrl(req, this.cfg);
    const users = await this.identity.listUsers({ name: text(q, 'name'), domainId: text(q, 'domain_id'), enabled: flag(q, 'enabled') });
    const rendered = await Promise.all(users.map(async (u) => renderUser(u, (await this.identity.currentPassword(u.id))?.expiresAt ?? null, base)));
    return { users: rendered, links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Get('users/:id')
  async getUser(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    if (!reader(caller) && caller.userId !== id) throw new ForbiddenError('identity:get_user');
    const u = await this.identity.getUser(id);
    if (!u) throw new NotFoundError('user', id);
    return { user: renderUser(u, (await this.identity.currentPassword(u.id))?.expiresAt ?? null, baseUrl(req, this.cfg)) };
  }

  @Get('users/:id/projects')
  async listUserProjects(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    if (!reader(caller) && caller.userId !== id) throw new ForbiddenError('identity:list_user_projects');
    if (!(await this.identity.getUser(id))) throw new NotFoundError('user', id);
    const base = baseUrl(req, this.cfg);
    const projects = await this.assignments.projectsOfUser(id);
    return { projects: projects.map((p) => renderProject(p, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Get('projects')
  async listProjects(@Query() q: Q, @Req() req: FastifyRequest) {
    if (!reader(keystoneCaller(req))) throw new ForbiddenError('identity:list_projects');
    const base = baseUrl(req, this.cfg);
    const projects = await this.resources.listProjects({ name: text(q, 'name'), domainId: text(q, 'domain_id'), enabled: flag(q, 'enabled'), parentId: text(q, 'parent_id') });
    return { projects: projects.map((p) => renderProject(p, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Get('projects/:id')
  async getProject(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    if (!reader(caller) && policy.projectId(caller) !== id) throw new ForbiddenError('identity:get_project');
    const p = await this.resources.getProject(id);
    if (!p) throw new NotFoundError('project', id);
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }
}
