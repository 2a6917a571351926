import { Injectable } from '@nestjs/common';
import { DataSource, In, type EntityManager } from 'typeorm';
import {
  DomainEntity, GroupMembershipEntity, ImpliedRoleEntity, ProjectEntity, RoleAssignmentEntity, RoleEntity, type AssignmentType,
} from '../entities/index.js';
import { ConflictError, DomainError as DomainError_, insertOrConflict, NotFoundError } from '../errors.js';
import { newId, NULL_DOMAIN_ID, SYSTEM_TARGET_ID } from '../ids.js';
import { RevocationService } from './revocation.service.js';
import { allowedMatches, whereTextMatches, type TextMatches } from './text-match.js';

/** What a token is scoped to. */
export type ScopeTarget = { project: string } | { domain: string } | { system: true };

export interface Grant {
  type: AssignmentType;
  actorId: string;
  targetId: string;
  roleId: string;
  inherited?: boolean;
}

/** One line of `GET /v3/role_assignments`, before rendering. */
export interface AssignmentLine {
  roleId: string;
  actor: { type: 'user' | 'group'; id: string };
  scope: ScopeTarget;
  /** With `effective`: the group grant a user entry came from. */
  viaGroup?: string;
  /** With `effective`: the role whose grant implied this one. */
  priorRoleId?: string;
}

export interface AssignmentFilter {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectIds?: string[];
  domainId?: string;
  system?: boolean;
  effective?: boolean;
}

const GROUP_TYPES: AssignmentType[] = ['GroupProject', 'GroupDomain', 'GroupSystem'];

/** Roles, implied roles and role assignments (Keystone's assignment manager). */
@Injectable()
export class AssignmentService {
  constructor(
    private readonly ds: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  // ------------------------------------------------------------------ roles

  findGlobalRole(name: string): Promise<RoleEntity | null> {
    return this.ds.getRepository(RoleEntity).findOneBy({ name, domainId: NULL_DOMAIN_ID });
  }

  getRole(id: string): Promise<RoleEntity | null> {
    return this.ds.getRepository(RoleEntity).findOneBy({ id });
  }

  /** Global roles, or a domain's with `domainId`, matching `name` exactly and inexact filters on it, by name. */
  listRoles(f: { name?: string; domainId?: string | null; match?: TextMatches } = {}): Promise<RoleEntity[]> {
    const qb = this.ds.getRepository(RoleEntity).createQueryBuilder('r').where('r.domain_id = :domainId', { domainId: f.domainId ?? NULL_DOMAIN_ID });
    if (f.name !== undefined) qb.andWhere('r.name = :name', { name: f.name });
    for (const [column, m] of allowedMatches(f.match, { name: 'r.name' })) whereTextMatches(this.ds, qb, column, m);
    return qb.orderBy('r.name', 'ASC').getMany();
  }

  async createRole(r: { id?: string; name: string; domainId?: string | null; description?: string | null; extra?: Record<string, unknown> }): Promise<RoleEntity> {
    const repo = this.ds.getRepository(RoleEntity);
    const domainId = r.domainId ?? NULL_DOMAIN_ID;
    const conflict = () => new ConflictError('role', `Duplicate entry found with name ${r.name}`);
    if (await repo.findOneBy({ name: r.name, domainId })) throw conflict();
    const e = repo.create({ id: r.id ?? newId(), name: r.name, domainId, description: r.description ?? null, options: {}, extra: r.extra ?? {} });
    return insertOrConflict(() => repo.insert(e as never), e, conflict);
  }

  async updateRole(id: string, patch: { name?: string; description?: string | null }): Promise<RoleEntity> {
    return this.ds.transaction(async (tx) => {
      const r = await tx.findOneBy(RoleEntity, { id });
      if (!r) throw new NotFoundError('role', id);
      if (patch.name !== undefined && patch.name !== r.name && (await tx.findOneBy(RoleEntity, { name: patch.name, domainId: r.domainId }))) {
        throw new ConflictError('role', `Duplicate entry found with name ${patch.name}`);
      }
      const next = { ...r, name: patch.name ?? r.name, description: patch.description !== undefined ? patch.description : r.description };
      await tx.update(RoleEntity, { id }, { name: next.name, description: next.description });
      return next;
    });
  }

  /** Deletes a role, its grants and implications, revoking every token that carried it (one transaction). */
  async deleteRole(id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      if (!(await tx.findOneBy(RoleEntity, { id }))) throw new NotFoundError('role', id);
      await tx.delete(RoleAssignmentEntity, { roleId: id });
      await tx.delete(ImpliedRoleEntity, { priorRoleId: id });
      await tx.delete(ImpliedRoleEntity, { impliedRoleId: id });
      await tx.delete(RoleEntity, { id });
      await this.revocations.revoke({ roleId: id }, tx);
    });
  }

  // ------------------------------------------------------------------ implied roles

  /** Idempotent: an existing implication is left as it is. */
  async addImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(ImpliedRoleEntity).values({ priorRoleId, impliedRoleId }).orIgnore().execute();
  }

  async removeImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.delete(ImpliedRoleEntity, { priorRoleId, impliedRoleId });
      if (!r.affected) throw new NotFoundError('role inference', `${priorRoleId} implies ${impliedRoleId}`);
      // Tokens carrying the prior role may have carried the implied one through it.
      await this.revocations.revoke({ roleId: priorRoleId }, tx);
    });
  }

  listImplications(priorRoleId?: string): Promise<ImpliedRoleEntity[]> {
    return this.ds.getRepository(ImpliedRoleEntity).find({ where: priorRoleId ? { priorRoleId } : {}, order: { priorRoleId: 'ASC', impliedRoleId: 'ASC' } });
  }

  // ------------------------------------------------------------------ grants

  /** Idempotent, as Keystone's PUT on a grant. */
  async grant(g: Grant): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(RoleAssignmentEntity)
      .values({ ...g, inherited: g.inherited ?? false }).orIgnore().execute();
  }

  async hasGrant(g: Grant): Promise<boolean> {
    return (await this.ds.getRepository(RoleAssignmentEntity).countBy({ ...g, inherited: g.inherited ?? false })) > 0;
  }

  /** Roles granted directly to an actor on a target. */
  async grantedRoles(type: AssignmentType, actorId: string, targetId: string): Promise<RoleEntity[]> {
    const rows = await this.ds.getRepository(RoleAssignmentEntity).findBy({ type, actorId, targetId, inherited: false });
    if (!rows.length) return [];
    return this.ds.getRepository(RoleEntity).find({ where: { id: In(rows.map((r) => r.roleId)) }, order: { name: 'ASC' } });
  }

  /** Removes a grant and revokes the tokens it may have fed, in one transaction. */
  async removeGrant(g: Grant): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.delete(RoleAssignmentEntity, { ...g, inherited: g.inherited ?? false });
      if (!r.affected) {
        throw new DomainError_('NotFound', `Could not find role assignment with role: ${g.roleId}, user or group: ${g.actorId}, project, domain, or system: ${g.targetId}.`);
      }
      const target = g.type.endsWith('Project') ? { projectId: g.targetId } : g.type.endsWith('Domain') ? { domainId: g.targetId } : {};
      const users = g.type.startsWith('User') ? [g.actorId] : (await tx.findBy(GroupMembershipEntity, { groupId: g.actorId })).map((m) => m.userId);
      for (const userId of users) await this.revocations.revoke({ userId, ...target }, tx);
    });
  }

  // ------------------------------------------------------------------ effective roles

  /**
   * The user's effective roles on a target: direct grants and grants to the user's groups, grants
   * inherited from the project's domain, and every role those imply (transitively). By name.
   */
  async effectiveRoles(userId: string, target: ScopeTarget): Promise<RoleEntity[]> {
    const actors = [userId, ...(await this.groupIdsOf(userId))];
    const repo = this.ds.getRepository(RoleAssignmentEntity);
    let rows: RoleAssignmentEntity[];
    if ('project' in target) {
      const project = await this.ds.getRepository(ProjectEntity).findOneBy({ id: target.project });
      if (!project) return [];
      rows = await repo.find({
        where: [
          { type: In(['UserProject', 'GroupProject']), actorId: In(actors), targetId: project.id, inherited: false },
          { type: In(['UserDomain', 'GroupDomain']), actorId: In(actors), targetId: project.domainId, inherited: true },
        ],
      });
    } else if ('domain' in target) {
      rows = await repo.findBy({ type: In(['UserDomain', 'GroupDomain']), actorId: In(actors), targetId: target.domain, inherited: false });
    } else {
      rows = await repo.findBy({ type: In(['UserSystem', 'GroupSystem']), actorId: In(actors), targetId: SYSTEM_TARGET_ID });
    }
    return this.expand(rows.map((r) => r.roleId));
  }

  /** Role ids plus everything they imply, loaded as entities. */
  private async expand(roleIds: string[]): Promise<RoleEntity[]> {
    const seen = new Set(roleIds);
    let frontier = [...seen];
    while (frontier.length) {
      const implied = await this.ds.getRepository(ImpliedRoleEntity).findBy({ priorRoleId: In(frontier) });
      frontier = implied.map((i) => i.impliedRoleId).filter((id) => !seen.has(id));
      for (const id of frontier) seen.add(id);
    }
    if (!seen.size) return [];
    const roles = await this.ds.getRepository(RoleEntity).findBy({ id: In([...seen]) });
    return roles.sort((a, b) => a.name.localeCompare(b.name));
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
    const rows = await this.ds.getRepository(RoleAssignmentEntity).findBy({ actorId: In(actorIds) });
    const projectIds = rows.filter((r) => r.type.endsWith('Project')).map((r) => r.targetId);
    const projects = projectIds.length ? await this.ds.getRepository(ProjectEntity).findBy({ id: In(projectIds) }) : [];
    const projectDomain = new Map(projects.map((p) => [p.id, p.domainId]));
    return rows.some((r) => r.type.endsWith('System')
      || (r.type.endsWith('Domain') && r.targetId !== domainId)
      || (r.type.endsWith('Project') && (projectDomain.get(r.targetId) !== domainId || beyond.includes(r.targetId))));
  }

  private async groupIdsOf(userId: string, tx: EntityManager = this.ds.manager): Promise<string[]> {
    return (await tx.findBy(GroupMembershipEntity, { userId })).map((m) => m.groupId);
  }

  /** Projects on which the user holds a role (directly, through a group, or inherited from the domain). */
  async projectsOfUser(userId: string): Promise<ProjectEntity[]> {
    const actors = [userId, ...(await this.groupIdsOf(userId))];
    const rows = await this.ds.getRepository(RoleAssignmentEntity).findBy({ actorId: In(actors), type: In(['UserProject', 'UserDomain', 'GroupProject', 'GroupDomain']) });
    const projectIds = rows.filter((r) => r.type.endsWith('Project')).map((r) => r.targetId);
    const inheritedDomains = rows.filter((r) => r.type.endsWith('Domain') && r.inherited).map((r) => r.targetId);
    const where = [
      ...(projectIds.length ? [{ id: In(projectIds) }] : []),
      ...(inheritedDomains.length ? [{ domainId: In(inheritedDomains) }] : []),
    ];
    if (!where.length) return [];
    return this.ds.getRepository(ProjectEntity).find({ where, order: { name: 'ASC' } });
  }

  /** Domains on which the user (or one of their groups) holds a domain-level role. */
  async domainsOfUser(userId: string): Promise<DomainEntity[]> {
    const actors = [userId, ...(await this.groupIdsOf(userId))];
    const rows = await this.ds.getRepository(RoleAssignmentEntity).findBy({ actorId: In(actors), type: In(['UserDomain', 'GroupDomain']), inherited: false });
    if (!rows.length) return [];
    return this.ds.getRepository(DomainEntity).find({ where: { id: In(rows.map((r) => r.targetId)) }, order: { name: 'ASC' } });
  }

  async hasSystemRole(userId: string): Promise<boolean> {
    const actors = [userId, ...(await this.groupIdsOf(userId))];
    return (await this.ds.getRepository(RoleAssignmentEntity).countBy({ type: In(['UserSystem', 'GroupSystem']), actorId: In(actors) })) > 0;
  }

  // ------------------------------------------------------------------ GET /v3/role_assignments

  /**
   * Role assignments matching the filter. With `effective`, group grants become one line per
   * member (with `viaGroup`), implied roles are added (with `priorRoleId`), and group lines go.
   */
  async listAssignments(f: AssignmentFilter): Promise<AssignmentLine[]> {
    const rows = await this.ds.getRepository(RoleAssignmentEntity).find({ order: { type: 'ASC', actorId: 'ASC', targetId: 'ASC', roleId: 'ASC' } });
    let lines: AssignmentLine[] = rows.filter((r) => !r.inherited).map((r) => ({
      roleId: r.roleId,
      actor: { type: r.type.startsWith('User') ? 'user' : 'group', id: r.actorId },
      scope: r.type.endsWith('Project') ? { project: r.targetId } : r.type.endsWith('Domain') ? { domain: r.targetId } : { system: true },
    }));
    if (f.effective) {
      const members = await this.ds.getRepository(GroupMembershipEntity).find();
      const byGroup = new Map<string, string[]>();
      for (const m of members) byGroup.set(m.groupId, [...(byGroup.get(m.groupId) ?? []), m.userId]);
      lines = lines.flatMap((l) => l.actor.type === 'user' ? [l]
        : (byGroup.get(l.actor.id) ?? []).map((u) => ({ ...l, actor: { type: 'user' as const, id: u }, viaGroup: l.actor.id })));
      const implications = await this.listImplications();
      const impliedBy = new Map<string, string[]>();
      for (const i of implications) impliedBy.set(i.priorRoleId, [...(impliedBy.get(i.priorRoleId) ?? []), i.impliedRoleId]);
      const expanded: AssignmentLine[] = [];
      for (const l of lines) {
        expanded.push(l);
        const seen = new Set([l.roleId]);
        const walk = (prior: string) => {
          for (const implied of impliedBy.get(prior) ?? []) {
            if (seen.has(implied)) continue;
            seen.add(implied);
            expanded.push({ ...l, roleId: implied, priorRoleId: prior });
            walk(implied);
          }
        };
        walk(l.roleId);
      }
      lines = expanded;
    }
    return lines.filter((l) =>
      (f.userId === undefined || (l.actor.type === 'user' && l.actor.id === f.userId))
      && (f.groupId === undefined || (l.actor.type === 'group' && l.actor.id === f.groupId))
      && (f.roleId === undefined || l.roleId === f.roleId)
      && (f.projectIds === undefined || ('project' in l.scope && f.projectIds.includes(l.scope.project)))
      && (f.domainId === undefined || ('domain' in l.scope && l.scope.domain === f.domainId))
      && (!f.system || 'system' in l.scope));
  }
}


