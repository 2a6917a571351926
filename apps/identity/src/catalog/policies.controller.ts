import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { InvalidInputError, MalformedBodyError, PolicyBlobService, type PolicyEntity } from '@lintel/domain';
import { describeValue, isJsonObject, queryText, type JsonObject } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';

type Q = Record<string, unknown>;
/** Body keys that are never stored as extras: the id is the server's, links are rendered. */
const NOT_EXTRA = new Set(['id', 'links', 'extra', 'blob', 'type']);

/**
 * The `policy` object of a create or update, checked as Keystone's `policy_create` /
 * `policy_update` schemas do, in their order (attribute types, then required attributes or "not
 * empty"). A body without `policy` counts as an empty one, as in Keystone.
 */
function policyMember(body: unknown, create: boolean): JsonObject {
  const p = isJsonObject(body) && body.policy !== undefined ? body.policy : {};
  if (!isJsonObject(p)) throw new InvalidInputError(`${describeValue('policy', p)} is not of type 'object'`);
  for (const key of ['blob', 'type']) {
    const v = p[key];
    if (v !== undefined && typeof v !== 'string') throw InvalidInputError.field(key, `${describeValue(key, v)} is not of type 'string'`);
  }
  if (typeof p.type === 'string' && p.type.length > 255) throw InvalidInputError.field('type', 'the value is longer than 255 characters');
  if (create) {
    for (const key of ['blob', 'type']) if (p[key] === undefined) throw new InvalidInputError(`'${key}' is a required property`);
  } else if (!Object.keys(p).length) {
    throw new InvalidInputError('{} does not have enough properties');
  }
  return p;
}

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
    objectBody(body);
    this.authz.enforce(req, 'identity:create_policy');
    const p = policyMember(body, true);
    const created = await this.policies.create({ type: p.type as string, blob: p.blob as string, extra: extras(p, true) });
    return { policy: renderPolicy(created, baseUrl(req, this.cfg)) };
  }

  @Get(':id')
  async getPolicy(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_policy', { args: { policy_id: id } });
    return { policy: renderPolicy(await this.policies.get(id), baseUrl(req, this.cfg)) };
  }

  @Patch(':id')
  async updatePolicy(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    objectBody(body);
    this.authz.enforce(req, 'identity:update_policy', { args: { policy_id: id } });
    const p = policyMember(body, false);
    if (p.id !== undefined && p.id !== id) throw new InvalidInputError('Cannot change policy ID');
    const updated = await this.policies.update(id, {
      type: p.type as string | undefined, blob: p.blob as string | undefined, extra: extras(p, false),
    });
    return { policy: renderPolicy(updated, baseUrl(req, this.cfg)) };
  }

  @Delete(':id')
  @HttpCode(204)
  async deletePolicy(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_policy', { args: { policy_id: id } });
    await this.policies.delete(id);
  }
}

/** Keystone refuses a body that is present but not a JSON object before anything else. */
function objectBody(body: unknown): void {
  if (body !== undefined && !isJsonObject(body)) throw new MalformedBodyError();
}
