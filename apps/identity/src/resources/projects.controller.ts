import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PolicyFacts, scopedDomain } from '@lintel/auth';
import {
  checkTag, checkTagList, DEFAULT_DOMAIN_ID, DomainError, domainAsProject, InvalidInputError, NotFoundError, ResourceService,
  type ProjectView,
} from '@lintel/domain';
import { queryBool, queryPick, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller, KeystonePolicy } from '../keystone-caller.js';
import { renderProject } from '../render.js';
import { projectTarget } from '../targets.js';
import { tagFilters, textMatches } from './list-filters.js';
import { listBody, pageRequest } from './pagination.js';
import { extrasOf } from '../request-schema.js';
import { PROJECT_CREATE, PROJECT_TAGS, PROJECT_UPDATE } from './resource-bodies.js';

type Q = Record<string, unknown>;
const LIST_FILTERS = ['domain_id', 'enabled', 'name', 'parent_id', 'is_domain'];

/**
 * `/v3/projects` and `/v3/projects/{id}/tags` (docs/keystone-resources-parity.md), authorized by
 * the policy's `identity:*_project` and `identity:*_project_tag(s)` rules. A domain is also the
 * project acting as it: it is listed with `is_domain=true` and can be read, changed, tagged and
 * deleted here.
 */
@Controller('v3/projects')
export class ProjectsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
    private readonly facts: PolicyFacts,
  ) {}

  /** Regular projects unless `is_domain` is given (Keystone's default); a domain-scoped token sees its domain's only. */
  @Get()
  async listProjects(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = scopedDomain(keystoneCaller(req));
    this.authz.enforce(req, 'identity:list_projects', { target: only ? { domain_id: only } : undefined, filters: queryPick(q, LIST_FILTERS) });
    const match = textMatches(q, ['name', 'domain_id', 'parent_id'], ['enabled', 'is_domain']);
    const asked = queryText(q, 'domain_id') ?? only;
    const base = baseUrl(req, this.cfg);
    const page = pageRequest(q, this.cfg, 'resource', { marker: true });
    const projects = only && asked !== only ? { items: [], truncated: false } : await this.resources.listProjects({
      name: queryText(q, 'name'), domainId: asked, parentId: queryText(q, 'parent_id'), enabled: queryBool(q, 'enabled'),
      isDomain: queryBool(q, 'is_domain') ?? false, tags: tagFilters(q), match,
    }, page);
    return listBody('projects', projects, projects.items.map((p) => renderProject(p, base)), req, this.cfg, page, { marker: true });
  }

  /**
   * The body is checked first, then the policy (which sees the body as sent), then Keystone's
   * rules on where the project goes: an unknown domain or parent is a 400. With `is_domain` the
   * project is a domain: a root, without domain or parent.
   */
  @Post()
  async createProject(@Body() body: unknown, @Req() req: FastifyRequest) {
    const b = PROJECT_CREATE.check(body);
    const { name } = b;
    const isDomain = b.is_domain ?? false;
    const named = b.domain_id ?? undefined;
    const parentId = b.parent_id ?? undefined;
    const fields = { name, description: b.description, enabled: b.enabled, tags: b.tags, extra: extrasOf(b, PROJECT_CREATE) };
    const scoped = scopedDomain(keystoneCaller(req));
    const facts = await this.facts.forAction('identity:create_project', { project: { name, domainId: named ?? scoped ?? DEFAULT_DOMAIN_ID } });
    this.authz.enforce(req, 'identity:create_project', { target: { project: b, ...facts } });
    const base = baseUrl(req, this.cfg);
    if (isDomain) {
      if (named || parentId) throw new InvalidInputError('only root projects are allowed to act as domains.');
      return { project: renderProject(domainAsProject(await this.resources.createDomain(fields)), base) };
    }
    const p = await this.resources.createProject({ ...fields, domainId: named ?? scoped ?? DEFAULT_DOMAIN_ID, parentId });
    return { project: renderProject(p, base) };
  }

  @Get(':id')
  async getProject(@Param('id') id: string, @Req() req: FastifyRequest) {
    const p = await this.authorize(req, 'identity:get_project', id);
    if (!p) throw new NotFoundError('project', id);
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }

  /** Keystone's order: body, policy on the stored project, 404, then what may not change. */
  @Patch(':id')
  async updateProject(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const { name } = PROJECT_UPDATE.check(body, { until: 'minProperties' });
    const current = await this.authorize(req, 'identity:update_project', id, name);
    if (!current) throw new NotFoundError('project', id);
    const b = PROJECT_UPDATE.check(body, { id });
    if (b.domain_id !== undefined && b.domain_id !== current.domainId) throw new InvalidInputError('Cannot change Domain ID');
    if (b.parent_id !== undefined && b.parent_id !== current.parentId) throw new DomainError('Forbidden', 'Update of `parent_id` is not allowed.');
    if (b.is_domain !== undefined && b.is_domain !== current.isDomain) throw new InvalidInputError('Update of `is_domain` is not allowed.');
    const p = await this.resources.updateProject(id, { name, description: b.description, enabled: b.enabled, tags: b.tags, extra: extrasOf(b, PROJECT_UPDATE) });
    return { project: renderProject(p, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteProject(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorize(req, 'identity:delete_project', id);
    await this.resources.deleteProject(id);
  }

  // ------------------------------------------------------------------ tags

  /** GET and HEAD. */
  @Get(':id/tags')
  async listTags(@Param('id') id: string, @Req() req: FastifyRequest) {
    const p = await this.authorize(req, 'identity:list_project_tags', id);
    if (!p) throw new NotFoundError('project', id);
    return { tags: p.tags, links: { self: selfUrl(req, this.cfg) } };
  }

  /**
   * Replaces every tag. The body (`{"tags": [...]}`, nothing else) and each tag are checked
   * before the policy, the list as a whole (80 at most, no repeats) after it, as Keystone does;
   * tags are stored stripped of surrounding white space.
   */
  @Put(':id/tags')
  async replaceTags(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const o = PROJECT_TAGS.check(body);
    const p = await this.authorize(req, 'identity:update_project_tags', id);
    const tags = checkTagList(o.tags ?? {});
    if (!p) throw new NotFoundError('project', id);
    return { tags: await this.resources.replaceTags(id, tags.map((t) => t.trim())), links: { self: selfUrl(req, this.cfg) } };
  }

  @Delete(':id/tags')
  @HttpCode(204)
  async deleteTags(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    if (!(await this.authorize(req, 'identity:delete_project_tags', id))) throw new NotFoundError('project', id);
    await this.resources.removeAllTags(id);
  }

  /** GET and HEAD: 204 when the project has the tag (compared exactly), else 404. */
  @Get(':id/tags/:tag')
  @HttpCode(204)
  async checkTag(@Param('id') id: string, @Param('tag') tag: string, @Req() req: FastifyRequest): Promise<void> {
    if (!(await this.authorize(req, 'identity:get_project_tag', id, undefined, tag))) throw new NotFoundError('project', id);
    if (!(await this.resources.hasTag(id, tag))) throw new NotFoundError('project tag', tag);
  }

  /** Adds one tag (stored stripped): 201 with its URL, no body; the tag checked after the policy, as Keystone. */
  @Put(':id/tags/:tag')
  @HttpCode(201)
  async addTag(@Param('id') id: string, @Param('tag') tag: string, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<void> {
    const p = await this.authorize(req, 'identity:create_project_tag', id, undefined, tag);
    checkTag(tag);
    if (!p) throw new NotFoundError('project', id);
    const name = tag.trim();
    await this.resources.addTag(id, name);
    reply.header('Location', `${baseUrl(req, this.cfg)}/v3/projects/${id}/tags/${encodeURIComponent(name)}`);
  }

  @Delete(':id/tags/:tag')
  @HttpCode(204)
  async deleteTag(@Param('id') id: string, @Param('tag') tag: string, @Req() req: FastifyRequest): Promise<void> {
    if (!(await this.authorize(req, 'identity:delete_project_tag', id, undefined, tag))) throw new NotFoundError('project', id);
    await this.resources.removeTag(id, tag);
  }

  /**
   * Keystone's order: the stored project (or domain acting as one) is the target, none when
   * missing (a 403 before any 404 for who may not act on any project), then the policy. A
   * rename is judged on the new name too.
   */
  private async authorize(req: FastifyRequest, action: string, id: string, newName?: string, value?: string): Promise<ProjectView | null> {
    const p = await this.resources.getProjectView(id);
    const regular = p && !p.isDomain ? { name: p.name, domainId: p.domainId! } : null;
    let facts = regular ? await this.facts.forAction(action, { project: regular }) : undefined;
    if (regular && facts && newName !== undefined && !facts.lintel.project_is_admin_project) {
      facts = { lintel: { ...facts.lintel, project_is_admin_project: await this.facts.isAdminProjectName(newName.trim(), regular.domainId) } };
    }
    const args = value === undefined ? { project_id: id } : { project_id: id, value };
    this.authz.enforce(req, action, { args, target: p ? { project: projectTarget(p), ...facts } : {} });
    return p;
  }
}
