import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { CatalogService, InvalidInputError, NotFoundError, type EndpointInterface, type EndpointPatch } from '@lintel/domain';
import { describeValue, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { ResourceBody } from '../resources/resource-body.js';
import { renderEndpoint } from './catalog-render.js';

type Q = Record<string, unknown>;
const ENDPOINT_FIELDS = ['service_id', 'interface', 'url', 'region_id', 'region', 'enabled'];
const INTERFACES: readonly string[] = ['admin', 'internal', 'public'];
/** Keystone's `parameter_types.url`: a scheme, a colon, something; at most 225 characters. */
const URL_PATTERN = '^[a-zA-Z0-9+.-]+:.+';

function checkInterface(path: string, v: string): EndpointInterface {
  if (!INTERFACES.includes(v)) throw InvalidInputError.field(path, `${describeValue(path, v)} is not one of ['admin', 'internal', 'public']`);
  return v as EndpointInterface;
}

/** The attributes every endpoint create/update may carry, typed and checked as Keystone's schema does. */
function endpointFields(b: ResourceBody): EndpointPatch {
  const notNull = (key: string, v: string | null | undefined) => {
    if (v === null) throw InvalidInputError.field(`endpoint/${key}`, "None is not of type 'string'");
    return v;
  };
  const iface = notNull('interface', b.str('interface', { max: 8 * 1024 }));
  const url = notNull('url', b.str('url', { max: 225 }));
  if (url !== undefined && !new RegExp(URL_PATTERN).test(url)) {
    throw InvalidInputError.field('endpoint/url', `${describeValue('endpoint/url', url)} does not match '${URL_PATTERN}'`);
  }
  return {
    serviceId: notNull('service_id', b.str('service_id')),
    interface: iface === undefined ? undefined : checkInterface('endpoint/interface', iface),
    url,
    regionId: b.str('region_id', { nullable: true }),
    legacyRegion: b.str('region', { nullable: true }),
    enabled: b.bool('enabled'),
    extra: b.extras(),
  };
}

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
    const endpoints = await this.catalog.listEndpoints({
      serviceId: queryText(q, 'service_id'), regionId: queryText(q, 'region_id'),
      interface: iface === undefined ? undefined : checkInterface('interface', iface),
    });
    const base = baseUrl(req, this.cfg);
    return { endpoints: endpoints.map((e) => renderEndpoint(e, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createEndpoint(@Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:create_endpoint');
    const b = ResourceBody.of(body, 'endpoint', ENDPOINT_FIELDS);
    for (const key of ['interface', 'service_id', 'url']) b.required(key);
    const f = endpointFields(b);
    const e = await this.catalog.createEndpoint({ ...f, serviceId: f.serviceId!, interface: f.interface!, url: f.url! });
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
    const b = ResourceBody.of(body, 'endpoint', ENDPOINT_FIELDS);
    b.nonEmpty();
    b.sameId(id);
    const e = await this.catalog.updateEndpoint(id, endpointFields(b));
    return { endpoint: renderEndpoint(e, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deleteEndpoint(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_endpoint', { args: { endpoint_id: id } });
    await this.catalog.deleteEndpoint(id);
  }
}
