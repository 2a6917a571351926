import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy } from '@lintel/auth';
import { ForbiddenError, NotFoundError, ResourceService } from '@lintel/domain';
import { queryBool, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderDomain } from '../render.js';
import { ResourceBody } from './resource-body.js';
import { Access } from './access.js';

type Q = Record<string, unknown>;
const DOMAIN_FIELDS = ['name', 'description', 'enabled', 'tags', 'options', 'explicit_domain_id'];

/** `/v3/domains` (contract §7.2). Writes need admin; a domain-scoped token reads its domain. */
@Controller('v3/domains')
export class DomainsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly resources: ResourceService,
  ) {}

  @Get()
  async listDomains(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = new Access(keystoneCaller(req)).listScope('identity:list_domains');
    const base = baseUrl(req, this.cfg);
    const all = await this.resources.listDomains({
      name: queryText(q, 'name'), enabled: queryBool(q, 'enabled'),
    });
    const domains = only ? all.filter((d) => d.id === only) : all;
    return { domains: domains.map((d) => renderDomain(d, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createDomain(@Body() body: unknown, @Req() req: FastifyRequest) {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:create_domain');
    const b = ResourceBody.of(body, 'domain', DOMAIN_FIELDS);
    b.required('name');
    const d = await this.resources.createDomain({
      id: b.str('explicit_domain_id', { max: 64 }) ?? undefined, name: b.str('name')!,
      description: b.str('description', { max: 65535, nullable: true }), enabled: b.bool('enabled'),
      tags: b.strings('tags'), extra: b.extras(),
    });
    return { domain: renderDomain(d, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getDomain(@Param('id') id: string, @Req() req: FastifyRequest) {
    const caller = keystoneCaller(req);
    const scoped = caller.scope && 'domain' in caller.scope ? caller.scope.domain : undefined;
    if (!new Access(caller).reads(id) && scoped !== id) throw new ForbiddenError('identity:get_domain');
    const d = await this.resources.getDomain(id);
    if (!d) throw new NotFoundError('domain', id);
    return { domain: renderDomain(d, baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateDomain(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:update_domain');
    const b = ResourceBody.of(body, 'domain', DOMAIN_FIELDS);
    b.nonEmpty();
    b.sameId(id);
    const d = await this.resources.updateDomain(id, {
      name: b.str('name') ?? undefined, description: b.has('description') ? b.str('description', { max: 65535, nullable: true }) : undefined,
      enabled: b.bool('enabled'),
    });
    return { domain: renderDomain(d, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteDomain(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:delete_domain');
    await this.resources.deleteDomain(id);
  }
}
