import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { consumerNotFound, InvalidInputError, MalformedBodyError, OAuth1Service, pyRepr, type OAuth1Consumer } from '@lintel/domain';
import { isJsonObject, type JsonObject } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';

/** A consumer as Keystone shows it: extras first, the secret only in the answer to its creation. */
export function renderConsumer(c: OAuth1Consumer, base: string, secret?: string) {
  return {
    ...c.extra, id: c.id, description: c.description, ...(secret !== undefined ? { secret } : {}),
    links: { self: `${base}/v3/OS-OAUTH1/consumers/${c.id}` },
  };
}

/**
 * The `consumer` member of a create or update body, read as Keystone reads it: a missing member
 * is `{}`; `description` is text or null; `id`, `secret` and `links` are never stored as extras.
 */
function consumerBody(body: unknown): JsonObject {
  if (body === undefined || body === null) return {};
  if (!isJsonObject(body)) throw new MalformedBodyError();
  const c = body.consumer;
  if (c === undefined || c === null) return {};
  if (!isJsonObject(c)) throw InvalidInputError.field('consumer', `${pyRepr(c)} is not of type 'object'`);
  const d = c.description;
  if (d !== undefined && d !== null && typeof d !== 'string') throw InvalidInputError.field('description', `${pyRepr(d)} is not of type 'string', 'null'`);
  return c;
}

const extrasOf = (c: JsonObject): Record<string, unknown> =>
  Object.fromEntries(Object.entries(c).filter(([k]) => !['id', 'description', 'secret', 'links'].includes(k)));

/** `/v3/OS-OAUTH1/consumers` (docs/keystone-oauth1.md, "Consumers"). */
@Controller('v3/OS-OAUTH1/consumers')
export class ConsumersController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly oauth: OAuth1Service,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listConsumers(@Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_consumers');
    const base = baseUrl(req, this.cfg);
    return { consumers: (await this.oauth.listConsumers()).map((c) => renderConsumer(c, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  /** The secret is made here and shown once; an `id` or `secret` in the body is ignored, as Keystone does. */
  @Post()
  async createConsumer(@Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:create_consumer');
    const c = consumerBody(body);
    const created = await this.oauth.createConsumer({ description: (c.description as string | null | undefined) ?? null, extra: extrasOf(c) });
    return { consumer: renderConsumer(created, baseUrl(req, this.cfg), created.secret) };
  }

  @Get(':id')
  async getConsumer(@Param('id') id: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_consumer', { args: { consumer_id: id } });
    const c = await this.oauth.getConsumer(id);
    if (!c) throw consumerNotFound();
    return { consumer: renderConsumer(c, baseUrl(req, this.cfg)) };
  }

  /** Keystone's order: policy, the body's schema (at least one attribute, never `secret`), the id, then 404. */
  @Patch(':id')
  async updateConsumer(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:update_consumer', { args: { consumer_id: id } });
    const c = consumerBody(body);
    if (!Object.keys(c).length) throw new InvalidInputError('{} does not have enough properties');
    if (c.secret !== undefined) {
      // Keystone quotes the member; the secret offered is not echoed back.
      throw new InvalidInputError(`${pyRepr({ ...c, secret: '***' })} should not be valid under {'required': ['secret']}`);
    }
    if (c.id !== undefined && c.id !== id) throw new InvalidInputError('Cannot change ID');
    const updated = await this.oauth.updateConsumer(id, {
      description: c.description === undefined ? undefined : (c.description as string | null), extra: extrasOf(c),
    });
    return { consumer: renderConsumer(updated, baseUrl(req, this.cfg)) };
  }

  /** Takes the consumer's request and access tokens along and revokes the tokens issued from them. */
  @Delete(':id')
  @HttpCode(204)
  async deleteConsumer(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    this.authz.enforce(req, 'identity:delete_consumer', { args: { consumer_id: id } });
    await this.oauth.deleteConsumer(id);
  }
}
