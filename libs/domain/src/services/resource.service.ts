import { Injectable } from '@nestjs/common';
import { DataSource, In, type FindOptionsWhere } from 'typeorm';
import { DomainConfigEntity, DomainEntity, GroupEntity, ProjectEntity, UserEntity } from '../entities/index.js';
import { boundedExtra, ConflictError, DomainError, insertOrConflict, InvalidInputError, NotFoundError } from '../errors.js';
import { removeOwned } from './cascade.js';
import { newId } from '../ids.js';
import { RevocationService } from './revocation.service.js';

export interface NewProject {
  name: string;
  domainId: string;
  parentId?: string | null;
  description?: string | null;
  enabled?: boolean;
  tags?: string[];
  extra?: Record<string, unknown>;
  id?: string;
}

/** Domains and projects (Keystone's resource manager). */
@Injectable()
export class ResourceService {
  constructor(
    private readonly ds: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  getDomain(id: string): Promise<DomainEntity | null> {
    return this.ds.getRepository(DomainEntity).findOneBy({ id });
  }

  findDomainByName(name: string): Promise<DomainEntity | null> {
    return this.ds.getRepository(DomainEntity).findOneBy({ name });
  }

  getProject(id: string): Promise<ProjectEntity | null> {
    return this.ds.getRepository(ProjectEntity).findOneBy({ id });
  }

  findProjectByName(domainId: string, name: string): Promise<ProjectEntity | null> {
    return this.ds.getRepository(ProjectEntity).findOneBy({ domainId, name });
  }

  /** Domains matching exact-value filters, by name. */
  listDomains(f: { name?: string; enabled?: boolean } = {}): Promise<DomainEntity[]> {
    const where: FindOptionsWhere<DomainEntity> = {};
    if (f.name !== undefined) where.name = f.name;
    if (f.enabled !== undefined) where.enabled = f.enabled;
    return this.ds.getRepository(DomainEntity).find({ where, order: { name: 'ASC', id: 'ASC' } });
  }

  /** Projects matching exact-value filters, by name. */
  listProjects(f: { name?: string; domainId?: string; enabled?: boolean; parentId?: string } = {}): Promise<ProjectEntity[]> {
    const where: FindOptionsWhere<ProjectEntity> = {};
    if (f.name !== undefined) where.name = f.name;
    if (f.domainId !== undefined) where.domainId = f.domainId;
    if (f.enabled !== undefined) where.enabled = f.enabled;
    if (f.parentId !== undefined) where.parentId = f.parentId;
    return this.ds.getRepository(ProjectEntity).find({ where, order: { name: 'ASC', id: 'ASC' } });
  }

  async createDomain(d: { id?: string; name: string; description?: string | null; enabled?: boolean; tags?: string[]; extra?: Record<string, unknown> }): Promise<DomainEntity> {
    const repo = this.ds.getRepository(DomainEntity);
    const conflict = () => new ConflictError('domain', `Duplicate entry found with name ${d.name}`);
    if (await repo.findOneBy({ name: d.name })) throw conflict();
    if (d.id && (await repo.findOneBy({ id: d.id }))) throw new ConflictError('domain', `Duplicate entry found with ID ${d.id}`);
    const e = repo.create({ id: d.id ?? newId(), name: d.name, description: d.description ?? null, enabled: d.enabled ?? true, tags: d.tags ?? [], extra: boundedExtra(d.extra ?? {}) });
    return insertOrConflict(() => repo.insert(e as never), e, conflict);
  }

  async createProject(p: NewProject): Promise<ProjectEntity> {
    const repo = this.ds.getRepository(ProjectEntity);
    if (!(await this.getDomain(p.domainId))) throw new NotFoundError('domain', p.domainId);
    const conflict = () => new ConflictError('project', `it is not permitted to have two projects with either the same name or same id in the same domain: ${p.name}`);
    if (await repo.findOneBy({ domainId: p.domainId, name: p.name })) throw conflict();
    const e = repo.create({
      id: p.id ?? newId(), name: p.name, domainId: p.domainId, parentId: p.parentId ?? p.domainId, isDomain: false,
      description: p.description ?? '', enabled: p.enabled ?? true, tags: p.tags ?? [], extra: boundedExtra(p.extra ?? {}),
    });
    return insertOrConflict(() => repo.insert(e as never), e, conflict);
  }

  /** Changes a domain; disabling it revokes its tokens (same transaction). */
  async updateDomain(id: string, patch: { name?: string; description?: string | null; enabled?: boolean }): Promise<DomainEntity> {
    return this.ds.transaction(async (tx) => {
      const d = await tx.findOneBy(DomainEntity, { id });
      if (!d) throw new NotFoundError('domain', id);
      if (patch.name !== undefined && patch.name !== d.name && (await tx.findOneBy(DomainEntity, { name: patch.name }))) {
        throw new ConflictError('domain', `Duplicate entry found with name ${patch.name}`);
      }
      const next = { ...d, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as DomainEntity;
      await tx.update(DomainEntity, { id }, { name: next.name, description: next.description, enabled: next.enabled });
      if (d.enabled && !next.enabled) await this.revocations.revoke({ domainId: id }, tx);
      return next;
    });
  }

  /**
   * Deletes a disabled domain and everything in it (projects, users, their grants, credentials
   * and passwords, its configuration) in one transaction. An enabled domain cannot be deleted
   * (Keystone's 403).
   */
  async deleteDomain(id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const d = await tx.findOneBy(DomainEntity, { id });
      if (!d) throw new NotFoundError('domain', id);
      if (d.enabled) throw new DomainError('Forbidden', 'Cannot delete a domain that is enabled, please disable it first.');
      const projects = (await tx.findBy(ProjectEntity, { domainId: id })).map((p) => p.id);
      const users = (await tx.findBy(UserEntity, { domainId: id })).map((u) => u.id);
      const groups = (await tx.findBy(GroupEntity, { domainId: id })).map((g) => g.id);
      await removeOwned(tx, { projectIds: projects, userIds: users, targetIds: [...projects, id], groupIds: groups });
      if (projects.length) await tx.delete(ProjectEntity, { id: In(projects) });
      if (users.length) await tx.delete(UserEntity, { id: In(users) });
      await tx.delete(DomainEntity, { id });
      // After the domain row: a configuration write holding that row's lock has committed by now.
      await tx.delete(DomainConfigEntity, { domainId: id });
      await this.revocations.revoke({ domainId: id }, tx);
    });
  }

  /** Changes a project; disabling it revokes its tokens (same transaction). */
  async updateProject(id: string, patch: { name?: string; description?: string | null; enabled?: boolean; tags?: string[]; extra?: Record<string, unknown> }): Promise<ProjectEntity> {
    return this.ds.transaction(async (tx) => {
      const p = await tx.findOneBy(ProjectEntity, { id });
      if (!p) throw new NotFoundError('project', id);
      if (patch.name !== undefined && patch.name !== p.name && (await tx.findOneBy(ProjectEntity, { domainId: p.domainId, name: patch.name }))) {
        throw new ConflictError('project', `it is not permitted to have two projects with either the same name or same id in the same domain: ${patch.name}`);
      }
      const next = { ...p, ...Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) } as ProjectEntity;
      next.extra = boundedExtra(patch.extra ? { ...(p.extra ?? {}), ...patch.extra } : p.extra);
      await tx.update(ProjectEntity, { id }, { name: next.name, description: next.description, enabled: next.enabled, tags: next.tags as never, extra: next.extra as never });
      if (p.enabled && !next.enabled) await this.revocations.revoke({ projectId: id }, tx);
      return next;
    });
  }

  /** Deletes a leaf project with its grants and credentials, revoking its tokens, in one transaction. */
  async deleteProject(id: string): Promise<void> {
    await this.ds.transaction(async (tx) => {
      if (!(await tx.findOneBy(ProjectEntity, { id }))) throw new NotFoundError('project', id);
      if (await tx.findOneBy(ProjectEntity, { parentId: id })) {
        throw new DomainError('Forbidden', `Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`);
      }
      await removeOwned(tx, { projectIds: [id], userIds: [], targetIds: [id] });
      await tx.delete(ProjectEntity, { id });
      await this.revocations.revoke({ projectId: id }, tx);
    });
  }

  /** Disabling a project revokes every token scoped to it, in the same transaction. */
  async setProjectEnabled(id: string, enabled: boolean): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.update(ProjectEntity, { id }, { enabled });
      if (!r.affected) throw new NotFoundError('project', id);
      if (!enabled) await this.revocations.revoke({ projectId: id }, tx);
    });
  }

  /** Disabling a domain revokes tokens scoped to it and to its users (matched by domain id). */
  async setDomainEnabled(id: string, enabled: boolean): Promise<void> {
    await this.ds.transaction(async (tx) => {
      const r = await tx.update(DomainEntity, { id }, { enabled });
      if (!r.affected) throw new NotFoundError('domain', id);
      if (!enabled) await this.revocations.revoke({ domainId: id }, tx);
    });
  }
}
