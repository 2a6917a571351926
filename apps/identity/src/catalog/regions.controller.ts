import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { CatalogService, InvalidInputError, NotFoundError, type NewRegion } from '@lintel/domain';
import { queryText, type JsonObject } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { extrasOf } from '../request-schema.js';
import { REGION_CREATE, REGION_UPDATE } from './catalog-bodies.js';
import { renderRegion } from './catalog-render.js';

type Q = Record<string, unknown>;

/** Attributes of a region create/update. */
const regionFields = (b: { description?: string | null; parent_region_id?: string | null } & JsonObject): Omit<NewRegion, 'id'> =>
  ({ description: b.description, parentRegionId: b.parent_region_id, extra: extrasOf(b, REGION_CREATE) });

/**
 * `/v3/regions` (docs/keystone.md, "Catalog administration"). Any authenticated caller reads regions; writes need admin.
 * Regions have caller-chosen ids: POST may carry one, `PUT /v3/regions/{id}` creates that id
 * (409 if taken).
 */
@Controller('v3/regions')
export class RegionsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly catalog: CatalogService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listRegions(@Query() q: Q, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_regions');
    const base = baseUrl(req, this.cfg);
    const regions = await this.catalog.listRegions({ parentRegionId: queryText(q, 'parent_region_id') });
    return { regions: regions.map((r) => renderRegion(r, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createRegion(@Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:create_region');
    const b = REGION_CREATE.check(body);
    // An empty id means "choose one", as in Keystone.
    const r = await this.catalog.createRegion({ id: b.id || undefined, ...regionFields(b) });
    return { region: renderRegion(r, baseUrl(req, this.cfg)) };
  }

  @Put(':id')
  @HttpCode(201)
  async createRegionWithId(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:create_region', { args: { region_id: id } });
    const bodyId = REGION_CREATE.check(body, { until: 'description' }).id;
    if (bodyId != null && bodyId !== id) throw new InvalidInputError(`Conflicting region IDs specified: "${id}" != "${bodyId}"`);
    if (id.length > 255) throw InvalidInputError.field('region/id', 'the value is longer than 255 characters');
    const r = await this.catalog.createRegion({ id, ...regionFields(REGION_CREATE.check(body)) });
    return { region: renderRegion(r, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getRegion(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_region', { args: { region_id: id } });
    const r = await this.catalog.getRegion(id);
    if (!r) throw new NotFoundError('region', id);
    return { region: renderRegion(r, baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updateRegion(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:update_region', { args: { region_id: id } });
    const r = await this.catalog.updateRegion(id, regionFields(REGION_UPDATE.check(body, { id })));
    return { region: renderRegion(r, baseUrl(req, this.cfg)) };
  }

  /** Deletes the region and its child regions, unless any of them has endpoints (403). */
  @Delete(':id')
  @HttpCode(204)
  async deleteRegion(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_region', { args: { region_id: id } });
    await this.catalog.deleteRegion(id);
  }
}
