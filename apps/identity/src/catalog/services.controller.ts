import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { CatalogService, InvalidInputError, NotFoundError } from '@lintel/domain';
import { queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { ResourceBody } from '../resources/resource-body.js';
import { renderService } from './catalog-render.js';

type Q = Record<string, unknown>;
const SERVICE_FIELDS = ['type', 'name', 'description', 'enabled'];

/** The service `type`: a non-empty string of at most 255 characters (Keystone's schema). */
function serviceType(b: ResourceBody): string | undefined {
  const type = b.str('type');
  if (type === null) throw InvalidInputError.field('service/type', "None is not of type 'string'");
  if (type === '') throw InvalidInputError.field('service/type', "'' is too short");
  return type;
}

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
    const b = ResourceBody.of(body, 'service', SERVICE_FIELDS);
    b.required('type');
    const s = await this.catalog.createService({
      type: serviceType(b)!, name: b.str('name', { nullable: true }), description: b.str('description', { max: 65535, nullable: true }),
      enabled: b.bool('enabled'), extra: b.extras(),
    });
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
    const b = ResourceBody.of(body, 'service', SERVICE_FIELDS);
    b.nonEmpty();
    b.sameId(id);
    const s = await this.catalog.updateService(id, {
      type: serviceType(b), name: b.str('name', { nullable: true }), description: b.str('description', { max: 65535, nullable: true }),
      enabled: b.bool('enabled'), extra: b.extras(),
    });
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
