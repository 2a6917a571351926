import { Controller, Delete, Get, HttpCode, Inject, Put, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy, RevocationCache, TokenService } from '@lintel/auth';
import {
  AssignmentService, ForbiddenError, GroupService, IdentityService, NotFoundError, ResourceService, SYSTEM_TARGET_ID,
  type AssignmentType,
} from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderRole } from './roles.controller.js';
import { Access, isAdminProject } from './access.js';

/**
 * Grants (contract §7.5): PUT, GET/HEAD (204 when assigned), DELETE and list, for users and
 * groups on projects, domains and the system. Unknown role, actor or target: 404, in that order.
 */
@Controller('v3')
export class GrantsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly assignments: AssignmentService,
    private readonly identity: IdentityService,
    private readonly groups: GroupService,
    private readonly resources: ResourceService,
    private readonly revocationCache: RevocationCache,
    private readonly tokens: TokenService,
  ) {}

  @Put('projects/:target/users/:actor/roles/:role')
  @HttpCode(204)
  grantUserProject(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.put(req, 'UserProject', actor, target, role);
  }

  @Get('projects/:target/users/:actor/roles/:role')
  @HttpCode(204)
  checkUserProject(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.check(req, 'UserProject', actor, target, role);
  }

  @Delete('projects/:target/users/:actor/roles/:role')
  @HttpCode(204)
  revokeUserProject(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, 'UserProject', actor, target, role);
  }

  @Get('projects/:target/users/:actor/roles')
  listUserProject(@Param('target') target: string, @Param('actor') actor: string, @Req() req: FastifyRequest) {
    return this.list(req, 'UserProject', actor, target);
  }

  @Put('projects/:target/groups/:actor/roles/:role')
  @HttpCode(204)
  grantGroupProject(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.put(req, 'GroupProject', actor, target, role);
  }

  @Get('projects/:target/groups/:actor/roles/:role')
  @HttpCode(204)
  checkGroupProject(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.check(req, 'GroupProject', actor, target, role);
  }

  @Delete('projects/:target/groups/:actor/roles/:role')
  @HttpCode(204)
  revokeGroupProject(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, 'GroupProject', actor, target, role);
  }

  @Get('projects/:target/groups/:actor/roles')
  listGroupProject(@Param('target') target: string, @Param('actor') actor: string, @Req() req: FastifyRequest) {
    return this.list(req, 'GroupProject', actor, target);
  }

  @Put('domains/:target/users/:actor/roles/:role')
  @HttpCode(204)
  grantUserDomain(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.put(req, 'UserDomain', actor, target, role);
  }

  @Get('domains/:target/users/:actor/roles/:role')
  @HttpCode(204)
  checkUserDomain(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.check(req, 'UserDomain', actor, target, role);
  }

  @Delete('domains/:target/users/:actor/roles/:role')
  @HttpCode(204)
  revokeUserDomain(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, 'UserDomain', actor, target, role);
  }

  @Get('domains/:target/users/:actor/roles')
  listUserDomain(@Param('target') target: string, @Param('actor') actor: string, @Req() req: FastifyRequest) {
    return this.list(req, 'UserDomain', actor, target);
  }

  @Put('domains/:target/groups/:actor/roles/:role')
  @HttpCode(204)
  grantGroupDomain(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.put(req, 'GroupDomain', actor, target, role);
  }

  @Get('domains/:target/groups/:actor/roles/:role')
  @HttpCode(204)
  checkGroupDomain(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.check(req, 'GroupDomain', actor, target, role);
  }

  @Delete('domains/:target/groups/:actor/roles/:role')
  @HttpCode(204)
  revokeGroupDomain(@Param('target') target: string, @Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, 'GroupDomain', actor, target, role);
  }

  @Get('domains/:target/groups/:actor/roles')
  listGroupDomain(@Param('target') target: string, @Param('actor') actor: string, @Req() req: FastifyRequest) {
    return this.list(req, 'GroupDomain', actor, target);
  }

  @Put('system/users/:actor/roles/:role')
  @HttpCode(204)
  grantUserSystem(@Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.put(req, 'UserSystem', actor, SYSTEM_TARGET_ID, role);
  }

  @Get('system/users/:actor/roles/:role')
  @HttpCode(204)
  checkUserSystem(@Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.check(req, 'UserSystem', actor, SYSTEM_TARGET_ID, role);
  }

  @Delete('system/users/:actor/roles/:role')
  @HttpCode(204)
  revokeUserSystem(@Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, 'UserSystem', actor, SYSTEM_TARGET_ID, role);
  }

  @Get('system/users/:actor/roles')
  listUserSystem(@Param('actor') actor: string, @Req() req: FastifyRequest) {
    return this.list(req, 'UserSystem', actor, SYSTEM_TARGET_ID);
  }

  @Put('system/groups/:actor/roles/:role')
  @HttpCode(204)
  grantGroupSystem(@Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.put(req, 'GroupSystem', actor, SYSTEM_TARGET_ID, role);
  }

  @Get('system/groups/:actor/roles/:role')
  @HttpCode(204)
  checkGroupSystem(@Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.check(req, 'GroupSystem', actor, SYSTEM_TARGET_ID, role);
  }

  @Delete('system/groups/:actor/roles/:role')
  @HttpCode(204)
  revokeGroupSystem(@Param('actor') actor: string, @Param('role') role: string, @Req() req: FastifyRequest): Promise<void> {
    return this.remove(req, 'GroupSystem', actor, SYSTEM_TARGET_ID, role);
  }

  @Get('system/groups/:actor/roles')
  listGroupSystem(@Param('actor') actor: string, @Req() req: FastifyRequest) {
    return this.list(req, 'GroupSystem', actor, SYSTEM_TARGET_ID);
  }

  private async put(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string): Promise<void> {
    await this.authorise(req, type, actorId, targetId, roleId, 'manage', `identity:create_${this.policyName(type)}_grant`);
    await this.assignments.grant({ type, actorId, targetId, roleId });
  }

  private async check(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string): Promise<void> {
    await this.authorise(req, type, actorId, targetId, roleId, 'read', `identity:check_${this.policyName(type)}_grant`);
    if (!(await this.assignments.hasGrant({ type, actorId, targetId, roleId }))) {
      throw new NotFoundError('role assignment', `role: ${roleId}, user or group: ${actorId}, project, domain, or system: ${targetId}`);
    }
  }

  private async remove(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string): Promise<void> {
    await this.authorise(req, type, actorId, targetId, roleId, 'manage', `identity:revoke_${this.policyName(type)}_grant`);
    await this.assignments.removeGrant({ type, actorId, targetId, roleId });
    // This process stops honouring the affected tokens at once; the others within the refresh bound.
    await this.revocationCache.refresh();
    this.tokens.forget();
  }

  private async list(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string) {
    await this.authorise(req, type, actorId, targetId, undefined, 'read', `identity:list_${this.policyName(type)}_grants`);
    const base = baseUrl(req, this.cfg);
    const roles = await this.assignments.grantedRoles(type, actorId, targetId);
    return { roles: roles.map((r) => renderRole(r, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  private policyName(type: AssignmentType): string {
    return type.endsWith('System') ? 'system' : type.endsWith('Project') ? 'project' : 'domain';
  }

  /**
   * 404s for an unknown role, actor or target (in that order), then the personas: grants on the
   * system are for cloud administrators only; a domain admin grants on its domain and its
   * projects, to users and groups of its domain; readers of the target's domain may look.
   */
  private async authorise(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string | undefined, need: 'manage' | 'read', action: string): Promise<void> {
    if (roleId !== undefined && !(await this.assignments.getRole(roleId))) throw new NotFoundError('role', roleId);
    const actor = type.startsWith('User') ? await this.identity.getUser(actorId) : await this.groups.get(actorId);
    if (!actor) throw new NotFoundError(type.startsWith('User') ? 'user' : 'group', actorId);
    let targetDomain: string | undefined;
    let cloudTarget = false;
    if (type.endsWith('Project')) {
      const p = await this.resources.getProject(targetId);
      if (!p) throw new NotFoundError('project', targetId);
      targetDomain = p.domainId;
      cloudTarget = await isAdminProject(this.cfg, this.resources, p.name, p.domainId);
    } else if (type.endsWith('Domain')) {
      if (!(await this.resources.getDomain(targetId))) throw new NotFoundError('domain', targetId);
      targetDomain = targetId;
    }
    const access = new Access(keystoneCaller(req));
    const allowed = need === 'read'
      ? (targetDomain === undefined ? access.cloudReader : access.reads(targetDomain))
      : (targetDomain === undefined || cloudTarget ? access.cloudAdmin : access.manages(targetDomain) && access.manages(actor.domainId));
    access.require(allowed, action);
  }
}
