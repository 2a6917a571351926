import type { DataSource } from 'typeorm';
import type { AssignmentType } from '../entities/index.js';
import { NULL_DOMAIN_ID } from '../ids.js';
import { placeholders } from './project-tree.js';

/*
 * `GET /v3/role_assignments` in SQL (docs/performance.md, "Role assignments"): every statement
 * here is an index seek on what the filter names (actor, target, role) or on the project tree,
 * and reads at most what the answer can still hold. Effective listings expand group grants to
 * members, inherited grants to the projects they reach and roles to the roles they imply one
 * grant at a time, each expansion bounded by the room left in the answer, so a grant on a domain
 * of a hundred thousand projects costs what the page shows, not what the domain holds.
 */

/** What a line's role applies to. */
export type LineScope = { project: string } | { domain: string } | { system: true };

/** One line of the listing (AssignmentLine of assignment.service.ts). */
export interface ListedLine {
  roleId: string;
  actor: { type: 'user' | 'group'; id: string };
  scope: LineScope;
  inherited?: boolean;
  grantScope?: LineScope;
  viaGroup?: string;
  priorRoleId?: string;
}

/** The filters of a listing (AssignmentFilter of assignment.service.ts). */
export interface ListingFilter {
  userId?: string;
  groupId?: string;
  roleId?: string;
  projectId?: string;
  includeSubtree?: boolean;
  domainId?: string;
  system?: boolean;
  inherited?: boolean;
  effective?: boolean;
  /** Only lines on this domain or on one of its projects (what a domain-scoped caller may see). */
  withinDomain?: string;
}

/** Ids read for a listing; `complete` when the read was not cut by its bound. */
interface Read {
  ids: string[];
  complete: boolean;
}

interface GrantRow {
  type: AssignmentType;
  actorId: string;
  targetId: string;
  roleId: string;
  inherited: boolean;
}

/** A statement on `role_assignments`; every field given narrows it, an empty list matches nothing. */
interface GrantQuery {
  types: AssignmentType[];
  actorIds?: string[];
  /** Targets: these ids, and with `subtreeOf` also that project and every project below it. */
  targetIds?: string[];
  subtreeOf?: string;
  roleIds?: string[];
  inherited?: boolean;
}

const ALL_TYPES: AssignmentType[] = ['UserProject', 'UserDomain', 'UserSystem', 'GroupProject', 'GroupDomain', 'GroupSystem'];
const USER_TYPES = ALL_TYPES.filter((t) => t.startsWith('User'));
const GROUP_TYPES = ALL_TYPES.filter((t) => t.startsWith('Group'));
const isProject = (t: AssignmentType) => t.endsWith('Project');
const isDomain = (t: AssignmentType) => t.endsWith('Domain');
const isSystem = (t: AssignmentType) => t.endsWith('System');
const isGroup = (t: AssignmentType) => t.startsWith('Group');
const kind = (k: 'Project' | 'Domain' | 'System') => ALL_TYPES.filter((t) => t.endsWith(k));

const SUBTREE_CTE = 'subtree(id) AS (SELECT p.id FROM projects p WHERE p.id = ? UNION SELECT c.id FROM projects c JOIN subtree s ON c.parent_id = s.id)';

function scopeOf(r: GrantRow): LineScope {
  return isProject(r.type) ? { project: r.targetId } : isDomain(r.type) ? { domain: r.targetId } : { system: true };
}

/** `LIMIT`/`OFFSET` text for an optional bound (numbers only, never client text). */
function limitClause(limit: number | undefined, offset = 0): string {
  if (limit === undefined) return '';
  return ` LIMIT ${Math.max(0, Math.floor(limit))}${offset ? ` OFFSET ${Math.floor(offset)}` : ''}`;
}

/** One listing: its lazily read project subtree, group members and implied roles, shared by its lines. */
export class AssignmentListing {
  private readonly members = new Map<string, Read>();
  private readonly below = new Map<string, Read>();
  private readonly domainProjects = new Map<string, Read>();
  private readonly expansions = new Map<string, Array<{ roleId: string; priorRoleId?: string }>>();
  private ancestors = new Set<string>();

  constructor(
    private readonly ds: DataSource,
    private readonly f: ListingFilter,
    /** Lines wanted at most (the page's limit + 1, to tell a cut answer); undefined = all. */
    private readonly cap: number | undefined,
    private readonly actorsOf: (userId: string) => Promise<string[]>,
    private readonly ancestorsOf: (projectId: string) => Promise<string[]>,
  ) {}

  run(): Promise<ListedLine[]> {
    return this.f.effective ? this.effective() : this.direct();
  }

  private room(out: unknown[]): number | undefined {
    return this.cap === undefined ? undefined : this.cap - out.length;
  }

  private full(out: unknown[]): boolean {
    return this.cap !== undefined && out.length >= this.cap;
  }

  /** Where the filter points: the targets of a project (or subtree) or domain filter. */
  private targets(): Pick<GrantQuery, 'targetIds' | 'subtreeOf'> {
    const f = this.f;
    if (f.projectId !== undefined) return f.includeSubtree ? { subtreeOf: f.projectId } : { targetIds: [f.projectId] };
    if (f.domainId !== undefined) return { targetIds: [f.domainId] };
    return {};
  }

  // ---------------------------------------------------------------- the grants as stored

  private async direct(): Promise<ListedLine[]> {
    const f = this.f;
    const actorTypes = f.userId !== undefined ? USER_TYPES : f.groupId !== undefined ? GROUP_TYPES : ALL_TYPES;
    const actorIds = f.userId !== undefined ? [f.userId] : f.groupId !== undefined ? [f.groupId] : undefined;
    const roleIds = f.roleId !== undefined ? [f.roleId] : undefined;
    const sources: GrantQuery[] = [];
    if (!f.system) {
      const types = actorTypes.filter((t) => (f.projectId !== undefined ? isProject(t) : f.domainId !== undefined ? isDomain(t) : !isSystem(t)));
      sources.push({ types, actorIds, ...this.targets(), roleIds, inherited: f.inherited });
    }
    // As in Keystone, system grants answer whenever no project or domain is asked for, whatever
    // the `inherited` filter says.
    if (f.system || (f.projectId === undefined && f.domainId === undefined)) sources.push({ types: actorTypes.filter(isSystem), actorIds, roleIds });
    const out: ListedLine[] = [];
    for (const q of sources) {
      if (this.full(out)) break;
      for (const r of await this.grants(q, this.room(out))) {
        out.push({ roleId: r.roleId, actor: { type: isGroup(r.type) ? 'group' : 'user', id: r.actorId }, scope: scopeOf(r), ...(r.inherited ? { inherited: true } : {}) });
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- effective

  private async effective(): Promise<ListedLine[]> {
    const f = this.f;
    // Keystone's shortcuts: no group line survives expansion, and domains inherit nothing.
    if (f.groupId !== undefined || (f.domainId !== undefined && f.inherited === true)) return [];
    const inherited = f.domainId !== undefined ? false : f.inherited;
    const actorIds = f.userId !== undefined ? await this.actorsOf(f.userId) : undefined;
    // Only grants whose role is, or implies, the role asked for can give one of its lines.
    const roleIds = f.roleId !== undefined ? await this.priorsOf(f.roleId) : undefined;
    const sources: GrantQuery[] = [];
    if (f.system) {
      sources.push({ types: kind('System'), actorIds, roleIds });
    } else {
      if (inherited !== true) {
        const types = f.projectId !== undefined ? kind('Project') : f.domainId !== undefined ? kind('Domain') : [...kind('Project'), ...kind('Domain')];
        sources.push({ types, actorIds, ...this.targets(), inherited: false, roleIds });
      }
      if (inherited !== false) {
        if (f.projectId !== undefined) {
          // What can reach the projects asked for: their domain's inherited grants, and those of
          // the projects above (and, with the subtree, within) it.
          const domain: Array<{ domain_id: string }> = await this.ds.query('SELECT domain_id FROM projects WHERE id = ?', [f.projectId]);
          if (domain.length) {
            sources.push({ types: kind('Domain'), actorIds, targetIds: [domain[0]!.domain_id], inherited: true, roleIds });
            const above = await this.ancestorsOf(f.projectId);
            this.ancestors = new Set(above);
            sources.push({ types: kind('Project'), actorIds, targetIds: above, ...(f.includeSubtree ? { subtreeOf: f.projectId } : {}), inherited: true, roleIds });
          }
        } else {
          sources.push({ types: [...kind('Project'), ...kind('Domain')], actorIds, inherited: true, roleIds });
        }
      }
      // Lintel keeps system grants in the effective list when nothing narrows it to projects,
      // domains or inherited grants (Keystone leaves them out of effective listings altogether).
      if (f.projectId === undefined && f.domainId === undefined && inherited !== true) sources.push({ types: kind('System'), actorIds, roleIds });
    }

    const out: ListedLine[] = [];
    for (const q of sources) {
      // Grants are read a page at a time: each one gives at least a line unless its group has no
      // member or its inheritance reaches no project.
      for (let offset = 0; !this.full(out);) {
        const batch = await this.grants(q, this.cap, offset);
        offset += batch.length;
        await this.loadExpansions(batch.map((r) => r.roleId));
        for (const r of batch) {
          if (this.full(out)) break;
          await this.expand(r, out);
        }
        if (this.cap === undefined || batch.length < this.cap) break;
      }
      if (this.full(out)) break;
    }
    return out;
  }

  /** Appends the lines of one grant: per user, per project reached, its role and those implied. */
  private async expand(r: GrantRow, out: ListedLine[]): Promise<void> {
    const roles = (this.expansions.get(r.roleId) ?? []).filter((x) => this.f.roleId === undefined || x.roleId === this.f.roleId);
    if (!roles.length) return;
    const room = this.room(out);
    const users = !isGroup(r.type) ? [r.actorId] : this.f.userId !== undefined ? [this.f.userId] : await this.membersOf(r.actorId, room);
    if (!users.length) return;
    const scopes: LineScope[] = r.inherited ? (await this.reach(r, room)).map((project) => ({ project })) : [scopeOf(r)];
    const via = isGroup(r.type) ? { viaGroup: r.actorId } : {};
    const inheritance = r.inherited ? { inherited: true, grantScope: scopeOf(r) } : {};
    for (const id of users) {
      for (const scope of scopes) {
        for (const role of roles) {
          if (this.full(out)) return;
          out.push({ roleId: role.roleId, actor: { type: 'user', id }, scope, ...inheritance, ...via, ...(role.priorRoleId ? { priorRoleId: role.priorRoleId } : {}) });
        }
      }
    }
  }

  /**
   * The projects an inherited grant reaches, sorted by id, `room` at most: those below its project;
   * with a project filter, the projects asked for (unless the grant is on one of them: then those
   * below it, Keystone's rule); those of its domain otherwise.
   */
  private async reach(r: GrantRow, room: number | undefined): Promise<string[]> {
    const f = this.f;
    const onAskedProject = f.projectId === undefined || (f.includeSubtree ? !this.ancestors.has(r.targetId) : r.targetId === f.projectId);
    if (isProject(r.type) && onAskedProject) return this.cached(this.below, r.targetId, room, (n) => this.descendants(r.targetId, n));
    if (f.projectId !== undefined) return this.interest(room);
    return this.cached(this.domainProjects, r.targetId, room, (n) => this.ids(`SELECT p.id FROM projects p WHERE p.domain_id = ?${this.withinClause('p')} ORDER BY p.id${limitClause(n)}`, [r.targetId, ...this.withinParams()]));
  }

  /** The projects asked for: the project, then (with `include_subtree`) those below it by id. */
  private async interest(room: number | undefined): Promise<string[]> {
    const f = this.f;
    if (!f.includeSubtree) return [f.projectId!];
    return this.cached(this.below, '\0interest', room, async (n) => [f.projectId!, ...(await this.descendants(f.projectId!, n === undefined ? undefined : Math.max(0, n - 1)))]);
  }

  /**
   * A list read once per listing: a read bounded by `n` serves every later bound up to `n` (the
   * room left only shrinks), and a read that came back short of its bound serves any.
   */
  private async cached(cache: Map<string, Read>, key: string, room: number | undefined, read: (n: number | undefined) => Promise<string[]>): Promise<string[]> {
    const hit = cache.get(key);
    if (hit && (hit.complete || (room !== undefined && hit.ids.length >= room))) return room === undefined ? hit.ids : hit.ids.slice(0, room);
    const ids = await read(room);
    cache.set(key, { ids, complete: room === undefined || ids.length < room });
    return ids;
  }

  private membersOf(groupId: string, room: number | undefined): Promise<string[]> {
    return this.cached(this.members, groupId, room, (n) => this.ids(`SELECT m.user_id AS id FROM user_group_membership m WHERE m.group_id = ? ORDER BY m.user_id${limitClause(n)}`, [groupId]));
  }

  /** The projects below `root` (not `root`), by id, `n` at most. */
  private descendants(root: string, n: number | undefined): Promise<string[]> {
    return this.ids(
      `WITH RECURSIVE sub(id) AS (
         SELECT p.id FROM projects p WHERE p.parent_id = ?
         UNION
         SELECT c.id FROM projects c JOIN sub ON c.parent_id = sub.id
       ) SELECT sub.id FROM sub WHERE sub.id <> ? ORDER BY sub.id${limitClause(n)}`,
      [root, root],
    );
  }

  private async ids(sql: string, params: unknown[]): Promise<string[]> {
    const rows: Array<{ id: string }> = await this.ds.query(sql, params);
    return rows.map((r) => r.id);
  }

  private withinClause(alias: string): string {
    return this.f.withinDomain === undefined ? '' : ` AND ${alias}.domain_id = ?`;
  }

  private withinParams(): string[] {
    return this.f.withinDomain === undefined ? [] : [this.f.withinDomain];
  }

  // ---------------------------------------------------------------- roles

  /** The role and every role that implies it, directly or through others. */
  private async priorsOf(roleId: string): Promise<string[]> {
    return this.ids(
      `WITH RECURSIVE up(id) AS (
         SELECT r.id FROM roles r WHERE r.id = ?
         UNION
         SELECT ir.prior_role_id FROM implied_roles ir JOIN up ON ir.implied_role_id = up.id
       ) SELECT id FROM up`,
      [roleId],
    );
  }

  /**
   * For each role not seen yet: the lines a grant of it gives, in order: the role, then each role
   * it implies followed by those that one implies (naming the prior role), keeping the global
   * ones only (a domain-specific role only passes its implications on).
   */
  private async loadExpansions(roleIds: string[]): Promise<void> {
    const fresh = [...new Set(roleIds)].filter((id) => !this.expansions.has(id));
    if (!fresh.length) return;
    const rows: Array<{ id: string; domain_id: string; implied: string | null }> = await this.ds.query(
      `WITH RECURSIVE reach(id) AS (
         SELECT r.id FROM roles r WHERE r.id IN (${placeholders(fresh.length)})
         UNION
         SELECT ir.implied_role_id FROM implied_roles ir JOIN reach ON ir.prior_role_id = reach.id
       ) SELECT r.id AS id, r.domain_id AS domain_id, ir.implied_role_id AS implied
           FROM reach JOIN roles r ON r.id = reach.id LEFT JOIN implied_roles ir ON ir.prior_role_id = reach.id
          ORDER BY r.id, ir.implied_role_id`,
      fresh,
    );
    const global = new Set<string>();
    const implies = new Map<string, string[]>();
    for (const row of rows) {
      if (row.domain_id === NULL_DOMAIN_ID) global.add(row.id);
      if (!implies.has(row.id)) implies.set(row.id, []);
      if (row.implied !== null) implies.get(row.id)!.push(row.implied);
    }
    for (const root of fresh) {
      const lines: Array<{ roleId: string; priorRoleId?: string }> = [];
      if (!implies.has(root)) {
        this.expansions.set(root, lines);
        continue;
      }
      if (global.has(root)) lines.push({ roleId: root });
      const seen = new Set([root]);
      const walk = (prior: string) => {
        for (const implied of implies.get(prior) ?? []) {
          if (seen.has(implied)) continue;
          seen.add(implied);
          if (global.has(implied)) lines.push({ roleId: implied, priorRoleId: prior });
          walk(implied);
        }
      };
      walk(root);
      this.expansions.set(root, lines);
    }
  }

  // ---------------------------------------------------------------- the statement

  /**
   * Grants matching `q`, `limit` at most from `offset`: in (type, actor, target, role) order, or
   * with a role filter in (role, type, actor, target) order, the order of the role index, so a
   * page of a role held by a million users is read off the index instead of sorted.
   */
  private async grants(q: GrantQuery, limit: number | undefined, offset = 0): Promise<GrantRow[]> {
    if (!q.types.length || q.actorIds?.length === 0 || q.roleIds?.length === 0) return [];
    if (q.targetIds?.length === 0 && q.subtreeOf === undefined) return [];
    if (limit !== undefined && limit <= 0) return [];
    const params: unknown[] = [];
    const ctes: string[] = [];
    if (q.subtreeOf !== undefined) {
      ctes.push(SUBTREE_CTE);
      params.push(q.subtreeOf);
    }
    const where = [`ra.type IN (${placeholders(q.types.length)})`];
    params.push(...q.types);
    if (q.actorIds) {
      where.push(`ra.actor_id IN (${placeholders(q.actorIds.length)})`);
      params.push(...q.actorIds);
    }
    const targets: string[] = [];
    if (q.targetIds?.length) {
      targets.push(`ra.target_id IN (${placeholders(q.targetIds.length)})`);
      params.push(...q.targetIds);
    }
    if (q.subtreeOf !== undefined) targets.push('ra.target_id IN (SELECT id FROM subtree)');
    if (targets.length) where.push(`(${targets.join(' OR ')})`);
    if (q.roleIds) {
      where.push(`ra.role_id IN (${placeholders(q.roleIds.length)})`);
      params.push(...q.roleIds);
    }
    if (q.inherited !== undefined) {
      where.push('ra.inherited = ?');
      params.push(q.inherited ? 1 : 0);
    }
    if (this.f.withinDomain !== undefined) {
      // A domain-scoped caller: grants on its domain, and on projects of its domain.
      where.push(`((ra.type IN ('UserDomain', 'GroupDomain') AND ra.target_id = ?)
        OR (ra.type IN ('UserProject', 'GroupProject') AND ra.target_id IN (SELECT d.id FROM projects d WHERE d.domain_id = ?)))`);
      params.push(this.f.withinDomain, this.f.withinDomain);
    }
    const rows: Array<{ type: AssignmentType; actor_id: string; target_id: string; role_id: string; inherited: unknown }> = await this.ds.query(
      `${ctes.length ? `WITH RECURSIVE ${ctes.join(', ')} ` : ''}SELECT ra.type AS type, ra.actor_id AS actor_id, ra.target_id AS target_id, ra.role_id AS role_id, ra.inherited AS inherited
         FROM role_assignments ra WHERE ${where.join(' AND ')}
        ORDER BY ${q.roleIds ? 'ra.role_id, ra.type, ra.actor_id, ra.target_id' : 'ra.type, ra.actor_id, ra.target_id, ra.role_id'}, ra.inherited${limitClause(limit, offset)}`,
      params,
    );
    return rows.map((r) => ({ type: r.type, actorId: r.actor_id, targetId: r.target_id, roleId: r.role_id, inherited: Number(r.inherited) === 1 || r.inherited === true }));
  }
}

/** Names `include_names` shows, for a page of lines: a handful of statements, whatever the page holds. */
export interface AssignmentNames {
  roles: Map<string, { name: string; domainId: string }>;
  users: Map<string, { name: string; domainId: string }>;
  groups: Map<string, { name: string; domainId: string }>;
  projects: Map<string, { name: string; domainId: string }>;
  domains: Map<string, string>;
}

export async function assignmentNames(ds: DataSource, lines: readonly ListedLine[]): Promise<AssignmentNames> {
  const pick = (f: (l: ListedLine) => string | undefined) => [...new Set(lines.map(f).filter((x): x is string => x !== undefined))];
  const named = async (table: string, ids: string[]) => {
    const out = new Map<string, { name: string; domainId: string }>();
    for (let at = 0; at < ids.length; at += 500) {
      const chunk = ids.slice(at, at + 500);
      const rows: Array<{ id: string; name: string; domain_id: string }> = await ds.query(`SELECT id, name, domain_id FROM ${table} WHERE id IN (${placeholders(chunk.length)})`, chunk);
      for (const r of rows) out.set(r.id, { name: r.name, domainId: r.domain_id });
    }
    return out;
  };
  const roles = await named('roles', pick((l) => l.roleId));
  const users = await named('users', pick((l) => (l.actor.type === 'user' ? l.actor.id : undefined)));
  const groups = await named('groups', pick((l) => (l.actor.type === 'group' ? l.actor.id : undefined)));
  const projects = await named('projects', pick((l) => ('project' in l.scope ? l.scope.project : undefined)));
  const domainIds = new Set<string>(pick((l) => ('domain' in l.scope ? l.scope.domain : undefined)));
  for (const m of [users, groups, projects]) for (const v of m.values()) domainIds.add(v.domainId);
  for (const v of roles.values()) if (v.domainId !== NULL_DOMAIN_ID) domainIds.add(v.domainId);
  const domains = new Map<string, string>();
  const ids = [...domainIds];
  for (let at = 0; at < ids.length; at += 500) {
    const chunk = ids.slice(at, at + 500);
    const rows: Array<{ id: string; name: string }> = await ds.query(`SELECT id, name FROM domains WHERE id IN (${placeholders(chunk.length)})`, chunk);
    for (const r of rows) domains.set(r.id, r.name);
  }
  return { roles, users, groups, projects, domains };
}
