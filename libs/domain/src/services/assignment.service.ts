import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, type EntityManager } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import {
  DomainEntity, GroupMembershipEntity, ImpliedRoleEntity, ProjectEntity, RoleAssignmentEntity, RoleEntity, type AssignmentType,
} from '../entities/index.js';
import { ConflictError, DomainError, insertOrConflict, InvalidInputError, NotFoundError, RoleAssignmentNotFoundError } from '../errors.js';
import { newId, NULL_DOMAIN_ID, SYSTEM_TARGET_ID } from '../ids.js';
import { removeApplicationCredentialsForRole } from './application-credential.cascade.js';
import { AssignmentListing, assignmentNames, type AssignmentNames } from './assignment-listing.js';
import { pageByName, pageFrom, type Page, type PageRequest } from './page.js';
import { ancestorsOf, descendantsOf, placeholders } from './project-tree.js';
import { RevocationService } from './revocation.service.js';
import { allowedMatches, whereTextMatches, type TextMatches } from './text-match.js';

export type { AssignmentNames } from './assignment-listing.js';

/** What a token is scoped to. */
export type ScopeTarget = { project: string } | { domain: string } | { system: true };

export interface Grant {
  type: AssignmentType;
  actorId: string;
  targetId: string;
  roleId: string;
  /** OS-INHERIT: the grant applies to the projects below its target, not to the target itself. */
  inherited?: boolean;
}

/** One line of `GET /v3/role_assignments`, before rendering. */
export interface AssignmentLine {
  roleId: string;
  actor: { type: 'user' | 'group'; id: string };
  /** Where the role applies: the grant's target, or with `effective` a project an inherited grant reaches. */
  scope: ScopeTarget;
  /** The line comes from a grant inherited to projects (`OS-INHERIT:inherited_to`). */
  inherited?: boolean;
  /** With `effective`: the target of the inherited grant, when it is not `scope`. */
  grantScope?: ScopeTarget;
  /** With `effective`: the group grant a user entry came from. */
  viaGroup?: string;
  /** With `effective`: the role whose grant implied this one. */
  priorRoleId?: string;
}

export interface AssignmentFilter {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  /** With `projectId`: its whole subtree too. */
  includeSubtree?: boolean;
  domainId?: string;
  system?: boolean;
  /** `scope.OS-INHERIT:inherited_to`: true for inherited grants only, false for the others, unset for both. */
  inherited?: boolean;
  effective?: boolean;
  /** Only lines on this domain or on one of its projects (what a domain-scoped caller sees). */
  withinDomain?: string;
}

/** Role fields a create or an update may set (`options` holds Keystone's resource options). */
export interface RoleInput {
  name?: string;
  description?: string | null;
  options?: Record<string, boolean | null>;
  domainId?: string | null;
}

/** Implied roles no role may imply (Keystone's `[assignment] prohibited_implied_role` default). */
export const PROHIBITED_IMPLIED_ROLES: readonly string[] = ['admin'];

/** Above this many projects below an inherited project grant, its removal revokes per domain instead of per project. */
const PER_PROJECT_REVOCATIONS = 16;

const isProject = (t: AssignmentType) => t.endsWith('Project');
const isDomain = (t: AssignmentType) => t.endsWith('Domain');
const isGroup = (t: AssignmentType) => t.startsWith('Group');

/** SQL text: the user and the groups they belong to (`?` twice, the user id). */
const ACTORS_SQL = 'SELECT ? UNION ALL SELECT m.group_id FROM user_group_membership m WHERE m.user_id = ?';

function parseJson(v: unknown): Record<string, unknown> | null {
  if (typeof v !== 'string') return (v as Record<string, unknown> | null) ?? null;
  try {
    return JSON.parse(v) as Record<string, unknown>;
  } catch {
    return null;
  }
}

/** A role read by raw SQL, as the repository would have loaded it. */
function roleFromRow(row: Record<string, unknown>): RoleEntity {
  return Object.assign(new RoleEntity(), {
    id: row.id, name: row.name, domainId: row.domain_id, description: row.description ?? null,
    options: parseJson(row.options), extra: parseJson(row.extra),
  });
}

const byName = (a: RoleEntity, b: RoleEntity) => a.name.localeCompare(b.name);

/** Roles, implied roles and role assignments (Keystone's assignment manager). */
@Injectable()
export class AssignmentService {
  constructor(
    @InjectRepository(RoleEntity) private readonly roles: Repository<RoleEntity>,
    @InjectRepository(ImpliedRoleEntity) private readonly impliedRoles: Repository<ImpliedRoleEntity>,
    @InjectRepository(RoleAssignmentEntity) private readonly roleAssignments: Repository<RoleAssignmentEntity>,
    @InjectRepository(GroupMembershipEntity) private readonly userGroupMemberships: Repository<GroupMembershipEntity>,
    @InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(DomainEntity) private readonly domains: Repository<DomainEntity>,
    private readonly db: TransactionRunner,
    private readonly ds: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  // ------------------------------------------------------------------ roles

  findGlobalRole(name: string): Promise<RoleEntity | null> {
    return this.roles.findOneBy({ name, domainId: NULL_DOMAIN_ID });
  }

  getRole(id: string): Promise<RoleEntity | null> {
    return this.roles.findOneBy({ id });
  }

  /** Global roles, or a domain's with `domainId` (Keystone's `GET /v3/roles`), matching `name` exactly and inexact filters on it, by name. */
  listRoles(f: { name?: string; domainId?: string | null; match?: TextMatches } = {}, page: PageRequest = {}): Promise<Page<RoleEntity>> {
    const qb = this.roles.createQueryBuilder('r').where('r.domain_id = :domainId', { domainId: f.domainId || NULL_DOMAIN_ID });
    if (f.name !== undefined) qb.andWhere('r.name = :name', { name: f.name });
    for (const [column, m] of allowedMatches(f.match, { name: 'r.name' })) whereTextMatches(this.ds, qb, column, m);
    return pageByName(qb, 'r', page, async (id) => (await this.getRole(id))?.name ?? null);
  }

  async createRole(r: { id?: string; name: string; domainId?: string | null; description?: string | null; options?: Record<string, boolean | null>; extra?: Record<string, unknown> }): Promise<RoleEntity> {
    const domainId = r.domainId ?? NULL_DOMAIN_ID;
    const conflict = () => new ConflictError('role', `Duplicate entry found with name ${r.name}`);
    if (await this.roles.findOneBy({ name: r.name, domainId })) throw conflict();
    const e = this.roles.create({ id: r.id ?? newId(), name: r.name, domainId, description: r.description ?? null, options: mergeOptions({}, r.options), extra: r.extra ?? {} });
    return insertOrConflict(() => this.db.write((m) => m.getRepository(RoleEntity).insert(e as never)), e, conflict);
  }

  /**
   * Keystone's role update: an immutable role takes no change but `{"options": {"immutable":
   * false|null}}` alone (`bodyKeys` are the attributes the request named); `domain_id` cannot
   * change; `options` are merged, a null value removing its option.
   */
  async updateRole(id: string, patch: RoleInput, bodyKeys: readonly string[] = Object.keys(patch)): Promise<RoleEntity> {
    return this.db.transaction(async (tx) => {
      const r = await tx.findOneBy(RoleEntity, { id });
      if (!r) throw new NotFoundError('role', id);
      if (isImmutable(r)) {
        const unset = bodyKeys.length === 1 && bodyKeys[0] === 'options' && patch.options !== undefined
          && 'immutable' in patch.options && (patch.options.immutable === false || patch.options.immutable === null);
        if (!unset) throw immutableError('update', id);
      }
      if (patch.domainId !== undefined && (patch.domainId ?? NULL_DOMAIN_ID) !== r.domainId) throw new InvalidInputError('Update of `domain_id` is not allowed.');
      if (patch.name !== undefined && patch.name !== r.name && (await tx.findOneBy(RoleEntity, { name: patch.name, domainId: r.domainId }))) {
        throw new ConflictError('role', `Duplicate entry found with name ${patch.name}`);
      }
      const next = Object.assign(new RoleEntity(), r, {
        name: patch.name ?? r.name,
        description: patch.description !== undefined ? patch.description : r.description,
        options: mergeOptions(r.options, patch.options),
      });
      await tx.update(RoleEntity, { id }, { name: next.name, description: next.description, options: next.options as never });
      return next;
    });
  }

  /**
   * Deletes a mutable role, its grants and implications, revoking every token that carried it, and
   * the application credentials of its direct project grantees there (one transaction).
   */
  async deleteRole(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.findOneBy(RoleEntity, { id });
      if (!r) throw new NotFoundError('role', id);
      if (isImmutable(r)) throw immutableError('delete', id);
      await removeApplicationCredentialsForRole(tx, id, this.revocations);
      await tx.delete(RoleAssignmentEntity, { roleId: id });
      await tx.delete(ImpliedRoleEntity, { priorRoleId: id });
      await tx.delete(ImpliedRoleEntity, { impliedRoleId: id });
      await tx.delete(RoleEntity, { id });
      await this.revocations.revoke({ roleId: id }, tx);
    });
  }

  // ------------------------------------------------------------------ implied roles

  /**
   * Idempotent: an existing implication is left as it is. Keystone's two refusals (403, its text
   * for both): a prohibited role (`admin`) implied by anything, a domain-specific role implied
   * by a global one.
   */
  async addImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    const [prior, implied] = [await this.getRole(priorRoleId), await this.getRole(impliedRoleId)];
    if (!prior) throw new NotFoundError('role', priorRoleId);
    if (!implied) throw new NotFoundError('role', impliedRoleId);
    if (PROHIBITED_IMPLIED_ROLES.includes(implied.name) || (prior.domainId === NULL_DOMAIN_ID && implied.domainId !== NULL_DOMAIN_ID)) {
      throw new DomainError('Forbidden', `${impliedRoleId} cannot be an implied roles.`);
    }
    await this.db.write((m) => m.createQueryBuilder().insert().into(ImpliedRoleEntity).values({ priorRoleId, impliedRoleId }).orIgnore().execute());
  }

  async removeImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(ImpliedRoleEntity, { priorRoleId, impliedRoleId });
      if (!r.affected) throw new NotFoundError('role inference', `${priorRoleId} implies ${impliedRoleId}`);
      // Tokens carrying the prior role may have carried the implied one through it.
      await this.revocations.revoke({ roleId: priorRoleId }, tx);
    });
  }

  listImplications(priorRoleId?: string): Promise<ImpliedRoleEntity[]> {
    return this.impliedRoles.find({ where: priorRoleId ? { priorRoleId } : {}, order: { priorRoleId: 'ASC', impliedRoleId: 'ASC' } });
  }

  // ------------------------------------------------------------------ grants

  /**
   * Idempotent, as Keystone's PUT on a grant. Keystone's checks on the role: a domain-specific
   * role is granted on a project only in the role's domain (403), never on the system (400).
   */
  async grant(g: Grant): Promise<void> {
    const role = await this.getRole(g.roleId);
    if (!role) throw new NotFoundError('role', g.roleId);
    if (role.domainId !== NULL_DOMAIN_ID) {
      if (g.type.endsWith('System')) {
        throw new InvalidInputError(`Role ${role.id} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`);
      }
      const project = isProject(g.type) ? await this.projects.findOneBy({ id: g.targetId }) : null;
      if (project && project.domainId !== role.domainId) {
        throw new DomainError('Forbidden', `Project ${project.id} must be in the same domain as the role ${role.id} being assigned.`);
      }
    }
    await this.db.write((m) => m.createQueryBuilder().insert().into(RoleAssignmentEntity)
      .values({ ...g, inherited: g.inherited ?? false }).orIgnore().execute());
  }

  async hasGrant(g: Grant): Promise<boolean> {
    return (await this.roleAssignments.countBy({ ...g, inherited: g.inherited ?? false })) > 0;
  }

  /** Roles granted directly to an actor on a target (or, with `inherited`, inherited to the projects below it). */
  async grantedRoles(type: AssignmentType, actorId: string, targetId: string, inherited = false): Promise<RoleEntity[]> {
    const rows = await this.roleAssignments.findBy({ type, actorId, targetId, inherited });
    if (!rows.length) return [];
    return this.roles.find({ where: { id: In(rows.map((r) => r.roleId)) }, order: { name: 'ASC' } });
  }

  /**
   * Removes a grant and revokes the tokens it may have fed, in one transaction: the actor's (or
   * each member's) tokens on the target; for a grant inherited from a domain, on the domain's
   * projects; from a project, on each project below it (per domain past a few).
   */
  async removeGrant(g: Grant): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(RoleAssignmentEntity, { ...g, inherited: g.inherited ?? false });
      if (!r.affected) {
        throw new RoleAssignmentNotFoundError(g.roleId, g.actorId, g.targetId);
      }
      let targets: Array<{ projectId?: string; domainId?: string }>;
      if (!g.inherited) {
        targets = [isProject(g.type) ? { projectId: g.targetId } : isDomain(g.type) ? { domainId: g.targetId } : {}];
      } else if (isDomain(g.type)) {
        targets = [{ domainId: g.targetId }];
      } else {
        const below = (await descendantsOf(tx, [g.targetId])).get(g.targetId) ?? [];
        const domainId = (await tx.findOneBy(ProjectEntity, { id: g.targetId }))?.domainId;
        targets = below.length > PER_PROJECT_REVOCATIONS && domainId ? [{ domainId }] : below.map((projectId) => ({ projectId }));
      }
      if (!targets.length) return;
      const users = isGroup(g.type) ? (await tx.findBy(GroupMembershipEntity, { groupId: g.actorId })).map((m) => m.userId) : [g.actorId];
      for (const userId of users) for (const t of targets) await this.revocations.revoke({ userId, ...t }, tx);
    });
  }

  // ------------------------------------------------------------------ effective roles

  /**
   * The roles a user's token on `target` carries (Keystone's rules): grants to the user and to
   * the user's groups on the target; on a project also grants inherited from the project's
   * domain and from the projects above it; every role those imply, transitively; then only the
   * global ones (a domain-specific role serves only to imply others; `withDomainRoles` keeps them,
   * as trusts need: docs/keystone-trusts.md). One SQL statement, read
   * through the actor and target indexes: this runs on every token validation miss.
   */
  async effectiveRoles(userId: string, target: ScopeTarget, o: { withDomainRoles?: boolean } = {}): Promise<RoleEntity[]> {
    // Each branch joins the actors to `role_assignments` on its whole primary-key prefix (type,
    // actor, target): a few index seeks whatever the table holds. CROSS JOIN keeps the actors
    // first on SQLite; MariaDB reads it as an inner join.
    const grants = (types: string, target: string, inherited: 0 | 1, extra = '') =>
      `SELECT ra.role_id FROM actors a ${extra}CROSS JOIN role_assignments ra ON ra.actor_id = a.id AND ra.target_id = ${target}
        WHERE ra.type IN (${types}) AND ra.inherited = ${inherited}`;
    const PROJECT = "'UserProject', 'GroupProject'";
    const DOMAIN = "'UserDomain', 'GroupDomain'";
    let ctes: string;
    let params: unknown[];
    if ('project' in target) {
      ctes = `anc(id, parent_id) AS (
          SELECT p.id, p.parent_id FROM projects p JOIN projects s ON p.id = s.parent_id WHERE s.id = ?
          UNION
          SELECT p.id, p.parent_id FROM projects p JOIN anc ON p.id = anc.parent_id
        ),
        granted(role_id) AS (
          ${grants(PROJECT, '?', 0)}
          UNION ALL
          ${grants(PROJECT, 'anc.id', 1, 'CROSS JOIN anc ')}
          UNION ALL
          ${grants(DOMAIN, 'p.domain_id', 1, 'CROSS JOIN projects p ')} AND p.id = ?
        )`;
      params = [target.project, target.project, target.project];
    } else if ('domain' in target) {
      ctes = `granted(role_id) AS (${grants(DOMAIN, '?', 0)})`;
      params = [target.domain];
    } else {
      ctes = `granted(role_id) AS (${grants("'UserSystem', 'GroupSystem'", '?', 0)})`;
      params = [SYSTEM_TARGET_ID];
    }
    const rows: Array<Record<string, unknown>> = await this.ds.query(
      `WITH RECURSIVE
         actors(id) AS (${ACTORS_SQL}),
         ${ctes},
         eff(role_id) AS (
           SELECT role_id FROM granted
           UNION
           SELECT ir.implied_role_id FROM implied_roles ir JOIN eff ON ir.prior_role_id = eff.role_id
         )
       SELECT r.id, r.name, r.domain_id, r.description, r.options, r.extra FROM eff JOIN roles r ON r.id = eff.role_id
        WHERE r.domain_id = ? OR ? = 1`,
      [userId, userId, ...params, NULL_DOMAIN_ID, o.withDomainRoles ? 1 : 0],
    );
    return rows.map(roleFromRow).sort(byName);
  }

  /** A user and the groups they belong to: every actor whose grants the user enjoys. */
  async actorsOf(userId: string): Promise<string[]> {
    return [userId, ...(await this.groupIdsOf(userId))];
  }

  /**
   * True when any of the actors holds a grant beyond `domainId`: on the system, on another
   * domain, on a project of another domain, or on one of `beyond` (the cloud's admin project).
   * Whoever takes such a user or group over gains those grants (docs/policy.md, "Facts").
   */
  async holdsGrantsBeyond(actorIds: string[], domainId: string, beyond: readonly string[] = []): Promise<boolean> {
    if (!actorIds.length) return false;
    const rows = await this.roleAssignments.findBy({ actorId: In(actorIds) });
    const projectIds = rows.filter((r) => isProject(r.type)).map((r) => r.targetId);
    const projects = projectIds.length ? await this.projects.findBy({ id: In(projectIds) }) : [];
    const projectDomain = new Map(projects.map((p) => [p.id, p.domainId]));
    return rows.some((r) => r.type.endsWith('System')
      || (isDomain(r.type) && r.targetId !== domainId)
      || (isProject(r.type) && (projectDomain.get(r.targetId) !== domainId || beyond.includes(r.targetId))));
  }

  private async groupIdsOf(userId: string, tx: EntityManager = this.userGroupMemberships.manager): Promise<string[]> {
    return (await tx.findBy(GroupMembershipEntity, { userId })).map((m) => m.groupId);
  }

  /** The user's and their groups' project and domain grants. */
  private async actorGrants(userId: string, types: AssignmentType[]): Promise<RoleAssignmentEntity[]> {
    return this.roleAssignments.findBy({ actorId: In(await this.actorsOf(userId)), type: In(types) });
  }

  /**
   * Of `roleIds`, those that put a role in a token: global roles, and domain-specific roles that
   * imply a global one (directly or through others).
   */
  private async rolesYieldingGlobal(roleIds: readonly string[]): Promise<Set<string>> {
    const ids = [...new Set(roleIds)];
    if (!ids.length) return new Set();
    const rows: Array<{ root: string }> = await this.ds.query(
      `WITH RECURSIVE reach(root, role_id) AS (
         SELECT id, id FROM roles WHERE id IN (${placeholders(ids.length)})
         UNION
         SELECT reach.root, ir.implied_role_id FROM implied_roles ir JOIN reach ON ir.prior_role_id = reach.role_id
       ) SELECT DISTINCT reach.root AS root FROM reach JOIN roles r ON r.id = reach.role_id WHERE r.domain_id = ?`,
      [...ids, NULL_DOMAIN_ID],
    );
    return new Set(rows.map((r) => r.root));
  }

  /**
   * Projects on which the user's tokens carry a role: granted to the user or a group on the
   * project, inherited from its domain or from a project above it (Keystone's effective
   * assignments; a domain-specific role counts only through the global roles it implies). By
   * name, `limit` at most. The user's grants are read through the actor index; each source of
   * projects then gives its first `limit + 1` by name (a domain's through its (domain, name)
   * key, a subtree walked in SQL), and one statement orders their union. No statement pairs
   * `ORDER BY name LIMIT` with a condition MariaDB would check row by row along the name index
   * (that walked all projects to find a user's nine: docs/performance.md).
   */
  async projectsOfUser(userId: string, limit?: number): Promise<Page<ProjectEntity>> {
    const rows = await this.actorGrants(userId, ['UserProject', 'GroupProject', 'UserDomain', 'GroupDomain']);
    const useful = await this.rolesYieldingGlobal(rows.map((r) => r.roleId));
    const counted = rows.filter((r) => useful.has(r.roleId));
    const direct = counted.filter((r) => isProject(r.type) && !r.inherited).map((r) => r.targetId);
    const domains = [...new Set(counted.filter((r) => isDomain(r.type) && r.inherited).map((r) => r.targetId))];
    const roots = [...new Set(counted.filter((r) => isProject(r.type) && r.inherited).map((r) => r.targetId))];
    const bound = limit === undefined ? '' : ` LIMIT ${limit + 1}`;
    const ids = new Set(direct);
    for (const domainId of domains) {
      const inDomain: Array<{ id: string }> = await this.ds.query(`SELECT p.id AS id FROM projects p WHERE p.domain_id = ? ORDER BY p.name${bound}`, [domainId]);
      for (const r of inDomain) ids.add(r.id);
    }
    if (roots.length) {
      const below: Array<{ id: string }> = await this.ds.query(
        `WITH RECURSIVE below(id, name) AS (
           SELECT c.id, c.name FROM projects c WHERE c.parent_id IN (${placeholders(roots.length)})
           UNION
           SELECT c.id, c.name FROM projects c JOIN below b ON c.parent_id = b.id
         ) SELECT id FROM below ORDER BY name, id${bound}`,
        roots,
      );
      for (const r of below) ids.add(r.id);
    }
    if (!ids.size) return { items: [], truncated: false };
    // A few pages of ids at most; no LIMIT here, so the primary key serves the IN list.
    const projects = await this.projects.find({ where: { id: In([...ids]) }, order: { name: 'ASC', id: 'ASC' } });
    return pageFrom(projects, limit);
  }

  /** Domains on which the user (or one of their groups) holds a domain-level role a token carries. */
  async domainsOfUser(userId: string): Promise<DomainEntity[]> {
    const rows = (await this.actorGrants(userId, ['UserDomain', 'GroupDomain'])).filter((r) => !r.inherited);
    const useful = await this.rolesYieldingGlobal(rows.map((r) => r.roleId));
    const ids = [...new Set(rows.filter((r) => useful.has(r.roleId)).map((r) => r.targetId))];
    if (!ids.length) return [];
    return this.domains.find({ where: { id: In(ids) }, order: { name: 'ASC' } });
  }

  async hasSystemRole(userId: string): Promise<boolean> {
    const actors = [userId, ...(await this.groupIdsOf(userId))];
    return (await this.roleAssignments.countBy({ type: In(['UserSystem', 'GroupSystem']), actorId: In(actors) })) > 0;
  }

  // ------------------------------------------------------------------ GET /v3/role_assignments

  /**
   * Role assignments matching the filter (Keystone's `list_role_assignments`), `limit` lines at
   * most. Directly: the grants as stored, inherited ones marked. With `effective`: group grants
   * become one line per member (with `viaGroup`), inherited grants one line per project they
   * reach (with `grantScope`), implied roles are added (with `priorRoleId`), domain-specific
   * roles go. In SQL, bounded by the page (assignment-listing.ts).
   */
  async listAssignments(f: AssignmentFilter, limit?: number): Promise<Page<AssignmentLine>> {
    const listing = new AssignmentListing(this.ds, f, limit === undefined ? undefined : limit + 1, (u) => this.actorsOf(u), (p) => ancestorsOf(this.projects.manager, p));
    return pageFrom(await listing.run(), limit);
  }

  /** The names `include_names` adds to a page of lines, read in a few statements. */
  namesOf(lines: readonly AssignmentLine[]): Promise<AssignmentNames> {
    return assignmentNames(this.ds, lines);
  }
}

/** Keystone's `immutable` resource option. */
export function isImmutable(r: Pick<RoleEntity, 'options'>): boolean {
  return r.options?.immutable === true;
}

function immutableError(verb: 'update' | 'delete', id: string): DomainError {
  return new DomainError('Forbidden', `Unable to ${verb} immutable role resource: \`${id}. Set resource option "immutable" to false first.`);
}

/** Resource options after a change: each given option set, a null one removed. */
function mergeOptions(current: Record<string, unknown> | null, patch: Record<string, boolean | null> | undefined): Record<string, unknown> {
  const next: Record<string, unknown> = { ...(current ?? {}) };
  for (const [k, v] of Object.entries(patch ?? {})) {
    if (v === null) delete next[k];
    else next[k] = v;
  }
  return next;
}
