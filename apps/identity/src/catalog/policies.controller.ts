import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PolicyBlobService, type PolicyEntity } from '@lintel/domain';
import { queryText, type JsonObject } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { POLICY_CREATE, POLICY_UPDATE } from './catalog-bodies.js';

type Q = Record<string, unknown>;
/** Body keys that are never stored as extras: the id is the server's, links are rendered. */
const NOT_EXTRA = new Set(['id', 'links', 'extra', 'blob', 'type']);

/** Attributes other than blob and type, kept and shown as they are (Keystone's extras). */
function extras(p: JsonObject, normalize: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(p)) {
    // Keystone turns ':' and '-' in a new policy's attribute names into '_'.
    const key = normalize ? k.replace(/[:-]/g, '_') : k;
    if (!NOT_EXTRA.has(key)) out[key] = v;
  }
  return out;
}

function renderPolicy(p: PolicyEntity, base: string) {
  return { ...(p.extra ?? {}), id: p.id, blob: p.blob, type: p.type, links: { self: `${base}/v3/policies/${p.id}` } };
}

/**
 * `/v3/policies` (docs/keystone-catalog-extensions.md, "Policies"). Keystone decides on the
 * action before it looks at the body, so a caller without the right gets 403 whatever it sent;
 * only a body that is not a JSON object is refused first (its request filter).
 */
@Controller('v3/policies')
export class PoliciesController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly policies: PolicyBlobService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listPolicies(@Query() q: Q, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_policies');
    const base = baseUrl(req, this.cfg);
    const policies = await this.policies.list({ type: queryText(q, 'type') });
    return { policies: policies.map((p) => renderPolicy(p, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post()
  async createPolicy(@Body() body: unknown, @Req() req: FastifyRequest) {
    POLICY_CREATE.check(body, { until: 'policy' });
    this.authz.enforce(req, 'identity:create_policy');
    const p = POLICY_CREATE.check(body).policy;
    const created = await this.policies.create({ type: p.type, blob: p.blob, extra: extras(p, true) });
    return { policy: renderPolicy(created, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getPolicy(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_policy', { args: { policy_id: id } });
    return { policy: renderPolicy(await this.policies.get(id), baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updatePolicy(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    POLICY_UPDATE.check(body, { until: 'policy' });
    this.authz.enforce(req, 'identity:update_policy', { args: { policy_id: id } });
    const p = POLICY_UPDATE.check(body, { id }).policy;
    const updated = await this.policies.update(id, { type: p.type, blob: p.blob, extra: extras(p, false) });
    return { policy: renderPolicy(updated, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deletePolicy(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_policy', { args: { policy_id: id } });
    await this.policies.delete(id);
  }
}
