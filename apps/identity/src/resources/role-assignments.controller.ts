import { Controller, Get, Inject, Query, Req } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import {
  AssignmentService, InvalidInputError, NotFoundError, NULL_DOMAIN_ID, ResourceService,
  type AssignmentLine, type AssignmentNames, type ScopeTarget,
} from '@lintel/domain';
import { scopedDomain } from '@lintel/auth';
import { queryFlag, queryPick, queryText } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { keystoneCaller, KeystonePolicy } from '../keystone-caller.js';
import { projectTarget } from '../targets.js';
import { pageRequest } from './pagination.js';

type Q = Record<string, unknown>;
const FILTERS = ['group.id', 'role.id', 'scope.domain.id', 'scope.project.id', 'scope.OS-INHERIT:inherited_to', 'user.id', 'scope.system'];

/**
 * `GET /v3/role_assignments` (docs/keystone.md, "Role assignments"), with `effective`,
 * `include_names` and `include_subtree`. `identity:list_role_assignments` decides (or
 * `identity:list_role_assignments_for_tree` with the subtree's root as the target); a
 * domain-scoped token then sees only assignments on its domain and the domain's projects.
 */
@Controller('v3/role_assignments')
export class RoleAssignmentsController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly assignments: AssignmentService,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Get()
  async listRoleAssignments(@Query() q: Q, @Req() req: FastifyRequest) {
    const only = scopedDomain(keystoneCaller(req));
    if (queryFlag(q, 'include_subtree')) {
      const root = queryText(q, 'scope.project.id');
      const p = root ? await this.resources.getProject(root) : null;
      if (root && !p) throw new NotFoundError('project', root);
      this.authz.enforce(req, 'identity:list_role_assignments_for_tree', {
        target: p ? { project: projectTarget(p), domain_id: p.domainId } : undefined, filters: queryPick(q, FILTERS.slice(0, -1)),
      });
    } else {
      this.authz.enforce(req, 'identity:list_role_assignments', { target: only ? { domain_id: only } : undefined, filters: queryPick(q, FILTERS) });
    }
    const inheritedTo = queryText(q, 'scope.OS-INHERIT:inherited_to');
    const f = {
      userId: queryText(q, 'user.id'), groupId: queryText(q, 'group.id'), roleId: queryText(q, 'role.id'),
      projectId: queryText(q, 'scope.project.id'), domainId: queryText(q, 'scope.domain.id'),
      system: q['scope.system'] !== undefined, effective: queryFlag(q, 'effective'),
      names: queryFlag(q, 'include_names'), includeSubtree: queryFlag(q, 'include_subtree'),
      // Keystone: given at all, the filter keeps inherited grants when it says `projects`, the others otherwise.
      inherited: q['scope.OS-INHERIT:inherited_to'] === undefined ? undefined : inheritedTo === 'projects',
    };
    const bad = (m: string) => new InvalidInputError(m);
    for (const [k, v] of Object.entries(q)) if (Array.isArray(v)) throw bad(`The filter ${k.slice(0, 64)} may be given once.`);
    if (q['scope.system'] !== undefined && q['scope.system'] !== 'all') throw bad("scope.system must be 'all'");
    if (f.projectId && f.domainId) throw bad('Specify a domain or project, not both');
    if (f.system && f.domainId) throw bad('Specify system or domain, not both');
    if (f.system && f.projectId) throw bad('Specify system or project, not both');
    if (f.userId && f.groupId) throw bad('Specify a user or group, not both');
    if (f.effective && f.groupId) throw bad('Combining effective and group filter will always result in an empty list.');
    if (f.effective && f.inherited && f.domainId) throw bad('Combining effective, domain and inherited filters will always result in an empty list.');
    if (f.includeSubtree && !f.projectId) throw bad('scope.project.id needs to be specified if include_subtree is also specified');

    // A domain reader sees assignments on its domain and on the projects in it (filtered in SQL).
    const page = await this.assignments.listAssignments({ ...f, ...(only ? { withinDomain: only } : {}) }, pageRequest(q, this.cfg, 'assignment').limit);
    const base = baseUrl(req, this.cfg);
    const names = f.names ? await this.assignments.namesOf(page.items) : undefined;
    const rendered = page.items.map((l) => this.render(l, base, names));
    return { role_assignments: rendered, links: { self: selfUrl(req, this.cfg), previous: null, next: null }, ...(page.truncated ? { truncated: true } : {}) };
  }

  /**
   * Keystone's rendering: the assignment link names the grant (the group's, the prior role's,
   * the inherited grant's target under OS-INHERIT); `prior_role` is Keystone's link, which
   * names the line's role first and its prior role second.
   */
  private render(l: AssignmentLine, base: string, names: AssignmentNames | undefined) {
    const s = l.scope;
    const at = (x: ScopeTarget) => 'project' in x ? `/projects/${x.project}` : 'domain' in x ? `/domains/${x.domain}` : '/system';
    const grantActor = l.viaGroup ? `groups/${l.viaGroup}` : `${l.actor.type}s/${l.actor.id}`;
    let path = `${at(l.grantScope ?? s)}/${grantActor}/roles/${l.priorRoleId ?? l.roleId}`;
    if (l.inherited) path = `/OS-INHERIT${path}/inherited_to_projects`;
    const links: Record<string, string> = { assignment: `${base}/v3${path}` };
    if (l.viaGroup) links.membership = `${base}/v3/groups/${l.viaGroup}/users/${l.actor.id}`;
    if (l.priorRoleId) links.prior_role = `${base}/v3/prior_role/${l.roleId}/implies/${l.priorRoleId}`;
    const scope: Record<string, unknown> = 'project' in s ? { project: { id: s.project } } : 'domain' in s ? { domain: { id: s.domain } } : { system: { all: true } };
    if (l.inherited) scope['OS-INHERIT:inherited_to'] = 'projects';
    const entry: Record<string, unknown> = { role: { id: l.roleId }, [l.actor.type]: { id: l.actor.id }, scope, links };
    if (names) addNames(entry, l, names);
    return entry;
  }
}

/** `include_names`: names of the role, the actor (with its domain) and the scope, from names read for the whole page. */
function addNames(entry: Record<string, any>, l: AssignmentLine, n: AssignmentNames): void {
  const domainRef = (id: string) => ({ id, name: n.domains.get(id) ?? null });
  const role = n.roles.get(l.roleId);
  if (role) {
    entry.role.name = role.name;
    if (role.domainId !== NULL_DOMAIN_ID) entry.role.domain = domainRef(role.domainId);
  }
  const actor = (l.actor.type === 'user' ? n.users : n.groups).get(l.actor.id);
  if (actor) Object.assign(entry[l.actor.type], { name: actor.name, domain: domainRef(actor.domainId) });
  if ('project' in l.scope) {
    const p = n.projects.get(l.scope.project);
    if (p) Object.assign(entry.scope.project, { name: p.name, domain: domainRef(p.domainId) });
  } else if ('domain' in l.scope) {
    entry.scope.domain.name = n.domains.get(l.scope.domain) ?? null;
  }
}
