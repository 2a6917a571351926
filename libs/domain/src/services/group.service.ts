import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import { GroupEntity, GroupMembershipEntity, RoleAssignmentEntity, UserEntity } from '../entities/index.js';
import { boundedExtra, ConflictError, insertOrConflict, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { RevocationService } from './revocation.service.js';
import { pageByName, type Page, type PageRequest } from './page.js';
import { allowedMatches, whereTextMatches, type TextMatches } from './text-match.js';

/** Groups and membership (Keystone's identity manager, groups half). */
@Injectable()
export class GroupService {
  constructor(
    @InjectRepository(GroupEntity) private readonly groups: Repository<GroupEntity>,
    @InjectRepository(GroupMembershipEntity) private readonly userGroupMemberships: Repository<GroupMembershipEntity>,
    @InjectRepository(UserEntity) private readonly users: Repository<UserEntity>,
    private readonly db: TransactionRunner,
    private readonly ds: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  get(id: string): Promise<GroupEntity | null> {
    return this.groups.findOneBy({ id });
  }

  /** Groups matching exact filters and inexact ones on `name` and `domain_id`, by name. */
  list(f: { name?: string; domainId?: string; match?: TextMatches } = {}, page: PageRequest = {}): Promise<Page<GroupEntity>> {
    const qb = this.groups.createQueryBuilder('g');
    if (f.name !== undefined) qb.andWhere('g.name = :name', { name: f.name });
    if (f.domainId !== undefined) qb.andWhere('g.domain_id = :domainId', { domainId: f.domainId });
    for (const [column, m] of allowedMatches(f.match, { name: 'g.name', domain_id: 'g.domain_id' })) whereTextMatches(this.ds, qb, column, m);
    return pageByName(qb, 'g', page, async (id) => (await this.get(id))?.name ?? null);
  }

  async create(g: { name: string; domainId: string; description?: string | null; extra?: Record<string, unknown> }): Promise<GroupEntity> {
    const conflict = () => new ConflictError('group', `Duplicate entry found with name ${g.name} at domain ID ${g.domainId}`);
    if (await this.groups.findOneBy({ domainId: g.domainId, name: g.name })) throw conflict();
    const e = this.groups.create({ id: newId(), name: g.name, domainId: g.domainId, description: g.description ?? null, extra: boundedExtra(g.extra ?? {}) });
    return insertOrConflict(() => this.db.write((m) => m.getRepository(GroupEntity).insert(e as never)), e, conflict);
  }

  async update(id: string, patch: { name?: string; description?: string | null; extra?: Record<string, unknown> }): Promise<GroupEntity> {
    return this.db.transaction(async (tx) => {
      const g = await tx.findOneBy(GroupEntity, { id });
      if (!g) throw new NotFoundError('group', id);
      if (patch.name !== undefined && patch.name !== g.name && (await tx.findOneBy(GroupEntity, { domainId: g.domainId, name: patch.name }))) {
        throw new ConflictError('group', `Duplicate entry found with name ${patch.name} at domain ID ${g.domainId}`);
      }
      const next: GroupEntity = {
        ...g, name: patch.name ?? g.name, description: patch.description !== undefined ? patch.description : g.description,
        extra: boundedExtra(patch.extra ? { ...(g.extra ?? {}), ...patch.extra } : g.extra),
      };
      await tx.update(GroupEntity, { id }, { name: next.name, description: next.description, extra: next.extra as never });
      return next;
    });
  }

  /** Deletes a group, its memberships and its grants; members' tokens are revoked (one transaction). */
  async delete(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      if (!(await tx.findOneBy(GroupEntity, { id }))) throw new NotFoundError('group', id);
      const members = await tx.findBy(GroupMembershipEntity, { groupId: id });
      await tx.delete(RoleAssignmentEntity, { actorId: id, type: In(['GroupProject', 'GroupDomain', 'GroupSystem']) });
      await tx.delete(GroupMembershipEntity, { groupId: id });
      await tx.delete(GroupEntity, { id });
      for (const m of members) await this.revocations.revoke({ userId: m.userId }, tx);
    });
  }

  /** Idempotent, as Keystone's PUT. */
  async addUser(groupId: string, userId: string): Promise<void> {
    await this.require(groupId, userId);
    await this.db.write((m) => m.createQueryBuilder().insert().into(GroupMembershipEntity).values({ groupId, userId }).orIgnore().execute());
  }

  /** Leaving a group revokes the user's tokens (they may have carried the group's roles). */
  async removeUser(groupId: string, userId: string): Promise<void> {
    await this.require(groupId, userId);
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(GroupMembershipEntity, { groupId, userId });
      if (!r.affected) throw new NotFoundError('user', `${userId} in group ${groupId}`);
      await this.revocations.revoke({ userId }, tx);
    });
  }

  async isMember(groupId: string, userId: string): Promise<boolean> {
    await this.require(groupId, userId);
    return (await this.userGroupMemberships.countBy({ groupId, userId })) > 0;
  }

  /** The group's members (in `domainId` when given), by name, one page: a join on `ix_membership_group`. */
  async usersOf(groupId: string, page: PageRequest = {}, domainId?: string): Promise<Page<UserEntity>> {
    if (!(await this.get(groupId))) throw new NotFoundError('group', groupId);
    const qb = this.users.createQueryBuilder('u')
      .innerJoin(GroupMembershipEntity, 'm', 'm.user_id = u.id')
      .where('m.group_id = :groupId', { groupId });
    if (domainId !== undefined) qb.andWhere('u.domain_id = :domainId', { domainId });
    return pageByName(qb, 'u', page, async (id) => (await this.users.findOneBy({ id }))?.name ?? null);
  }

  async groupsOf(userId: string): Promise<GroupEntity[]> {
    const ids = await this.groupIdsOf(userId);
    if (!ids.length) return [];
    return this.groups.find({ where: { id: In(ids) }, order: { name: 'ASC' } });
  }

  async groupIdsOf(userId: string): Promise<string[]> {
    return (await this.userGroupMemberships.findBy({ userId })).map((r) => r.groupId);
  }

  private async require(groupId: string, userId: string): Promise<void> {
    if (!(await this.get(groupId))) throw new NotFoundError('group', groupId);
    if (!(await this.users.findOneBy({ id: userId }))) throw new NotFoundError('user', userId);
  }
}
