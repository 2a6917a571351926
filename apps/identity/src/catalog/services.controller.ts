import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { CatalogService, NotFoundError } from '@lintel/domain';
import { queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { extrasOf } from '../request-schema.js';
import { SERVICE_CREATE, SERVICE_UPDATE } from './catalog-bodies.js';
import { renderService } from './catalog-render.js';

type Q = Record<string, unknown>;

/**
 * `/v3/services` (docs/keystone.md, "Catalog administration"). Writes need admin; reads admin or a system reader. A new or
 * changed service reaches new tokens' catalogs within the token service's 2 s catalog cache.
 */
@Controller('v3/services')
export class ServicesController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly catalog: CatalogService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listServices(@Query() q: Q, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_services');
    const base = baseUrl(req, this.cfg);
    const services = await this.catalog.listServices({ type: queryText(q, 'type'), name: queryText(q, 'name') });
    return { services: services.map((s) => renderService(s, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createService(@Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:create_service');
    const b = SERVICE_CREATE.check(body);
    const s = await this.catalog.createService({ type: b.type, name: b.name, description: b.description, enabled: b.enabled, extra: extrasOf(b, SERVICE_CREATE) });
    return { service: renderService(s, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getService(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_service', { args: { service_id: id } });
    const s = await this.catalog.getService(id);
    if (!s) throw new NotFoundError('service', id);
    return { service: renderService(s, baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateService(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:update_service', { args: { service_id: id } });
    const b = SERVICE_UPDATE.check(body, { id });
    const s = await this.catalog.updateService(id, { type: b.type, name: b.name, description: b.description, enabled: b.enabled, extra: extrasOf(b, SERVICE_UPDATE) });
    return { service: renderService(s, baseUrl(req, this.cfg)) };
  }

  /** Deletes the service and its endpoints (one transaction). */
  @Delete(':id')
  @HttpCode(204)
  async deleteService(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_service', { args: { service_id: id } });
    await this.catalog.deleteService(id);
  }
}
