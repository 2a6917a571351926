import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { TokenService } from '@lintel/auth';
import {
  ENDPOINT_GROUP_FILTER_KEYS, EndpointFilterService, InvalidInputError, ResourceService, type EndpointGroupEntity, type EndpointGroupFilters,
} from '@lintel/domain';
import { queryText, type JsonObject } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { renderProject } from '../render.js';
import { ENDPOINT_GROUP_CREATE, ENDPOINT_GROUP_UPDATE } from './catalog-bodies.js';
import { renderEndpoint } from './catalog-render.js';

type Q = Record<string, unknown>;

/** Keystone's check after the policy decision: filters only on service, region and interface. */
function validFilters(filters: JsonObject): EndpointGroupFilters {
  if (Object.keys(filters).some((k) => !ENDPOINT_GROUP_FILTER_KEYS.includes(k))) {
    throw InvalidInputError.missing(ENDPOINT_GROUP_FILTER_KEYS.join(' or '), 'endpoint_group');
  }
  return filters as EndpointGroupFilters;
}

function renderGroup(g: EndpointGroupEntity, base: string) {
  return { id: g.id, name: g.name, description: g.description, filters: g.filters, links: { self: `${base}/v3/OS-EP-FILTER/endpoint_groups/${g.id}` } };
}

/**
 * OS-EP-FILTER (docs/keystone-catalog-extensions.md, "Endpoint filter"): endpoint groups, and
 * endpoints or endpoint groups associated with projects, whose token catalogs then show only
 * those endpoints. Every association change reaches new catalogs at once in this process (other
 * replicas within the catalog cache's 2 s).
 */
@Controller('v3/OS-EP-FILTER')
export class EndpointFilterController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly filter: EndpointFilterService,
    private readonly tokens: TokenService,
    private readonly authz: KeystonePolicy,
    private readonly resources: ResourceService,
  ) {}

  // Endpoint groups

  @Get('endpoint_groups')
  async listGroups(@Query() q: Q, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_endpoint_groups');
    const base = baseUrl(req, this.cfg);
    const groups = await this.filter.listGroups({ name: queryText(q, 'name') });
    return { endpoint_groups: groups.map((g) => renderGroup(g, base)), links: this.listLinks(req) };
  }

  @Post('endpoint_groups')
  async createGroup(@Body() body: unknown, @Req() req: FastifyRequest) {
    const g = ENDPOINT_GROUP_CREATE.check(body).endpoint_group;
    this.authz.enforce(req, 'identity:create_endpoint_group');
    // No `endpoint_group` at all gets here too (the schema requires it only of an update).
    if (!g || !Object.keys(g.filters).length) throw new InvalidInputError('filters field is required and cannot be empty');
    const created = await this.filter.createGroup({ name: g.name, description: g.description, filters: validFilters(g.filters) });
    return { endpoint_group: renderGroup(created, baseUrl(req, this.cfg)) };
  }

  @Get('endpoint_groups/:id')
  async getGroup(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_endpoint_group', { args: { endpoint_group_id: id } });
    return { endpoint_group: renderGroup(await this.filter.getGroup(id), baseUrl(req, this.cfg)) };
  }

  @Patch('endpoint_groups/:id')
  async updateGroup(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    const g = ENDPOINT_GROUP_UPDATE.check(body).endpoint_group;
    this.authz.enforce(req, 'identity:update_endpoint_group', { args: { endpoint_group_id: id } });
    const updated = await this.filter.updateGroup(id, {
      name: g.name, description: g.description,
      filters: g.filters === undefined ? undefined : validFilters(g.filters),
    });
    this.tokens.catalogChanged();
    return { endpoint_group: renderGroup(updated, baseUrl(req, this.cfg)) };
  }

  @Delete('endpoint_groups/:id')
  @HttpCode(204)
  async deleteGroup(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_endpoint_group', { args: { endpoint_group_id: id } });
    await this.filter.deleteGroup(id);
    this.tokens.catalogChanged();
  }

  @Get('endpoint_groups/:id/endpoints')
  async endpointsInGroup(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_endpoints_associated_with_endpoint_group', { args: { endpoint_group_id: id } });
    const base = baseUrl(req, this.cfg);
    return { endpoints: (await this.filter.endpointsInGroup(id)).map((e) => renderEndpoint(e, base)), links: this.listLinks(req) };
  }

  // Endpoint groups and projects

  @Get('endpoint_groups/:id/projects')
  async projectsOfGroup(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_projects_associated_with_endpoint_group', { args: { endpoint_group_id: id } });
    const base = baseUrl(req, this.cfg);
    return { projects: (await this.resources.withTags(await this.filter.projectsOfGroup(id))).map((p) => renderProject(p, base)), links: this.listLinks(req) };
  }

  @Get('endpoint_groups/:id/projects/:project')
  async groupInProject(@Param('id') id: string, @Param('project') projectId: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_endpoint_group_in_project', { args: { endpoint_group_id: id, project_id: projectId } });
    await this.filter.checkGroupInProject(id, projectId);
    // Keystone's self link of this association is a path without the base URL.
    return {
      project_endpoint_group: {
        endpoint_group_id: id, project_id: projectId, links: { self: `/OS-EP-FILTER/endpoint_groups/${id}/projects/${projectId}` },
      },
    };
  }

  @Put('endpoint_groups/:id/projects/:project')
  @HttpCode(204)
  async addGroupToProject(@Param('id') id: string, @Param('project') projectId: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:add_endpoint_group_to_project', { args: { endpoint_group_id: id, project_id: projectId } });
    await this.filter.addGroupToProject(id, projectId);
    this.tokens.catalogChanged();
  }

  @Delete('endpoint_groups/:id/projects/:project')
  @HttpCode(204)
  async removeGroupFromProject(@Param('id') id: string, @Param('project') projectId: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:remove_endpoint_group_from_project', { args: { endpoint_group_id: id, project_id: projectId } });
    await this.filter.removeGroupFromProject(id, projectId);
    this.tokens.catalogChanged();
  }

  @Get('projects/:id/endpoint_groups')
  async groupsOfProject(@Param('id') projectId: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_endpoint_groups_for_project', { args: { project_id: projectId } });
    const base = baseUrl(req, this.cfg);
    return { endpoint_groups: (await this.filter.groupsOfProject(projectId)).map((g) => renderGroup(g, base)), links: this.listLinks(req) };
  }

  // Endpoints and projects

  @Get('projects/:id/endpoints')
  async endpointsOfProject(@Param('id') projectId: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_endpoints_for_project', { args: { project_id: projectId } });
    const base = baseUrl(req, this.cfg);
    return { endpoints: (await this.filter.endpointsOfProject(projectId)).map((e) => renderEndpoint(e, base)), links: this.listLinks(req) };
  }

  @Get('projects/:id/endpoints/:endpoint')
  @HttpCode(204)
  async checkEndpointInProject(@Param('id') projectId: string, @Param('endpoint') endpointId: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:check_endpoint_in_project', { args: { project_id: projectId, endpoint_id: endpointId } });
    await this.filter.checkEndpointInProject(endpointId, projectId);
  }

  @Put('projects/:id/endpoints/:endpoint')
  @HttpCode(204)
  async addEndpointToProject(@Param('id') projectId: string, @Param('endpoint') endpointId: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:add_endpoint_to_project', { args: { project_id: projectId, endpoint_id: endpointId } });
    await this.filter.addEndpointToProject(endpointId, projectId);
    this.tokens.catalogChanged();
  }

  @Delete('projects/:id/endpoints/:endpoint')
  @HttpCode(204)
  async removeEndpointFromProject(@Param('id') projectId: string, @Param('endpoint') endpointId: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:remove_endpoint_from_project', { args: { project_id: projectId, endpoint_id: endpointId } });
    await this.filter.removeEndpointFromProject(endpointId, projectId);
    this.tokens.catalogChanged();
  }

  @Get('endpoints/:id/projects')
  async projectsOfEndpoint(@Param('id') endpointId: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_projects_for_endpoint', { args: { endpoint_id: endpointId } });
    const base = baseUrl(req, this.cfg);
    return { projects: (await this.resources.withTags(await this.filter.projectsOfEndpoint(endpointId))).map((p) => renderProject(p, base)), links: this.listLinks(req) };
  }

  private listLinks(req: FastifyRequest) {
    return { self: selfUrl(req, this.cfg), previous: null, next: null };
  }
}
