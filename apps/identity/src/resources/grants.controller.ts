import { Controller, Delete, Get, HttpCode, Inject, Put, Param, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PolicyFacts, RevocationCache, TokenService } from '@lintel/auth';
import {
  AssignmentService, GroupService, IdentityService, NotFoundError, ResourceService, RoleAssignmentNotFoundError, SYSTEM_TARGET_ID,
  type AssignmentType,
} from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { domainTarget, groupTarget, projectTarget, roleTarget, userTarget } from '../targets.js';
import { renderRole } from './roles.controller.js';

/**
 * Grants (docs/keystone.md, "Grants"): PUT, GET/HEAD (204 when assigned), DELETE and list, for
 * users and groups on projects, domains and the system. Unknown role, actor or target: 404, in
 * that order, then the policy (`identity:*_grant(s)` on projects and domains, `identity:*_system_grant_for_*`).
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
    private readonly authz: KeystonePolicy,
    private readonly facts: PolicyFacts,
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
    await this.authorise(req, type, actorId, targetId, roleId, 'create');
    await this.assignments.grant({ type, actorId, targetId, roleId });
  }

  private async check(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string): Promise<void> {
    await this.authorise(req, type, actorId, targetId, roleId, 'check');
    if (!(await this.assignments.hasGrant({ type, actorId, targetId, roleId }))) {
      throw new RoleAssignmentNotFoundError(roleId, actorId, targetId);
    }
  }

  private async remove(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string): Promise<void> {
    await this.authorise(req, type, actorId, targetId, roleId, 'revoke');
    await this.assignments.removeGrant({ type, actorId, targetId, roleId });
    // This process stops honouring the affected tokens at once; the others within the refresh bound.
    await this.revocationCache.refresh();
    this.tokens.forget();
  }

  private async list(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string) {
    await this.authorise(req, type, actorId, targetId, undefined, 'list');
    const base = baseUrl(req, this.cfg);
    const roles = await this.assignments.grantedRoles(type, actorId, targetId);
    return { roles: roles.map((r) => renderRole(r, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  /** Keystone's action name: `identity:<verb>_grant(s)`, or `identity:<verb>_system_grant(s)_for_<user|group>`. */
  private action(type: AssignmentType, verb: 'create' | 'check' | 'revoke' | 'list'): string {
    const actor = type.startsWith('User') ? 'user' : 'group';
    if (type.endsWith('System')) return verb === 'list' ? `identity:list_system_grants_for_${actor}` : `identity:${verb}_system_grant_for_${actor}`;
    return verb === 'list' ? 'identity:list_grants' : `identity:${verb}_grant`;
  }

  /**
   * Keystone's order: 404s for an unknown role, actor or target, then the policy with all three
   * as the target (`target.role`, `target.user` or `target.group`, `target.project` or `target.domain`).
   */
  private async authorise(req: FastifyRequest, type: AssignmentType, actorId: string, targetId: string, roleId: string | undefined, verb: 'create' | 'check' | 'revoke' | 'list'): Promise<void> {
    const role = roleId !== undefined ? await this.assignments.getRole(roleId) : undefined;
    if (roleId !== undefined && !role) throw new NotFoundError('role', roleId);
    const isUser = type.startsWith('User');
    const user = isUser ? await this.identity.getUser(actorId) : null;
    const group = isUser ? null : await this.groups.get(actorId);
    if (!user && !group) throw new NotFoundError(isUser ? 'user' : 'group', actorId);
    const target: Record<string, unknown> = {};
    if (role) target.role = roleTarget(role);
    if (user) target.user = userTarget(user);
    if (group) target.group = groupTarget(group);
    let project = null;
    if (type.endsWith('Project')) {
      project = await this.resources.getProject(targetId);
      if (!project) throw new NotFoundError('project', targetId);
      target.project = projectTarget(project);
    } else if (type.endsWith('Domain')) {
      const d = await this.resources.getDomain(targetId);
      if (!d) throw new NotFoundError('domain', targetId);
      target.domain = domainTarget(d);
    }
    const action = this.action(type, verb);
    Object.assign(target, await this.facts.forAction(action, { user, group, project }));
    const args: Record<string, string> = { [isUser ? 'user_id' : 'group_id']: actorId };
    if (roleId !== undefined) args.role_id = roleId;
    if (type.endsWith('Project')) args.project_id = targetId;
    if (type.endsWith('Domain')) args.domain_id = targetId;
    this.authz.enforce(req, action, { args, target });
  }
}
