import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, type FindOptionsWhere } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import {
  EndpointEntity, EndpointGroupEntity, ProjectEndpointEntity, ProjectEndpointGroupEntity, ProjectEntity, type EndpointGroupFilters,
} from '../entities/index.js';
import { ConflictError, DomainError, isUniqueViolation, NotFoundError } from '../errors.js';
import { newId } from '../ids.js';

/** The endpoint attributes an endpoint group may filter on (Keystone's `valid_filter_keys`). */
export const ENDPOINT_GROUP_FILTER_KEYS: readonly string[] = ['service_id', 'region_id', 'interface'];

export interface NewEndpointGroup {
  name: string;
  description?: string | null;
  filters: EndpointGroupFilters;
}

/** A change to an endpoint group; `undefined` keeps an attribute, `filters` replaces the old ones. */
export type EndpointGroupPatch = Partial<NewEndpointGroup>;

/** Whether an endpoint has every attribute value the filters name (an empty filter matches all). */
export function matchesEndpointFilters(e: EndpointEntity, filters: EndpointGroupFilters): boolean {
  for (const [key, value] of Object.entries(filters)) {
    const actual = key === 'service_id' ? e.serviceId : key === 'region_id' ? e.regionId : key === 'interface' ? e.interface : undefined;
    if (actual !== value) return false;
  }
  return true;
}

const groupNotFound = (id: string) => new NotFoundError('Endpoint Group', id);

/**
 * OS-EP-FILTER (docs/keystone-catalog-extensions.md, "Endpoint filter"): endpoint groups and
 * the endpoints and groups associated with projects. A project with associated endpoints sees
 * only those in its token catalog.
 */
@Injectable()
export class EndpointFilterService {
  constructor(
    @InjectRepository(EndpointGroupEntity) private readonly endpointGroups: Repository<EndpointGroupEntity>,
    @InjectRepository(ProjectEndpointEntity) private readonly projectEndpoints: Repository<ProjectEndpointEntity>,
    @InjectRepository(ProjectEndpointGroupEntity) private readonly projectEndpointGroups: Repository<ProjectEndpointGroupEntity>,
    @InjectRepository(EndpointEntity) private readonly endpoints: Repository<EndpointEntity>,
    @InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>,
    private readonly db: TransactionRunner,
    private readonly ds: DataSource,
  ) {}

  // Endpoint groups

  listGroups(f: { name?: string } = {}): Promise<EndpointGroupEntity[]> {
    const where: FindOptionsWhere<EndpointGroupEntity> = {};
    if (f.name !== undefined) where.name = f.name;
    return this.endpointGroups.find({ where, order: { id: 'ASC' } });
  }

  async getGroup(id: string): Promise<EndpointGroupEntity> {
    const g = await this.endpointGroups.findOneBy({ id });
    if (!g) throw groupNotFound(id);
    return g;
  }

  async createGroup(n: NewEndpointGroup): Promise<EndpointGroupEntity> {
    const g: EndpointGroupEntity = { id: newId(), name: n.name, description: n.description ?? null, filters: n.filters };
    await this.db.write((m) => m.getRepository(EndpointGroupEntity).insert(g as never));
    return g;
  }

  async updateGroup(id: string, patch: EndpointGroupPatch): Promise<EndpointGroupEntity> {
    return this.db.transaction(async (tx) => {
      const q = tx.createQueryBuilder(EndpointGroupEntity, 'g').where('g.id = :id', { id });
      const g = await (this.mysql ? q.setLock('pessimistic_write') : q).getOne();
      if (!g) throw groupNotFound(id);
      const next: EndpointGroupEntity = {
        id, name: patch.name ?? g.name, description: patch.description !== undefined ? patch.description : g.description, filters: patch.filters ?? g.filters,
      };
      await tx.update(EndpointGroupEntity, { id }, { name: next.name, description: next.description, filters: next.filters as never });
      return next;
    });
  }

  /** Deletes a group and its project associations, in one transaction. */
  async deleteGroup(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.delete(EndpointGroupEntity, { id });
      if (!r.affected) throw groupNotFound(id);
      await tx.delete(ProjectEndpointGroupEntity, { endpointGroupId: id });
    });
  }

  /** Every endpoint (enabled or not) the group's filters match. */
  async endpointsInGroup(id: string): Promise<EndpointEntity[]> {
    const g = await this.getGroup(id);
    const all = await this.endpoints.find({ order: { id: 'ASC' } });
    return all.filter((e) => matchesEndpointFilters(e, g.filters));
  }

  // Projects and endpoint groups

  /** The projects a group is associated with; no check that the group exists (Keystone's). */
  async projectsOfGroup(groupId: string): Promise<ProjectEntity[]> {
    const rows = await this.projectEndpointGroups.findBy({ endpointGroupId: groupId });
    return this.projectsByIds(rows.map((r) => r.projectId));
  }

  /** The groups associated with a project, which must exist. */
  async groupsOfProject(projectId: string): Promise<EndpointGroupEntity[]> {
    await this.requireProject(projectId);
    const rows = await this.projectEndpointGroups.findBy({ projectId });
    if (!rows.length) return [];
    return this.endpointGroups.find({ where: { id: In(rows.map((r) => r.endpointGroupId)) }, order: { id: 'ASC' } });
  }

  /** 404 for a missing project, then for a missing group, then for a missing association. */
  async checkGroupInProject(groupId: string, projectId: string): Promise<void> {
    await this.requireProject(projectId);
    await this.getGroup(groupId);
    if (!(await this.projectEndpointGroups.existsBy({ endpointGroupId: groupId, projectId }))) {
      throw new DomainError('NotFound', 'Endpoint Group Project Association not found');
    }
  }

  async addGroupToProject(groupId: string, projectId: string): Promise<void> {
    await this.requireProject(projectId);
    await this.getGroup(groupId);
    await this.insertOnce(ProjectEndpointGroupEntity, { endpointGroupId: groupId, projectId }, 'project_endpoint_group');
  }

  async removeGroupFromProject(groupId: string, projectId: string): Promise<void> {
    await this.requireProject(projectId);
    await this.getGroup(groupId);
    const r = await this.db.write((m) => m.getRepository(ProjectEndpointGroupEntity).delete({ endpointGroupId: groupId, projectId }));
    if (!r.affected) throw new DomainError('NotFound', 'Endpoint Group Project Association not found');
  }

  // Projects and endpoints

  /** 404 for a missing endpoint, then for a missing project, then for a missing association. */
  async checkEndpointInProject(endpointId: string, projectId: string): Promise<void> {
    await this.requireEndpoint(endpointId);
    await this.requireProject(projectId);
    if (!(await this.projectEndpoints.existsBy({ endpointId, projectId }))) throw endpointNotInProject(endpointId, projectId);
  }

  async addEndpointToProject(endpointId: string, projectId: string): Promise<void> {
    await this.requireEndpoint(endpointId);
    await this.requireProject(projectId);
    await this.insertOnce(ProjectEndpointEntity, { endpointId, projectId }, 'project_endpoint');
  }

  /** Only the association has to exist (Keystone looks for nothing else here). */
  async removeEndpointFromProject(endpointId: string, projectId: string): Promise<void> {
    const r = await this.db.write((m) => m.getRepository(ProjectEndpointEntity).delete({ endpointId, projectId }));
    if (!r.affected) throw endpointNotInProject(endpointId, projectId);
  }

  /** The projects an endpoint, which must exist, is directly associated with. */
  async projectsOfEndpoint(endpointId: string): Promise<ProjectEntity[]> {
    await this.requireEndpoint(endpointId);
    const rows = await this.projectEndpoints.findBy({ endpointId });
    return this.projectsByIds(rows.map((r) => r.projectId));
  }

  /**
   * The endpoints a project, which must exist, is associated with: directly, then through its
   * groups, each once. Empty means the project's catalog is not filtered.
   */
  async endpointsOfProject(projectId: string): Promise<EndpointEntity[]> {
    await this.requireProject(projectId);
    const [direct, memberships] = await Promise.all([
      this.projectEndpoints.findBy({ projectId }),
      this.projectEndpointGroups.findBy({ projectId }),
    ]);
    if (!direct.length && !memberships.length) return [];
    const [endpoints, groups] = await Promise.all([
      this.endpoints.find({ order: { id: 'ASC' } }),
      memberships.length ? this.endpointGroups.findBy({ id: In(memberships.map((m) => m.endpointGroupId)) }) : [],
    ]);
    const byId = new Map(endpoints.map((e) => [e.id, e]));
    const out = new Map<string, EndpointEntity>();
    for (const d of [...direct].sort((a, b) => a.endpointId.localeCompare(b.endpointId))) {
      const e = byId.get(d.endpointId);
      if (e) out.set(e.id, e);
    }
    for (const g of groups) for (const e of endpoints) if (!out.has(e.id) && matchesEndpointFilters(e, g.filters)) out.set(e.id, e);
    return [...out.values()];
  }

  /**
   * For token catalogs: each project whose associations resolve to at least one endpoint, with
   * those endpoint ids. Two queries when nothing is associated, four otherwise.
   */
  async filteredProjects(): Promise<Map<string, Set<string>>> {
    const [direct, memberships] = await Promise.all([
      this.projectEndpoints.find(),
      this.projectEndpointGroups.find(),
    ]);
    const out = new Map<string, Set<string>>();
    if (!direct.length && !memberships.length) return out;
    const [endpoints, groups] = await Promise.all([
      this.endpoints.find(),
      memberships.length ? this.endpointGroups.find() : [],
    ]);
    const existing = new Set(endpoints.map((e) => e.id));
    const matched = new Map(groups.map((g) => [g.id, endpoints.filter((e) => matchesEndpointFilters(e, g.filters)).map((e) => e.id)]));
    const add = (projectId: string, ids: Iterable<string>) => {
      for (const id of ids) {
        let s = out.get(projectId);
        if (!s) out.set(projectId, (s = new Set()));
        s.add(id);
      }
    };
    for (const d of direct) if (existing.has(d.endpointId)) add(d.projectId, [d.endpointId]);
    for (const m of memberships) add(m.projectId, matched.get(m.endpointGroupId) ?? []);
    return out;
  }

  private get mysql(): boolean {
    return this.ds.options.type !== 'better-sqlite3';
  }

  private async requireProject(id: string): Promise<void> {
    if (!(await this.projects.existsBy({ id }))) throw new NotFoundError('project', id);
  }

  private async requireEndpoint(id: string): Promise<void> {
    if (!(await this.endpoints.existsBy({ id }))) throw new NotFoundError('endpoint', id);
  }

  /** Projects by id, in that order, leaving out any deleted meanwhile. */
  private async projectsByIds(ids: string[]): Promise<ProjectEntity[]> {
    if (!ids.length) return [];
    const found = new Map((await this.projects.findBy({ id: In(ids) })).map((p) => [p.id, p]));
    return [...new Set(ids)].sort().flatMap((id) => found.get(id) ?? []);
  }

  /** Inserts an association row; a second one is Keystone's 409 "Duplicate entry". */
  private async insertOnce<T extends object>(entity: new () => T, row: T, kind: string): Promise<void> {
    try {
      await this.db.write((m) => m.getRepository(entity).insert(row as never));
    } catch (e) {
      if (isUniqueViolation(e)) throw new ConflictError(kind, 'Duplicate entry');
      throw e;
    }
  }
}

function endpointNotInProject(endpointId: string, projectId: string): DomainError {
  return new DomainError('NotFound', `Endpoint ${endpointId} not found in project ${projectId}`);
}
