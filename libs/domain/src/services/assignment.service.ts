import { Injectable } from '@nestjs/common';
import { DataSource, In } from 'typeorm';
import {
  DomainEntity, ImpliedRoleEntity, ProjectEntity, RoleAssignmentEntity, RoleEntity, type AssignmentType,
} from '../entities/index.js';
import { ConflictError, insertOrConflict, NotFoundError } from '../errors.js';
import { newId, NULL_DOMAIN_ID, SYSTEM_TARGET_ID } from '../ids.js';
import { RevocationService } from './revocation.service.js';

/** What a token is scoped to. */
export type ScopeTarget = { project: string } | { domain: string } | { system: true };

export interface Grant {
  type: AssignmentType;
  actorId: string;
  targetId: string;
  roleId: string;
  inherited?: boolean;
}

/** Roles, implied roles and role assignments (Keystone's assignment manager). */
@Injectable()
export class AssignmentService {
  constructor(
    private readonly ds: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  findGlobalRole(name: string): Promise<RoleEntity | null> {
    return this.ds.getRepository(RoleEntity).findOneBy({ name, domainId: NULL_DOMAIN_ID });
  }

  async createRole(r: { id?: string; name: string; domainId?: string | null; description?: string | null }): Promise<RoleEntity> {
    const repo = this.ds.getRepository(RoleEntity);
    const domainId = r.domainId ?? NULL_DOMAIN_ID;
    const conflict = () => new ConflictError('role', `Duplicate entry found with name ${r.name}`);
    if (await repo.findOneBy({ name: r.name, domainId })) throw conflict();
    const e = repo.create({ id: r.id ?? newId(), name: r.name, domainId, description: r.description ?? null, options: {}, extra: {} });
    return insertOrConflict(() => repo.insert(e as never), e, conflict);
  }

  /** Idempotent: an existing implication is left as it is. */
  async addImpliedRole(priorRoleId: string, impliedRoleId: string): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(ImpliedRoleEntity).values({ priorRoleId, impliedRoleId }).orIgnore().execute();
  }

  /** Idempotent, as Keystone's PUT on a grant. */
  async grant(g: Grant): Promise<void> {
    await this.ds.createQueryBuilder().insert().into(RoleAssignmentEntity)
      .values({ ...g, inherited: g.inherited ?? false }).orIgnore().execute();
  }

  /** Removes a grant and revokes the actor's tokens on that target, in one transaction. */
  async removeGrant(g: Grant): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.delete(RoleAssignmentEntity, { ...g, inherited: g.inherited ?? false });
      if (!r.affected) {
        throw new NotFoundError('role assignment', `role: ${g.roleId}, user or group: ${g.actorId}, project, domain, or system: ${g.targetId}`);
      }
      const userId = g.type.startsWith('User') ? g.actorId : undefined;
      const target = g.type.endsWith('Project') ? { projectId: g.targetId } : g.type.endsWith('Domain') ? { domainId: g.targetId } : {};
      await this.revocations.revoke({ userId, ...target }, tx);
    });
  }

  /**
   * The user's effective roles on a target: direct grants, grants inherited from the project's
   * domain, and every role those imply (transitively). Sorted by name.
   */
  async effectiveRoles(userId: string, target: ScopeTarget): Promise<RoleEntity[]> {
    const repo = this.ds.getRepository(RoleAssignmentEntity);
    let rows: RoleAssignmentEntity[];
    if ('project' in target) {
      const project = await this.ds.getRepository(ProjectEntity).findOneBy({ id: target.project });
      if (!project) return [];
      rows = await repo.find({
        where: [
          { type: 'UserProject', actorId: userId, targetId: project.id, inherited: false },
          { type: 'UserDomain', actorId: userId, targetId: project.domainId, inherited: true },
        ],
      });
    } else if ('domain' in target) {
      rows = await repo.findBy({ type: 'UserDomain', actorId: userId, targetId: target.domain, inherited: false });
    } else {
      rows = await repo.findBy({ type: 'UserSystem', actorId: userId, targetId: SYSTEM_TARGET_ID });
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

  /** Projects on which the user holds a role (directly or inherited from the domain). */
  async projectsOfUser(userId: string): Promise<ProjectEntity[]> {
    const rows = await this.ds.getRepository(RoleAssignmentEntity).findBy({ actorId: userId, type: In(['UserProject', 'UserDomain']) });
    const projectIds = rows.filter((r) => r.type === 'UserProject').map((r) => r.targetId);
    const inheritedDomains = rows.filter((r) => r.type === 'UserDomain' && r.inherited).map((r) => r.targetId);
    const where = [
      ...(projectIds.length ? [{ id: In(projectIds) }] : []),
      ...(inheritedDomains.length ? [{ domainId: In(inheritedDomains) }] : []),
    ];
    if (!where.length) return [];
    return this.ds.getRepository(ProjectEntity).find({ where, order: { name: 'ASC' } });
  }

  /** Domains on which the user holds a domain-level role. */
  async domainsOfUser(userId: string): Promise<DomainEntity[]> {
    const rows = await this.ds.getRepository(RoleAssignmentEntity).findBy({ actorId: userId, type: 'UserDomain', inherited: false });
    if (!rows.length) return [];
    return this.ds.getRepository(DomainEntity).find({ where: { id: In(rows.map((r) => r.targetId)) }, order: { name: 'ASC' } });
  }

  async hasSystemRole(userId: string): Promise<boolean> {
    return (await this.ds.getRepository(RoleAssignmentEntity).countBy({ type: 'UserSystem', actorId: userId })) > 0;
  }
}
