import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { consumerNotFound, OAuth1Service, type OAuth1Consumer } from '@lintel/domain';
import type { JsonObject } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { CONSUMER_CREATE, CONSUMER_UPDATE } from './oauth1-bodies.js';

/** A consumer as Keystone shows it: extras first, the secret only in the answer to its creation. */
export function renderConsumer(c: OAuth1Consumer, base: string, secret?: string) {
  return {
    ...c.extra, id: c.id, description: c.description, ...(secret !== undefined ? { secret } : {}),
    links: { self: `${base}/v3/OS-OAUTH1/consumers/${c.id}` },
  };
}

/** A consumer's extras: what it was sent besides `description` (`id`, `secret` and `links` are never stored). */
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
    const c = CONSUMER_CREATE.check(body).consumer;
    const created = await this.oauth.createConsumer({ description: c.description ?? null, extra: extrasOf(c) });
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
    const c = CONSUMER_UPDATE.check(body, { id }).consumer;
    const updated = await this.oauth.updateConsumer(id, { description: c.description, extra: extrasOf(c) });
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
