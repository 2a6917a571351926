import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { DomainConfigService } from '@lintel/domain';
import { KeystonePolicy } from '../keystone-caller.js';
import { anything, body, member, object } from '../request-schema.js';

/**
 * `{"config": {...}}`: an absent `config` counts as empty, a body that is not an object is
 * refused first; the configuration itself is DomainConfigService's to check (its groups and
 * options, in Keystone's words).
 */
const CONFIG = body(object(member('config', anything, { absent: 'empty' })), { notObject: 'malformed' });
const configOf = (raw: unknown): unknown => CONFIG.check(raw).config;

/** The route's arguments under Keystone's names, only those in the path. */
function argsOf(domainId: string, group?: string, option?: string): Record<string, string> {
  return { domain_id: domainId, ...(group !== undefined ? { group } : {}), ...(option !== undefined ? { option } : {}) };
}

/**
 * Domain-specific configuration (docs/keystone-catalog-extensions.md, "Domain configuration"):
 * `/v3/domains/{domain_id}/config[/{group}[/{option}]]` and the defaults under
 * `/v3/domains/config/[{group}/[{option}/]]default`. Writes look the domain up after the policy
 * decision; reads report an unknown domain only after the configuration's own errors, as
 * Keystone does. The `security_compliance` group is the password rules, readable by anyone.
 */
@Controller('v3/domains')
export class DomainConfigController {
  constructor(
    private readonly configs: DomainConfigService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get('config/default')
  defaults(@Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_domain_config_default');
    return { config: this.configs.defaults() };
  }

  @Get('config/:group/default')
  groupDefaults(@Param('group') group: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_domain_config_default', { args: { group } });
    return { config: this.configs.defaults(group) };
  }

  @Get('config/:group/:option/default')
  optionDefault(@Param('group') group: string, @Param('option') option: string, @Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:get_domain_config_default', { args: { group, option } });
    return { config: this.configs.defaults(group, option) };
  }

  @Put(':id/config')
  async create(@Param('id') domainId: string, @Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const config = configOf(body);
    this.authz.enforce(req, 'identity:create_domain_config', { args: { domain_id: domainId } });
    const r = await this.configs.create(domainId, config);
    reply.status(r.created ? 201 : 200);
    return { config: r.config };
  }

  @Get(':id/config')
  get(@Param('id') domainId: string, @Req() req: FastifyRequest) {
    return this.read(req, domainId);
  }

  @Get(':id/config/:group')
  getGroup(@Param('id') domainId: string, @Param('group') group: string, @Req() req: FastifyRequest) {
    return this.read(req, domainId, group);
  }

  @Get(':id/config/:group/:option')
  getOption(@Param('id') domainId: string, @Param('group') group: string, @Param('option') option: string, @Req() req: FastifyRequest) {
    return this.read(req, domainId, group, option);
  }

  @Patch(':id/config')
  update(@Param('id') domainId: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    return this.write(req, domainId, body);
  }

  @Patch(':id/config/:group')
  updateGroup(@Param('id') domainId: string, @Param('group') group: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    return this.write(req, domainId, body, group);
  }

  @Patch(':id/config/:group/:option')
  updateOption(@Param('id') domainId: string, @Param('group') group: string, @Param('option') option: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    return this.write(req, domainId, body, group, option);
  }

  @Delete(':id/config')
  @HttpCode(204)
  delete(@Param('id') domainId: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, domainId);
  }

  @Delete(':id/config/:group')
  @HttpCode(204)
  deleteGroup(@Param('id') domainId: string, @Param('group') group: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, domainId, group);
  }

  @Delete(':id/config/:group/:option')
  @HttpCode(204)
  deleteOption(@Param('id') domainId: string, @Param('group') group: string, @Param('option') option: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, domainId, group, option);
  }

  private async read(req: FastifyRequest, domainId: string, group?: string, option?: string) {
    const args = argsOf(domainId, group, option);
    if (group === 'security_compliance') {
      this.authz.enforce(req, 'identity:get_security_compliance_domain_config', { args });
      return { config: this.configs.securityCompliance(domainId, option) };
    }
    this.authz.enforce(req, 'identity:get_domain_config', { args });
    return { config: await this.configs.get(domainId, group, option) };
  }

  private async write(req: FastifyRequest, domainId: string, body: unknown, group?: string, option?: string) {
    const config = configOf(body);
    this.authz.enforce(req, 'identity:update_domain_config', { args: argsOf(domainId, group, option) });
    return { config: await this.configs.update(domainId, config, group, option) };
  }

  private async remove(req: FastifyRequest, domainId: string, group?: string, option?: string): Promise<void> {
    this.authz.enforce(req, 'identity:delete_domain_config', { args: argsOf(domainId, group, option) });
    await this.configs.delete(domainId, group, option);
  }
}
