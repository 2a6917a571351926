import { Injectable } from '@nestjs/common';
import { InjectRepository } from '@nestjs/typeorm';
import { DataSource, In, Repository, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { TransactionRunner } from '../database/transaction-runner.js';
import {
  DomainConfigEntity, DomainEntity, GroupEntity, ImpliedRoleEntity, ProjectEntity, ProjectTagEntity, RoleAssignmentEntity, RoleEntity, UserEntity,
} from '../entities/index.js';
import { boundedExtra, ConflictError, DomainError, insertOrConflict, InvalidInputError, NotFoundError } from '../errors.js';
import { removeOwned } from './cascade.js';
import { newId } from '../ids.js';
import { RevocationService } from './revocation.service.js';
import { checkTagList } from './project-tags.js';
import { pageByName, type Page, type PageRequest } from './page.js';
import { allowedMatches, whereTextMatches, type TextMatches } from './text-match.js';

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

export interface NewDomain {
  id?: string;
  name: string;
  description?: string | null;
  enabled?: boolean;
  tags?: string[];
  extra?: Record<string, unknown>;
}

export interface ResourcePatch {
  name?: string;
  description?: string | null;
  enabled?: boolean;
  tags?: string[];
  extra?: Record<string, unknown>;
}

/** A domain with its tags. */
export type DomainView = DomainEntity & { tags: string[] };

/**
 * A project as Keystone's projects API shows it, with its tags. A domain shows as the project
 * acting as it: `isDomain`, no domain and no parent.
 */
export interface ProjectView {
  id: string;
  name: string;
  domainId: string | null;
  parentId: string | null;
  isDomain: boolean;
  description: string | null;
  enabled: boolean;
  tags: string[];
  extra: Record<string, unknown> | null;
}

/** The `tags`, `tags-any`, `not-tags` and `not-tags-any` filters, each a list of tag names. */
export interface TagFilters {
  all?: string[];
  any?: string[];
  notAll?: string[];
  notAny?: string[];
}

export interface ProjectListFilter {
  name?: string;
  domainId?: string;
  enabled?: boolean;
  parentId?: string;
  /** True lists the projects acting as domains (the domains); otherwise regular projects only. */
  isDomain?: boolean;
  tags?: TagFilters;
  /** Inexact filters on `name`, `domain_id`, `parent_id`. */
  match?: TextMatches;
}

/** Keystone's `max_project_tree_depth` default: projects below a domain, at most this many levels. */
export const MAX_PROJECT_TREE_DEPTH = 5;

const domainConflict = (name: string) => new ConflictError('project', `it is not permitted to have two projects acting as domains with the same name: ${name}`);
const projectConflict = (name: string, id: string) => new ConflictError('project', `it is not permitted to have two projects with either the same name or same id in the same domain: name is ${name}, project id ${id}`);

export const domainAsProject = (d: DomainView): ProjectView => ({
  id: d.id, name: d.name, domainId: null, parentId: null, isDomain: true, description: d.description, enabled: d.enabled,
  tags: d.tags, extra: d.extra,
});

const projectView = (p: ProjectEntity, tags: string[]): ProjectView => ({
  id: p.id, name: p.name, domainId: p.domainId, parentId: p.parentId, isDomain: false, description: p.description,
  enabled: p.enabled, tags, extra: p.extra,
});

/** Domains and projects (Keystone's resource manager). */
@Injectable()
export class ResourceService {
  constructor(
    @InjectRepository(DomainEntity) private readonly domains: Repository<DomainEntity>,
    @InjectRepository(ProjectEntity) private readonly projects: Repository<ProjectEntity>,
    @InjectRepository(ProjectTagEntity) private readonly projectTags: Repository<ProjectTagEntity>,
    private readonly db: TransactionRunner,
    private readonly ds: DataSource,
    private readonly revocations: RevocationService,
  ) {}

  getDomain(id: string): Promise<DomainEntity | null> {
    return this.domains.findOneBy({ id });
  }

  findDomainByName(name: string): Promise<DomainEntity | null> {
    return this.domains.findOneBy({ name });
  }

  getProject(id: string): Promise<ProjectEntity | null> {
    return this.projects.findOneBy({ id });
  }

  findProjectByName(domainId: string, name: string): Promise<ProjectEntity | null> {
    return this.projects.findOneBy({ domainId, name });
  }

  async getDomainView(id: string): Promise<DomainView | null> {
    const d = await this.getDomain(id);
    return d ? { ...d, tags: await this.tagsOf(d.id) } : null;
  }

  /** A project, or a domain as the project acting as it, with its tags; null when neither exists. */
  async getProjectView(id: string): Promise<ProjectView | null> {
    const p = await this.getProject(id);
    if (p) return projectView(p, await this.tagsOf(p.id));
    const d = await this.getDomainView(id);
    return d ? domainAsProject(d) : null;
  }

  /** Projects as the API shows them (with their tags), for lists built elsewhere. */
  async withTags(projects: ProjectEntity[]): Promise<ProjectView[]> {
    const tags = await this.tagsByOwner(projects.map((p) => p.id));
    return projects.map((p) => projectView(p, tags.get(p.id) ?? []));
  }

  /** Domains with their tags, for lists built elsewhere. */
  async domainsWithTags(domains: DomainEntity[]): Promise<DomainView[]> {
    const tags = await this.tagsByOwner(domains.map((d) => d.id));
    return domains.map((d) => ({ ...d, tags: tags.get(d.id) ?? [] }));
  }

  /** Domains matching exact filters and inexact ones on `name`, by name. */
  async listDomains(f: { name?: string; enabled?: boolean; match?: TextMatches; tags?: TagFilters; id?: string } = {}, page: PageRequest = {}): Promise<Page<DomainView>> {
    const qb = this.domains.createQueryBuilder('d');
    if (f.id !== undefined) qb.andWhere('d.id = :id', { id: f.id });
    if (f.name !== undefined) qb.andWhere('d.name = :name', { name: f.name });
    if (f.enabled !== undefined) qb.andWhere('d.enabled = :enabled', { enabled: f.enabled });
    for (const [column, m] of allowedMatches(f.match, { name: 'd.name' })) whereTextMatches(this.ds, qb, column, m);
    this.whereTags(qb, 'd.id', f.tags);
    const p = await pageByName(qb, 'd', page, async (id) => (await this.getDomain(id))?.name ?? null);
    return { items: await this.domainsWithTags(p.items), truncated: p.truncated };
  }

  /**
   * Projects matching Keystone's filters, by name: regular projects unless `isDomain`, which
   * lists the domains as projects (they have no domain and no parent, so filters on those match
   * none of them).
   */
  async listProjects(f: ProjectListFilter = {}, page: PageRequest = {}): Promise<Page<ProjectView>> {
    if (f.isDomain) {
      if (f.domainId !== undefined || f.parentId !== undefined || f.match?.domain_id?.length || f.match?.parent_id?.length) return { items: [], truncated: false };
      const domains = await this.listDomains({ name: f.name, enabled: f.enabled, match: f.match, tags: f.tags }, page);
      return { items: domains.items.map(domainAsProject), truncated: domains.truncated };
    }
    const qb = this.projects.createQueryBuilder('p');
    if (f.name !== undefined) qb.andWhere('p.name = :name', { name: f.name });
    if (f.domainId !== undefined) qb.andWhere('p.domain_id = :domainId', { domainId: f.domainId });
    if (f.enabled !== undefined) qb.andWhere('p.enabled = :enabled', { enabled: f.enabled });
    if (f.parentId !== undefined) qb.andWhere('p.parent_id = :parentId', { parentId: f.parentId });
    for (const [column, m] of allowedMatches(f.match, { name: 'p.name', domain_id: 'p.domain_id', parent_id: 'p.parent_id' })) {
      whereTextMatches(this.ds, qb, column, m);
    }
    this.whereTags(qb, 'p.id', f.tags);
    const p = await pageByName(qb, 'p', page, async (id) => (await this.getProject(id))?.name ?? null);
    return { items: await this.withTags(p.items), truncated: p.truncated };
  }

  /**
   * `tags`: has every one; `tags-any`: has at least one; `not-tags`: lacks at least one;
   * `not-tags-any`: has none. All of them together: every condition holds.
   */
  private whereTags(qb: SelectQueryBuilder<object>, idColumn: string, f: TagFilters | undefined): void {
    const owners = (key: string, names: string[], all: boolean) => {
      const distinct = [...new Set(names)];
      const sub = qb.subQuery().select('t.project_id').from(ProjectTagEntity, 't').where(`t.name IN (:...${key})`, { [key]: distinct });
      if (all) sub.groupBy('t.project_id').having(`COUNT(*) = :${key}_n`, { [`${key}_n`]: distinct.length });
      return sub.getQuery();
    };
    if (f?.all?.length) qb.andWhere(`${idColumn} IN ${owners('tags_all', f.all, true)}`);
    if (f?.any?.length) qb.andWhere(`${idColumn} IN ${owners('tags_any', f.any, false)}`);
    if (f?.notAll?.length) qb.andWhere(`${idColumn} NOT IN ${owners('tags_not_all', f.notAll, true)}`);
    if (f?.notAny?.length) qb.andWhere(`${idColumn} NOT IN ${owners('tags_not_any', f.notAny, false)}`);
  }

  async createDomain(d: NewDomain): Promise<DomainView> {
    const name = d.name.trim();
    const tags = uniqueTags(d.tags);
    if (await this.domains.findOneBy({ name })) throw domainConflict(name);
    // A domain is also a project (GET /v3/projects/{id}): its id may be neither's yet.
    if (d.id && ((await this.domains.findOneBy({ id: d.id })) || (await this.getProject(d.id)))) throw new ConflictError('domain', `Duplicate entry found with ID ${d.id}`);
    const e = this.domains.create({ id: d.id ?? newId(), name, description: d.description ?? null, enabled: d.enabled ?? true, extra: boundedExtra(d.extra ?? {}) });
    return this.db.transaction(async (tx) => {
      await insertOrConflict(() => tx.insert(DomainEntity, e as never), e, () => domainConflict(name));
      await this.writeTags(tx, e.id, tags);
      return { ...e, tags };
    });
  }

  /**
   * Creates a regular project with Keystone's checks (docs/keystone-resources-parity.md,
   * "Creating a project"): the domain and the parent must exist (400 otherwise), agree with each
   * other, be enabled all the way up, and leave the tree within its depth.
   */
  async createProject(p: NewProject): Promise<ProjectView> {
    const name = p.name.trim();
    const tags = uniqueTags(p.tags);
    const domain = await this.getDomain(p.domainId);
    if (!domain) throw new InvalidInputError(`Could not find domain: ${p.domainId}.`);
    const parentId = p.parentId || p.domainId;
    const parents = await this.parentsOf(parentId);
    const parent = parents[parents.length - 1]!;
    if (parent.isDomain && parent.id !== domain.id) {
      throw new InvalidInputError(`Cannot create project, the parent (${parent.id}) is acting as a domain, but this project's domain id (${domain.id}) does not match the parent's id.`);
    }
    if (!parent.isDomain && parent.domainId !== domain.id) {
      throw new InvalidInputError(`Cannot create project, since it specifies its domain_id ${domain.id}, but specifies a parent in a different domain (${parent.domainId}).`);
    }
    const disabled = parents.find((x) => !x.enabled);
    if (disabled) throw new InvalidInputError(`cannot create a project in a branch containing a disabled project: ${disabled.id}`);
    if (parents.length + 1 > MAX_PROJECT_TREE_DEPTH + 1) throw new DomainError('Forbidden', `Max hierarchy depth reached for ${parentId} branch.`);
    const id = p.id ?? newId();
    if (await this.projects.findOneBy({ domainId: domain.id, name })) throw projectConflict(name, id);
    const e = this.projects.create({
      id, name, domainId: domain.id, parentId, isDomain: false,
      description: p.description ?? '', enabled: p.enabled ?? true, extra: boundedExtra(p.extra ?? {}),
    });
    return this.db.transaction(async (tx) => {
      await insertOrConflict(() => tx.insert(ProjectEntity, e as never), e, () => projectConflict(name, id));
      await this.writeTags(tx, id, tags);
      return projectView(e, tags);
    });
  }

  /**
   * The ancestors a new child of `parentId` would have, in Keystone's order: the parent's own
   * parents from the nearest up to the domain, then the parent. 400 when the parent is missing.
   */
  private async parentsOf(parentId: string): Promise<ProjectView[]> {
    const parent = await this.getProjectView(parentId);
    if (!parent) throw new InvalidInputError(`Could not find project: ${parentId}.`);
    const above: ProjectView[] = [];
    const seen = new Set([parent.id]);
    for (let next = parent.parentId; next && !seen.has(next) && above.length <= MAX_PROJECT_TREE_DEPTH + 1;) {
      seen.add(next);
      const up = await this.getProjectView(next);
      if (!up) break;
      above.push(up);
      next = up.parentId;
    }
    return [...above, parent];
  }

  /** Changes a domain; disabling it revokes its tokens (same transaction). */
  async updateDomain(id: string, patch: ResourcePatch): Promise<DomainView> {
    const tags = patch.tags === undefined ? undefined : uniqueTags(patch.tags);
    return this.db.transaction(async (tx) => {
      const d = await tx.findOneBy(DomainEntity, { id });
      if (!d) throw new NotFoundError('domain', id);
      const name = patch.name?.trim();
      if (name !== undefined && name !== d.name && (await tx.findOneBy(DomainEntity, { name }))) throw domainConflict(name);
      const next: DomainEntity = {
        ...d, name: name ?? d.name, description: patch.description !== undefined ? patch.description : d.description,
        enabled: patch.enabled ?? d.enabled, extra: boundedExtra(patch.extra ? { ...(d.extra ?? {}), ...patch.extra } : d.extra),
      };
      await tx.update(DomainEntity, { id }, { name: next.name, description: next.description, enabled: next.enabled, extra: next.extra as never });
      if (tags) await this.writeTags(tx, id, tags);
      if (d.enabled && !next.enabled) await this.revocations.revoke({ domainId: id }, tx);
      return { ...next, tags: tags ?? (await this.tagsOf(id, tx)) };
    });
  }

  /**
   * Deletes a disabled domain and everything in it (projects, users, their grants, credentials
   * and passwords, its configuration) in one transaction. An enabled domain cannot be deleted
   * (Keystone's 403).
   */
  async deleteDomain(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      const d = await tx.findOneBy(DomainEntity, { id });
      if (!d) throw new NotFoundError('domain', id);
      if (d.enabled) throw new DomainError('Forbidden', 'Cannot delete a domain that is enabled, please disable it first.');
      const projects = (await tx.findBy(ProjectEntity, { domainId: id })).map((p) => p.id);
      const users = (await tx.findBy(UserEntity, { domainId: id })).map((u) => u.id);
      const groups = (await tx.findBy(GroupEntity, { domainId: id })).map((g) => g.id);
      await removeOwned(tx, { projectIds: projects, userIds: users, targetIds: [...projects, id], groupIds: groups });
      await tx.delete(ProjectTagEntity, { projectId: In([...projects, id]) });
      // The domain's own roles go with it, with their grants and inferences (as Keystone).
      const roles = (await tx.findBy(RoleEntity, { domainId: id })).map((r) => r.id);
      if (roles.length) {
        await tx.delete(RoleAssignmentEntity, { roleId: In(roles) });
        await tx.delete(ImpliedRoleEntity, { priorRoleId: In(roles) });
        await tx.delete(ImpliedRoleEntity, { impliedRoleId: In(roles) });
        await tx.delete(RoleEntity, { id: In(roles) });
      }
      if (projects.length) await tx.delete(ProjectEntity, { id: In(projects) });
      if (users.length) await tx.delete(UserEntity, { id: In(users) });
      await tx.delete(DomainEntity, { id });
      // After the domain row: a configuration write holding that row's lock has committed by now.
      await tx.delete(DomainConfigEntity, { domainId: id });
      await this.revocations.revoke({ domainId: id }, tx);
    });
  }

  /**
   * Changes a project, or the domain when `id` is one (the project acting as it); disabling
   * revokes its tokens (same transaction).
   */
  async updateProject(id: string, patch: ResourcePatch): Promise<ProjectView> {
    if (!(await this.getProject(id)) && (await this.getDomain(id))) return domainAsProject(await this.updateDomain(id, patch));
    const tags = patch.tags === undefined ? undefined : uniqueTags(patch.tags);
    return this.db.transaction(async (tx) => {
      const p = await tx.findOneBy(ProjectEntity, { id });
      if (!p) throw new NotFoundError('project', id);
      const name = patch.name?.trim();
      if (name !== undefined && name !== p.name && (await tx.findOneBy(ProjectEntity, { domainId: p.domainId, name }))) throw projectConflict(name, id);
      const next: ProjectEntity = {
        ...p, name: name ?? p.name, description: patch.description !== undefined ? patch.description : p.description,
        enabled: patch.enabled ?? p.enabled, extra: boundedExtra(patch.extra ? { ...(p.extra ?? {}), ...patch.extra } : p.extra),
      };
      await tx.update(ProjectEntity, { id }, { name: next.name, description: next.description, enabled: next.enabled, extra: next.extra as never });
      if (tags) await this.writeTags(tx, id, tags);
      if (p.enabled && !next.enabled) await this.revocations.revoke({ projectId: id }, tx);
      return projectView(next, tags ?? (await this.tagsOf(id, tx)));
    });
  }

  /**
   * Deletes a leaf project with its grants, credentials and tags, revoking its tokens, in one
   * transaction; a domain when `id` is one (it must be disabled first).
   */
  async deleteProject(id: string): Promise<void> {
    if (!(await this.getProject(id)) && (await this.getDomain(id))) return this.deleteDomain(id);
    await this.db.transaction(async (tx) => {
      if (!(await tx.findOneBy(ProjectEntity, { id }))) throw new NotFoundError('project', id);
      if (await tx.findOneBy(ProjectEntity, { parentId: id })) {
        throw new DomainError('Forbidden', `Cannot delete the project ${id} since it is not a leaf in the hierarchy. Use the cascade option if you want to delete a whole subtree.`);
      }
      await removeOwned(tx, { projectIds: [id], userIds: [], targetIds: [id] });
      await tx.delete(ProjectTagEntity, { projectId: id });
      await tx.delete(ProjectEntity, { id });
      await this.revocations.revoke({ projectId: id }, tx);
    });
  }

  // ------------------------------------------------------------------ tags

  /** The tags of a project or domain, by name; 404 when it is neither. */
  async listTags(id: string): Promise<string[]> {
    await this.requireTagOwner(this.projects.manager, id);
    return this.tagsOf(id);
  }

  /** Whether the project or domain has the tag (exact comparison); 404 when it is neither. */
  async hasTag(id: string, name: string): Promise<boolean> {
    await this.requireTagOwner(this.projects.manager, id);
    return (await this.projectTags.countBy({ projectId: id, name })) > 0;
  }

  /** Replaces every tag (the list is already valid); returns them by name. */
  async replaceTags(id: string, tags: string[]): Promise<string[]> {
    const unique = uniqueTags(tags);
    return this.db.transaction(async (tx) => {
      await this.requireTagOwner(tx, id, true);
      await this.writeTags(tx, id, unique);
      return [...unique].sort(byCodePoint);
    });
  }

  /**
   * Adds one tag; the list with it must still be valid (Keystone's checks: at most 80, no
   * repeats — adding a tag already there is a 400).
   */
  async addTag(id: string, tag: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireTagOwner(tx, id, true);
      const current = await this.tagsOf(id, tx);
      checkTagList([...current, tag]);
      await tx.insert(ProjectTagEntity, { projectId: id, name: tag });
    });
  }

  /** Removes one tag; 404 when the project (or domain) or the tag is missing. */
  async removeTag(id: string, tag: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireTagOwner(tx, id, true);
      const r = await tx.delete(ProjectTagEntity, { projectId: id, name: tag });
      if (!r.affected) throw new NotFoundError('project tag', tag);
    });
  }

  async removeAllTags(id: string): Promise<void> {
    await this.db.transaction(async (tx) => {
      await this.requireTagOwner(tx, id, true);
      await tx.delete(ProjectTagEntity, { projectId: id });
    });
  }

  /** 404 unless `id` is a project or a domain; `lock` holds its row until the transaction ends. */
  private async requireTagOwner(m: EntityManager, id: string, lock = false): Promise<void> {
    const mysql = this.ds.options.type !== 'better-sqlite3';
    for (const entity of [ProjectEntity, DomainEntity]) {
      const q = m.createQueryBuilder(entity, 'o').select('o.id').where('o.id = :id', { id });
      if (await (lock && mysql ? q.setLock('pessimistic_write') : q).getOne()) return;
    }
    throw new NotFoundError('project', id);
  }

  private async tagsOf(id: string, m: EntityManager = this.projectTags.manager): Promise<string[]> {
    const rows = await m.find(ProjectTagEntity, { where: { projectId: id }, select: { name: true } });
    return rows.map((r) => r.name).sort(byCodePoint);
  }

  /** Tags of many owners in a few queries. */
  private async tagsByOwner(ids: string[]): Promise<Map<string, string[]>> {
    const out = new Map<string, string[]>();
    for (let i = 0; i < ids.length; i += 500) {
      const rows = await this.projectTags.findBy({ projectId: In(ids.slice(i, i + 500)) });
      for (const r of rows) out.set(r.projectId, [...(out.get(r.projectId) ?? []), r.name]);
    }
    for (const tags of out.values()) tags.sort(byCodePoint);
    return out;
  }

  private async writeTags(tx: EntityManager, id: string, tags: string[]): Promise<void> {
    await tx.delete(ProjectTagEntity, { projectId: id });
    if (tags.length) await tx.insert(ProjectTagEntity, tags.map((name) => ({ projectId: id, name })));
  }

  /** Disabling a project revokes every token scoped to it, in the same transaction. */
  async setProjectEnabled(id: string, enabled: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.update(ProjectEntity, { id }, { enabled });
      if (!r.affected) throw new NotFoundError('project', id);
      if (!enabled) await this.revocations.revoke({ projectId: id }, tx);
    });
  }

  /** Disabling a domain revokes tokens scoped to it and to its users (matched by domain id). */
  async setDomainEnabled(id: string, enabled: boolean): Promise<void> {
    await this.db.transaction(async (tx) => {
      const r = await tx.update(DomainEntity, { id }, { enabled });
      if (!r.affected) throw new NotFoundError('domain', id);
      if (!enabled) await this.revocations.revoke({ domainId: id }, tx);
    });
  }
}

/** Code-point order (that of UTF-8 bytes), which both databases' exact collations give too. */
const byCodePoint = (a: string, b: string) => Buffer.compare(Buffer.from(a), Buffer.from(b));

/** The distinct tags of a list, first occurrence kept (tags stripped to equal ones collapse). */
function uniqueTags(tags: string[] | undefined): string[] {
  return [...new Set(tags ?? [])];
}
