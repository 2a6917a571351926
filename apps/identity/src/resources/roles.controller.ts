import { Body, Controller, Delete, Get, Head, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AssignmentService, NotFoundError, NULL_DOMAIN_ID, ResourceService, type RoleEntity } from '@lintel/domain';
import { queryPick } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { roleTarget } from '../targets.js';
import { textMatches } from './list-filters.js';
import { listBody, pageRequest } from './pagination.js';
import { extrasOf } from '../request-schema.js';
import { ROLE_CREATE, ROLE_UPDATE } from './resource-bodies.js';

/** A role (docs/keystone.md, "Roles"): `domain_id` null for global roles. */
export function renderRole(r: RoleEntity, base: string) {
  return {
    ...(r.extra ?? {}),
    id: r.id, name: r.name, domain_id: r.domainId === NULL_DOMAIN_ID ? null : r.domainId, description: r.description,
    options: r.options ?? {}, links: { self: `${base}/v3/roles/${r.id}` },
  };
}

/**
 * `/v3/roles` and implied roles (docs/keystone.md, "Roles"). Global roles are guarded by
 * `identity:*_role`, domain-specific ones by `identity:*_domain_role`, as in Keystone.
 */
@Controller('v3')
export class RolesController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly assignments: AssignmentService,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get('roles')
  async listRoles(@Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    const domainFilter = typeof q.domain_id === 'string' && q.domain_id ? q.domain_id : undefined;
    this.authz.enforce(req, domainFilter ? 'identity:list_domain_roles' : 'identity:list_roles', { filters: queryPick(q, ['name', 'domain_id']) });
    const base = baseUrl(req, this.cfg);
    // Without a (non-empty) domain_id, global roles only, as Keystone.
    const page = pageRequest(q, this.cfg, 'role');
    const roles = await this.assignments.listRoles({ name: typeof q.name === 'string' ? q.name : undefined, domainId: domainFilter ?? null, match: textMatches(q, ['name']) }, page);
    return listBody('roles', roles, roles.items.map((r) => renderRole(r, base)), req, this.cfg, page);
  }

  @Post('roles')
  async createRole(@Body() body: unknown, @Req() req: FastifyRequest) {
    const b = ROLE_CREATE.check(body);
    const domainId = b.domain_id;
    if (domainId) this.authz.enforce(req, 'identity:create_domain_role', { target: { role: b } });
    else this.authz.enforce(req, 'identity:create_role');
    if (domainId && !(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const r = await this.assignments.createRole({ name: b.name, domainId, description: b.description, options: b.options, extra: extrasOf(b, ROLE_CREATE) });
    return { role: renderRole(r, baseUrl(req, this.cfg)) };
  }

  @Get('roles/:id')
  async getRole(@Param('id') id: string, @Req() req: FastifyRequest) {
    return { role: renderRole(await this.authorize(req, 'get', id), baseUrl(req, this.cfg)) };
  }

  @Patch('roles/:id')
  async updateRole(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    // Keystone's order: the body's schema (400), the policy, a changed id (400), then the
    // manager's rules (immutable 403, domain_id 400) in AssignmentService.updateRole.
    const b = ROLE_UPDATE.check(body, { until: 'sameId' });
    await this.authorize(req, 'update', id);
    ROLE_UPDATE.check(body, { id });
    const patch = { name: b.name, description: b.description, options: b.options, domainId: b.domain_id };
    const r = await this.assignments.updateRole(id, patch, Object.keys(b));
    return { role: renderRole(r, baseUrl(req, this.cfg)) };
  }

  @Delete('roles/:id')
  @HttpCode(204)
  async deleteRole(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorize(req, 'delete', id);
    await this.assignments.deleteRole(id);
  }

  @Put('roles/:prior/implies/:implied')
  @HttpCode(201)
  async createImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest) {
    const [p, i] = await this.authorizeInference(req, 'identity:create_implied_role', prior, implied);
    await this.assignments.addImpliedRole(p.id, i.id);
    return this.inference(p, i, req);
  }

  /**
   * `HEAD`: 204 when the inference exists. Keystone asks `identity:check_implied_role`, then
   * answers through its GET, which asks `identity:get_implied_role` too. Declared before the
   * GET so Fastify keeps it.
   */
  @Head('roles/:prior/implies/:implied')
  @HttpCode(204)
  async checkImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest): Promise<void> {
    await this.authorizeInference(req, 'identity:check_implied_role', prior, implied);
    const [p, i] = await this.authorizeInference(req, 'identity:get_implied_role', prior, implied);
    await this.requireInference(p, i);
  }

  @Get('roles/:prior/implies/:implied')
  async getImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest) {
    const [p, i] = await this.authorizeInference(req, 'identity:get_implied_role', prior, implied);
    await this.requireInference(p, i);
    return this.inference(p, i, req);
  }

  @Delete('roles/:prior/implies/:implied')
  @HttpCode(204)
  async deleteImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest): Promise<void> {
    const [p, i] = await this.authorizeInference(req, 'identity:delete_implied_role', prior, implied);
    await this.assignments.removeImpliedRole(p.id, i.id);
  }

  @Get('roles/:prior/implies')
  async listImpliedRoles(@Param('prior') prior: string, @Req() req: FastifyRequest) {
    const p = await this.load(prior);
    this.authz.enforce(req, 'identity:list_implied_roles', { args: { prior_role_id: prior }, target: { prior_role: roleTarget(p) } });
    const base = baseUrl(req, this.cfg);
    const implies = await Promise.all((await this.assignments.listImplications(p.id)).map(async (x) => this.brief((await this.load(x.impliedRoleId)), base)));
    return { role_inference: { prior_role: this.brief(p, base), implies }, links: { self: selfUrl(req, this.cfg) } };
  }

  @Get('role_inferences')
  async listRoleInferences(@Req() req: FastifyRequest) {
    this.authz.enforce(req, 'identity:list_role_inference_rules');
    const base = baseUrl(req, this.cfg);
    const all = await this.assignments.listImplications();
    const priors = [...new Set(all.map((x) => x.priorRoleId))];
    const role_inferences = await Promise.all(priors.map(async (p) => ({
      prior_role: this.brief(await this.load(p), base),
      implies: await Promise.all(all.filter((x) => x.priorRoleId === p).map(async (x) => this.brief(await this.load(x.impliedRoleId), base))),
    })));
    return { role_inferences, links: { self: selfUrl(req, this.cfg) } };
  }

  /**
   * Keystone's order for a role: global roles are guarded by `identity:<verb>_role`, and a role
   * that does not exist is refused by that rule before it is reported missing; domain-specific
   * roles by `identity:<verb>_domain_role` with the role as the target.
   */
  private async authorize(req: FastifyRequest, verb: 'get' | 'update' | 'delete', id: string): Promise<RoleEntity> {
    const r = await this.assignments.getRole(id);
    const domainRole = !!r && r.domainId !== NULL_DOMAIN_ID;
    this.authz.enforce(req, `identity:${verb}_${domainRole ? 'domain_role' : 'role'}`, { args: { role_id: id }, target: r ? { role: roleTarget(r) } : {} });
    if (!r) throw new NotFoundError('role', id);
    return r;
  }

  /** Both roles must exist (404 first), then the policy decides with them as the target. */
  private async authorizeInference(req: FastifyRequest, action: string, prior: string, implied: string): Promise<[RoleEntity, RoleEntity]> {
    const [p, i] = [await this.load(prior), await this.load(implied)];
    this.authz.enforce(req, action, { args: { prior_role_id: prior, implied_role_id: implied }, target: { prior_role: roleTarget(p), implied_role: roleTarget(i) } });
    return [p, i];
  }

  private async requireInference(p: RoleEntity, i: RoleEntity): Promise<void> {
    if (!(await this.assignments.listImplications(p.id)).some((x) => x.impliedRoleId === i.id)) throw new NotFoundError('role inference', `${p.id} implies ${i.id}`);
  }

  private brief(r: RoleEntity, base: string) {
    return { id: r.id, name: r.name, links: { self: `${base}/v3/roles/${r.id}` } };
  }

  private inference(p: RoleEntity, i: RoleEntity, req: FastifyRequest) {
    const base = baseUrl(req, this.cfg);
    return { role_inference: { prior_role: this.brief(p, base), implies: this.brief(i, base) }, links: { self: `${base}/v3/roles/${p.id}/implies/${i.id}` } };
  }

  private async load(id: string): Promise<RoleEntity> {
    const r = await this.assignments.getRole(id);
    if (!r) throw new NotFoundError('role', id);
    return r;
  }
}
