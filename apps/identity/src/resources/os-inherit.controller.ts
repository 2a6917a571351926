import { Controller, Delete, Get, HttpCode, Inject, Param, Put, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { PolicyFacts, RevocationCache, TokenService } from '@lintel/auth';
import {
  AssignmentService, GroupService, IdentityService, NotFoundError, ResourceService, RoleAssignmentNotFoundError, type AssignmentType,
  type Grant,
} from '@lintel/domain';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { domainTarget, groupTarget, projectTarget, roleTarget, userTarget } from '../targets.js';
import { renderRole } from './roles.controller.js';

type Verb = 'create' | 'check' | 'revoke' | 'list';
type Kind = 'Domain' | 'Project';
type Actor = 'User' | 'Group';

const ONE = ['domains/:domain_id/users/:user_id', 'domains/:domain_id/groups/:group_id', 'projects/:project_id/users/:user_id', 'projects/:project_id/groups/:group_id']
  .map((x) => `OS-INHERIT/${x}/roles/:role_id/inherited_to_projects`);
const LIST = ['domains/:domain_id/users/:user_id', 'domains/:domain_id/groups/:group_id'].map((x) => `OS-INHERIT/${x}/roles/inherited_to_projects`);

/**
 * OS-INHERIT (docs/keystone-inherit-and-roles.md): grants on a domain or a project that apply to
 * the projects below it, not to the target itself. PUT, GET/HEAD (204 when granted), DELETE for
 * users and groups on domains and projects; the list only on domains (Keystone has none on
 * projects). Keystone's actions and targets are those of ordinary grants, but here nothing
 * missing is reported before the policy: a missing role, actor or target is left out of the
 * target (so only a caller allowed on any would learn of it), then the 404s follow.
 */
@Controller('v3')
export class OsInheritController {
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

  @Put(ONE)
  @HttpCode(204)
  async put(@Param() p: Record<string, string>, @Req() req: FastifyRequest): Promise<void> {
    const { grant, found } = await this.authorise(req, this.route(p), 'create');
    await this.requireRole(grant, found);
    this.requireTarget(grant, found);
    // Keystone would store a grant for an actor that does not exist; Lintel refuses it.
    if (!found.actor) throw new NotFoundError(grant.type.startsWith('User') ? 'user' : 'group', grant.actorId);
    await this.assignments.grant(grant);
  }

  @Get(ONE)
  @HttpCode(204)
  async check(@Param() p: Record<string, string>, @Req() req: FastifyRequest): Promise<void> {
    const { grant, found } = await this.authorise(req, this.route(p), 'check');
    await this.requireRole(grant, found);
    this.requireTarget(grant, found);
    if (!(await this.assignments.hasGrant(grant))) throw new RoleAssignmentNotFoundError(grant.roleId, grant.actorId, grant.targetId);
  }

  @Delete(ONE)
  @HttpCode(204)
  async revoke(@Param() p: Record<string, string>, @Req() req: FastifyRequest): Promise<void> {
    const { grant, found } = await this.authorise(req, this.route(p), 'revoke');
    await this.requireRole(grant, found);
    // Keystone's order on DELETE: whether the grant exists comes before whether the target does.
    await this.assignments.removeGrant(grant);
    // This process stops honouring the affected tokens at once; the others within the refresh bound.
    await this.revocationCache.refresh();
    this.tokens.forget();
  }

  @Get(LIST)
  async list(@Param() p: Record<string, string>, @Req() req: FastifyRequest) {
    const { grant, found } = await this.authorise(req, this.route(p), 'list');
    this.requireTarget(grant, found);
    const base = baseUrl(req, this.cfg);
    const roles = found.actor ? await this.assignments.grantedRoles(grant.type, grant.actorId, grant.targetId, true) : [];
    return { roles: roles.map((r) => renderRole(r, base)), links: { self: selfUrl(req, this.cfg), previous: null, next: null } };
  }

  /** The route's parts, from Keystone's view-argument names. */
  private route(p: Record<string, string>): { kind: Kind; actor: Actor; targetId: string; actorId: string; roleId?: string } {
    return {
      kind: p.domain_id !== undefined ? 'Domain' : 'Project', actor: p.user_id !== undefined ? 'User' : 'Group',
      targetId: p.domain_id ?? p.project_id!, actorId: p.user_id ?? p.group_id!, roleId: p.role_id,
    };
  }

  /**
   * `identity:<verb>_grant(s)` with what exists of the role, the actor and the target as the
   * target (`target.role`, `target.user` or `target.group`, `target.domain` or `target.project`)
   * and Keystone's view arguments.
   */
  private async authorise(req: FastifyRequest, r: ReturnType<OsInheritController['route']>, verb: Verb) {
    const role = r.roleId !== undefined ? await this.assignments.getRole(r.roleId) : null;
    const user = r.actor === 'User' ? await this.identity.getUser(r.actorId) : null;
    const group = r.actor === 'Group' ? await this.groups.get(r.actorId) : null;
    const project = r.kind === 'Project' ? await this.resources.getProject(r.targetId) : null;
    const domain = r.kind === 'Domain' ? await this.resources.getDomain(r.targetId) : null;
    const target: Record<string, unknown> = {};
    if (role) target.role = roleTarget(role);
    if (user) target.user = userTarget(user);
    if (group) target.group = groupTarget(group);
    if (project) target.project = projectTarget(project);
    if (domain) target.domain = domainTarget(domain);
    const action = verb === 'list' ? 'identity:list_grants' : `identity:${verb}_grant`;
    Object.assign(target, await this.facts.forAction(action, { user, group, project }));
    const args: Record<string, string> = { [r.kind === 'Domain' ? 'domain_id' : 'project_id']: r.targetId, [r.actor === 'User' ? 'user_id' : 'group_id']: r.actorId };
    if (r.roleId !== undefined) args.role_id = r.roleId;
    this.authz.enforce(req, action, { args, target });
    const grant: Grant = { type: `${r.actor}${r.kind}` as AssignmentType, actorId: r.actorId, targetId: r.targetId, roleId: r.roleId ?? '', inherited: true };
    return { grant, found: { role: !!role, actor: !!(user ?? group), target: !!(project ?? domain) } };
  }

  private async requireRole(g: Grant, found: { role: boolean }): Promise<void> {
    if (!found.role) throw new NotFoundError('role', g.roleId);
  }

  private requireTarget(g: Grant, found: { target: boolean }): void {
    if (!found.target) throw new NotFoundError(g.type.endsWith('Domain') ? 'domain' : 'project', g.targetId);
  }
}
