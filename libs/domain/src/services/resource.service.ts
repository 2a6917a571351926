import { Injectable } from '@nestjs/common';
import { DataSource, type FindOptionsWhere } from 'typeorm';
import { DomainEntity, ProjectEntity } from '../entities/index.js';
import { ConflictError, insertOrConflict, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';
import { RevocationService } from './revocation.service.js';

export interface NewProject {
  name: string;
  domainId: string;
  parentId?: string | null;
  description?: string | null;
  enabled?: boolean;
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

  /** Projects matching exact-value filters, by name. */
  listProjects(f: { name?: string; domainId?: string; enabled?: boolean; parentId?: string } = {}): Promise<ProjectEntity[]> {
    const where: FindOptionsWhere<ProjectEntity> = {};
    if (f.name !== undefined) where.name = f.name;
    if (f.domainId !== undefined) where.domainId = f.domainId;
    if (f.enabled !== undefined) where.enabled = f.enabled;
    if (f.parentId !== undefined) where.parentId = f.parentId;
    return this.ds.getRepository(ProjectEntity).find({ where, order: { name: 'ASC', id: 'ASC' } });
  }

  async createDomain(d: { id?: string; name: string; description?: string | null; enabled?: boolean }): Promise<DomainEntity> {
    const repo = this.ds.getRepository(DomainEntity);
    const conflict = () => new ConflictError('domain', `Duplicate entry found with name ${d.name}`);
    if (await repo.findOneBy({ name: d.name })) throw conflict();
    const e = repo.create({ id: d.id ?? newId(), name: d.name, description: d.description ?? null, enabled: d.enabled ?? true, tags: [], extra: {} });
    return insertOrConflict(() => repo.insert(e as never), e, conflict);
  }

  async createProject(p: NewProject): Promise<ProjectEntity> {
    const repo = this.ds.getRepository(ProjectEntity);
    if (!(await this.getDomain(p.domainId))) throw new NotFoundError('domain', p.domainId);
    const conflict = () => new ConflictError('project', `it is not permitted to have two projects with either the same name or same id in the same domain: ${p.name}`);
    if (await repo.findOneBy({ domainId: p.domainId, name: p.name })) throw conflict();
    const e = repo.create({
      id: p.id ?? newId(), name: p.name, domainId: p.domainId, parentId: p.parentId ?? p.domainId, isDomain: false,
      description: p.description ?? '', enabled: p.enabled ?? true, tags: [], extra: {},
    });
    return insertOrConflict(() => repo.insert(e as never), e, conflict);
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
