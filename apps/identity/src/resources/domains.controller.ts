import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { scopedDomain } from '@lintel/auth';
import { NotFoundError, ResourceService } from '@lintel/domain';
import { queryBool, queryPick, queryText } from '@lintel/platform';
import { baseUrl } from '../base-url.js';
import { keystoneCaller, KeystonePolicy } from '../keystone-caller.js';
import { renderDomain } from '../render.js';
import { domainTarget } from '../targets.js';
import { textMatches } from './list-filters.js';
import { listBody, pageRequest } from './pagination.js';
import { extrasOf } from '../request-schema.js';
import { DOMAIN_CREATE, DOMAIN_UPDATE } from './resource-bodies.js';

type Q = Record<string, unknown>;

/** `/v3/domains` (docs/keystone-resources-parity.md), authorized by the policy's `identity:*_domain` rules. */
@Controller('v3/domains')
export class DomainsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listDomains(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = scopedDomain(keystoneCaller(req));
    this.authz.enforce(req, 'identity:list_domains', { target: only ? { domain: { id: only } } : undefined, filters: queryPick(q, ['name', 'enabled']) });
    const match = textMatches(q, ['name'], ['enabled']);
    const base = baseUrl(req, this.cfg);
    const page = pageRequest(q, this.cfg, 'resource');
    const domains = await this.resources.listDomains({ name: queryText(q, 'name'), enabled: queryBool(q, 'enabled'), match, ...(only ? { id: only } : {}) }, page);
    return listBody('domains', domains, domains.items.map((d) => renderDomain(d, base)), req, this.cfg, page);
  }

  @Post()
  async createDomain(@Body() body: unknown, @Req() req: FastifyRequest) {
    const b = DOMAIN_CREATE.check(body);
    const fields = { id: b.explicit_domain_id, name: b.name, description: b.description, enabled: b.enabled, tags: b.tags, extra: extrasOf(b, DOMAIN_CREATE) };
    this.authz.enforce(req, 'identity:create_domain');
    const d = await this.resources.createDomain(fields);
    return { domain: renderDomain(d, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getDomain(@Param('id') id: string, @Req() req: FastifyRequest) {
    const d = await this.resources.getDomainView(id);
    this.authz.enforce(req, 'identity:get_domain', { args: { domain_id: id }, target: d ? { domain: domainTarget(d) } : {} });
    if (!d) throw new NotFoundError('domain', id);
    return { domain: renderDomain(d, baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateDomain(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    DOMAIN_UPDATE.check(body, { until: 'minProperties' });
    this.authz.enforce(req, 'identity:update_domain', { args: { domain_id: id } });
    const b = DOMAIN_UPDATE.check(body, { id });
    const d = await this.resources.updateDomain(id, { name: b.name, description: b.description, enabled: b.enabled, tags: b.tags, extra: extrasOf(b, DOMAIN_UPDATE) });
    return { domain: renderDomain(d, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteDomain(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_domain', { args: { domain_id: id } });
    await this.resources.deleteDomain(id);
  }
}
