import { Body, Controller, Delete, Get, HttpCode, Inject, Param, Patch, Post, Put, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy } from '@lintel/auth';
import {
  AssignmentService, DEFAULT_ROLES, DomainError, ForbiddenError, NotFoundError, NULL_DOMAIN_ID, ResourceService, type RoleEntity,
} from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { ResourceBody } from './resource-body.js';
import { Access } from './access.js';
import { isReader } from './users.controller.js';

/** A role (contract §7.4): `domain_id` null for global roles. */
export function renderRole(r: RoleEntity, base: string) {
  return {
    ...(r.extra ?? {}),
    id: r.id, name: r.name, domain_id: r.domainId === NULL_DOMAIN_ID ? null : r.domainId, description: r.description,
    options: r.options ?? {}, links: { self: `${base}/v3/roles/${r.id}` },
  };
}

const ROLE_FIELDS = ['name', 'domain_id', 'description', 'options'];

/** `/v3/roles` and implied roles (contract §7.4). Any authenticated reader may list; writes need admin. */
@Controller('v3')
export class RolesController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly assignments: AssignmentService,
    private readonly resources: ResourceService,
  ) {}

  @Get('roles')
  async listRoles(@Query() q: Record<string, unknown>, @Req() req: FastifyRequest) {
    new Access(keystoneCaller(req)).listScope('identity:list_roles');
    const base = baseUrl(req, this.cfg);
    const roles = await this.assignments.listRoles({ name: typeof q.name === 'string' ? q.name : undefined, domainId: typeof q.domain_id === 'string' ? q.domain_id : null });
    return { roles: roles.map((r) => renderRole(r, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  @Post('roles')
  async createRole(@Body() body: unknown, @Req() req: FastifyRequest) {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:create_role');
    const b = ResourceBody.of(body, 'role', ROLE_FIELDS);
    b.required('name');
    const domainId = b.str('domain_id', { max: 64, nullable: true });
    if (domainId && !(await this.resources.getDomain(domainId))) throw new NotFoundError('domain', domainId);
    const r = await this.assignments.createRole({
      name: b.str('name')!, domainId: b.str('domain_id', { max: 64, nullable: true }), description: b.str('description', { max: 65535, nullable: true }), extra: b.extras(),
    });
    return { role: renderRole(r, baseUrl(req, this.cfg)) };
  }

  @Get('roles/:id')
  async getRole(@Param('id') id: string, @Req() req: FastifyRequest) {
    new Access(keystoneCaller(req)).listScope('identity:get_role');
    return { role: renderRole(await this.load(id), baseUrl(req, this.cfg)) };
  }

  @Patch('roles/:id')
  async updateRole(@Param('id') id: string, @Body() body: unknown, @Req() req: FastifyRequest) {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:update_role');
    await this.requireMutable(id, 'identity:update_role');
    const b = ResourceBody.of(body, 'role', ROLE_FIELDS);
    b.nonEmpty();
    b.sameId(id);
    const r = await this.assignments.updateRole(id, { name: b.str('name') ?? undefined, description: b.has('description') ? b.str('description', { max: 65535, nullable: true }) : undefined });
    return { role: renderRole(r, baseUrl(req, this.cfg)) };
  }

  @Delete('roles/:id')
  @HttpCode(204)
  async deleteRole(@Param('id') id: string, @Req() req: FastifyRequest): Promise<void> {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:delete_role');
    await this.requireMutable(id, 'identity:delete_role');
    await this.assignments.deleteRole(id);
  }

  @Put('roles/:prior/implies/:implied')
  @HttpCode(201)
  async createImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest) {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:create_implied_role');
    const [p, i] = [await this.load(prior), await this.load(implied)];
    await this.assignments.addImpliedRole(p.id, i.id);
    return this.inference(p, i, req);
  }

  @Get('roles/:prior/implies/:implied')
  async getImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest) {
    if (!isReader(keystoneCaller(req))) throw new ForbiddenError('identity:get_implied_role');
    const [p, i] = [await this.load(prior), await this.load(implied)];
    if (!(await this.assignments.listImplications(p.id)).some((x) => x.impliedRoleId === i.id)) throw new NotFoundError('role inference', `${p.id} implies ${i.id}`);
    return this.inference(p, i, req);
  }

  @Delete('roles/:prior/implies/:implied')
  @HttpCode(204)
  async deleteImpliedRole(@Param('prior') prior: string, @Param('implied') implied: string, @Req() req: FastifyRequest): Promise<void> {
    if (!policy.isAdmin(keystoneCaller(req))) throw new ForbiddenError('identity:delete_implied_role');
    await this.assignments.removeImpliedRole((await this.load(prior)).id, (await this.load(implied)).id);
  }

  @Get('roles/:prior/implies')
  async listImpliedRoles(@Param('prior') prior: string, @Req() req: FastifyRequest) {
    if (!isReader(keystoneCaller(req))) throw new ForbiddenError('identity:list_implied_roles');
    const p = await this.load(prior);
    const base = baseUrl(req, this.cfg);
    const implies = await Promise.all((await this.assignments.listImplications(p.id)).map(async (x) => this.brief((await this.load(x.impliedRoleId)), base)));
    return { role_inference: { prior_role: this.brief(p, base), implies }, links: { self: selfUrl(req, this.cfg) } };
  }

  @Get('role_inferences')
  async listRoleInferences(@Req() req: FastifyRequest) {
    if (!isReader(keystoneCaller(req))) throw new ForbiddenError('identity:list_role_inference_rules');
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
   * The roles bootstrap makes are what every policy check names (Keystone marks them immutable):
   * renaming or deleting `admin` would lock the cloud out.
   */
  private async requireMutable(id: string, action: string): Promise<void> {
    const r = await this.load(id);
    if (r.domainId === NULL_DOMAIN_ID && (DEFAULT_ROLES as readonly string[]).includes(r.name)) {
      throw new DomainError('Forbidden', `You are not authorized to perform the requested action: ${action}. Role ${r.name} is immutable.`);
    }
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
