import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { CatalogService, NotFoundError, type EndpointInterface, type EndpointPatch } from '@lintel/domain';
import { queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { extrasOf } from '../request-schema.js';
import { ENDPOINT_CREATE, ENDPOINT_UPDATE, isInterface } from './catalog-bodies.js';
import { renderEndpoint } from './catalog-render.js';

type Q = Record<string, unknown>;

/** The attributes of an endpoint create/update, as the service takes them. */
const endpointFields = (b: ReturnType<typeof ENDPOINT_UPDATE.check>): EndpointPatch => ({
  serviceId: b.service_id, interface: b.interface as EndpointInterface | undefined, url: b.url, regionId: b.region_id, legacyRegion: b.region,
  enabled: b.enabled, extra: extrasOf(b, ENDPOINT_UPDATE),
});

/**
 * `/v3/endpoints` (docs/keystone.md, "Catalog administration"). Writes need admin; reads admin or a system reader. The legacy
 * `region` attribute (sent by python-keystoneclient) stands for `region_id` and, as in Keystone,
 * creates the region when missing; `region_id` must name an existing region.
 */
@Controller('v3/endpoints')
export class EndpointsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly catalog: CatalogService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listEndpoints(@Query() q: Q, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_endpoints');
    const iface = queryText(q, 'interface');
    // Keystone filters on the value as given: an interface no endpoint can have matches none (200, empty).
    const endpoints = iface !== undefined && !isInterface(iface) ? [] : await this.catalog.listEndpoints({
      serviceId: queryText(q, 'service_id'), regionId: queryText(q, 'region_id'), interface: iface as EndpointInterface | undefined,
    });
    const base = baseUrl(req, this.cfg);
    return { endpoints: endpoints.map((e) => renderEndpoint(e, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createEndpoint(@Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:create_endpoint');
    const b = ENDPOINT_CREATE.check(body);
    const e = await this.catalog.createEndpoint({ ...endpointFields(b), serviceId: b.service_id, interface: b.interface as EndpointInterface, url: b.url });
    return { endpoint: renderEndpoint(e, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getEndpoint(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_endpoint', { args: { endpoint_id: id } });
    const e = await this.catalog.getEndpoint(id);
    if (!e) throw new NotFoundError('endpoint', id);
    return { endpoint: renderEndpoint(e, baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateEndpoint(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:update_endpoint', { args: { endpoint_id: id } });
    const e = await this.catalog.updateEndpoint(id, endpointFields(ENDPOINT_UPDATE.check(body, { id })));
    return { endpoint: renderEndpoint(e, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteEndpoint(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_endpoint', { args: { endpoint_id: id } });
    await this.catalog.deleteEndpoint(id);
  }
}
