import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy } from '@lintel/auth';
import { DEFAULT_DOMAIN_ID, InvalidInputError, NotFoundError, ResourceService } from '@lintel/domain';
import { queryBool, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderProject } from '../render.js';
import { ResourceBody } from './resource-body.js';
import { Access, isAdminProject } from './access.js';

type Q = Record<string, unknown>;
const PROJECT_FIELDS = ['name', 'domain_id', 'parent_id', 'description', 'enabled', 'is_domain', 'tags', 'options'];

/** `/v3/projects` (contract §7.3). Writes need admin; a project-scoped token reads its project. */
@Controller('v3/projects')
export class ProjectsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly resources: ResourceService,
  ) {}

  @Get()
  async listProjects(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = new Access(keystoneCaller(req)).listScope('identity:list_projects');
    const asked = queryText(q, 'domain_id');
    const base = baseUrl(req, this.cfg);
    const projects = only && asked && asked !== only ? [] : await this.resources.listProjects({
      name: queryText(q, 'name'), domainId: only ?? asked, parentId: queryText(q, 'parent_id'),
      enabled: queryBool(q, 'enabled'),
    });
    return { projects: projects.map((p) => renderProject(p, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createProject(@Body() body: unknown, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const b = ResourceBody.of(body, 'project', PROJECT_FIELDS);
    b.required('name');
    if (b.bool('is_domain')) throw new InvalidInputError('Projects acting as domains are not supported by this server.');
    let domainId = b.str('domain_id', { max: 64 }) ?? undefined;
    const parentId = b.str('parent_id', { max: 64, nullable: true }) ?? undefined;
    if (parentId) {
      const parent = await this.resources.getProject(parentId);
      if (!parent) throw new NotFoundError('project', parentId);
      if (domainId && domainId !== parent.domainId) throw new InvalidInputError('The project and its parent must be in the same domain.');
      domainId = parent.domainId;
    }
    const scoped = caller.scope && 'domain' in caller.scope ? caller.scope.domain : undefined;
    domainId ??= scoped ?? DEFAULT_DOMAIN_ID;
    const access = new Access(caller);
    access.require(access.manages(domainId), 'identity:create_project');
    // Whoever holds admin on the admin project is a cloud administrator: only they may make one.
    access.require(access.cloudAdmin || !(await isAdminProject(this.cfg, this.resources, b.str('name')!, domainId)), 'identity:create_project');
    const p = await this.resources.createProject({
      name: b.str('name')!, domainId, parentId, description: b.str('description', { max: 65535, nullable: true }),
      enabled: b.bool('enabled'), tags: b.strings('tags'), extra: b.extras(),
    });
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getProject(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const p = await this.load(id);
    new Access(caller).require(new Access(caller).reads(p.domainId) || policy.projectId(caller) === id, 'identity:get_project');
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateProject(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const access = new Access(keystoneCaller(req));
    const current = await this.load(id);
    access.require(access.manages(current.domainId), 'identity:update_project');
    const b = ResourceBody.of(body, 'project', PROJECT_FIELDS);
    const adminProject = async (name: string) => isAdminProject(this.cfg, this.resources, name, current.domainId);
    access.require(access.cloudAdmin || (!(await adminProject(current.name)) && !(await adminProject(b.str('name') ?? current.name))), 'identity:update_project');
    b.nonEmpty();
    b.sameId(id);
    // Keystone refuses to move a project or change its nature.
    for (const [key, was] of [['domain_id', current.domainId], ['parent_id', current.parentId], ['is_domain', current.isDomain]] as const) {
      if (b.has(key) && b.o[key] !== was) throw InvalidInputError.field(`project/${key}`, 'can not be updated');
    }
    const p = await this.resources.updateProject(id, {
      name: b.str('name') ?? undefined, description: b.has('description') ? b.str('description', { max: 65535, nullable: true }) : undefined,
      enabled: b.bool('enabled'), tags: b.strings('tags'), extra: b.extras(),
    });
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteProject(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    const access = new Access(keystoneCaller(req));
    const p = await this.load(id);
    access.require(access.manages(p.domainId) && (access.cloudAdmin || !(await isAdminProject(this.cfg, this.resources, p.name, p.domainId))), 'identity:delete_project');
    await this.resources.deleteProject(id);
  }

  private async load(id: string) {
    const p = await this.resources.getProject(id);
    if (!p) throw new NotFoundError('project', id);
    return p;
  }
}
