import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PolicyFacts, scopedDomain } from '@lintel/auth';
import { DEFAULT_DOMAIN_ID, InvalidInputError, NotFoundError, ResourceService, type ProjectEntity } from '@lintel/domain';
import { queryBool, queryPick, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller, KeystonePolicy } from '../keystone-caller.js';
import { renderProject } from '../render.js';
import { projectTarget } from '../targets.js';
import { ResourceBody } from './resource-body.js';

type Q = Record<string, unknown>;
const PROJECT_FIELDS = ['name', 'domain_id', 'parent_id', 'description', 'enabled', 'is_domain', 'tags', 'options'];

/** `/v3/projects` (docs/keystone.md, "Projects"), authorized by the policy's `identity:*_project` rules. */
@Controller('v3/projects')
export class ProjectsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
    private readonly facts: PolicyFacts,
  ) {}

  @Get()
  async listProjects(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = scopedDomain(keystoneCaller(req));
    this.authz.enforce(req, 'identity:list_projects', {
      target: only ? { domain_id: only } : undefined, filters: queryPick(q, ['domain_id', 'enabled', 'name', 'parent_id', 'is_domain']),
    });
    const asked = queryText(q, 'domain_id') ?? only;
    const base = baseUrl(req, this.cfg);
    const projects = only && asked !== only ? [] : await this.resources.listProjects({
      name: queryText(q, 'name'), domainId: asked, parentId: queryText(q, 'parent_id'),
      enabled: queryBool(q, 'enabled'),
    });
    return { projects: projects.map((p) => renderProject(p, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createProject(@Body() body: unknown, @Req() req: FastifyRequest) {
    const b = ResourceBody.of(body, 'project', PROJECT_FIELDS);
    b.required('name');
    if (b.bool('is_domain')) throw new InvalidInputError('Projects acting as domains are not supported by this server.');
    const scoped = scopedDomain(keystoneCaller(req));
    const named = b.str('domain_id', { max: 64 }) ?? undefined;
    const facts = await this.facts.forAction('identity:create_project', { project: { name: b.str('name')!, domainId: named ?? scoped ?? DEFAULT_DOMAIN_ID } });
    this.authz.enforce(req, 'identity:create_project', { target: { project: b.o, ...facts } });
    let domainId = named;
    const parentId = b.str('parent_id', { max: 64, nullable: true }) ?? undefined;
    if (parentId) {
      const parent = await this.resources.getProject(parentId);
      if (!parent) throw new NotFoundError('project', parentId);
      if (domainId && domainId !== parent.domainId) throw new InvalidInputError('The project and its parent must be in the same domain.');
      domainId = parent.domainId;
    }
    domainId ??= scoped ?? DEFAULT_DOMAIN_ID;
    const p = await this.resources.createProject({
      name: b.str('name')!, domainId, parentId, description: b.str('description', { max: 65535, nullable: true }),
      enabled: b.bool('enabled'), tags: b.strings('tags'), extra: b.extras(),
    });
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getProject(@Param('id') id: string, @Req() req: FastifyRequest) {
    await this.authorize(req, 'identity:get_project', id);
    return { project: renderProject(await this.load(id), baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateProject(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const b = ResourceBody.of(body, 'project', PROJECT_FIELDS);
    const current = await this.authorize(req, 'identity:update_project', id, b.str('name') ?? undefined);
    if (!current) throw new NotFoundError('project', id);
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
    await this.authorize(req, 'identity:delete_project', id);
    await this.resources.deleteProject(id);
  }

  /**
   * Keystone's order: the stored project is the target (none when missing: a 403 before any 404
   * for who may not act on any project), then the policy. A rename is judged on the new name too.
   */
  private async authorize(req: FastifyRequest, action: string, id: string, newName?: string): Promise<ProjectEntity | null> {
    const p = await this.resources.getProject(id);
    let facts = p ? await this.facts.forAction(action, { project: p }) : undefined;
    if (p && facts && newName !== undefined && !facts.lintel.project_is_admin_project) {
      facts = { lintel: { ...facts.lintel, project_is_admin_project: await this.facts.isAdminProjectName(newName, p.domainId) } };
    }
    this.authz.enforce(req, action, { args: { project_id: id }, target: p ? { project: projectTarget(p), ...facts } : {} });
    return p;
  }

  private async load(id: string) {
    const p = await this.resources.getProject(id);
    if (!p) throw new NotFoundError('project', id);
    return p;
  }
}
