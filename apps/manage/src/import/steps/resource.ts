import { DomainEntity, ProjectEntity, ProjectTagEntity } from '@lintel/domain';
import { bool, jsonObject, sameJson, text, type Step } from '../context.js';

/**
 * Domains and projects: Keystone keeps both in `project` (a domain is a project with
 * `is_domain`, under the pseudo-domain `<<keystone.domain.root>>`), Lintel in `domains` and
 * `projects`. Tags follow their project or domain; project options Lintel does not have.
 */

/** Keystone's root of the domain tree: a row of its own, never shown by its API. */
export const ROOT_DOMAIN_ID = '<<keystone.domain.root>>';

export const domains: Step = {
  name: 'domains',
  count: (ctx) => ctx.countRows('project', `is_domain = 1 AND id <> '${ROOT_DOMAIN_ID}'`),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(DomainEntity)).map((d) => [d.id, d]));
    const byName = new Map([...existing.values()].map((d) => [ctx.nameKey(d.name), d.id]));
    const projectIds = new Set((await ctx.m.find(ProjectEntity, { select: { id: true } })).map((p) => p.id));
    const q = ctx.src.q;
    for await (const rows of ctx.pages(`SELECT id, name, description, enabled, extra FROM ${q('project')} WHERE is_domain = 1 AND id <> '${ROOT_DOMAIN_ID}'`, 'id')) {
      const fresh: DomainEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const extra = jsonObject(r.extra);
        if (!extra) {
          t.refuse(id, 'its extra attributes are not a JSON object');
          continue;
        }
        const d: DomainEntity = { id, name: String(r.name), description: text(r.description), enabled: bool(r.enabled), extra };
        const holder = byName.get(ctx.nameKey(d.name));
        if (holder !== undefined && holder !== id) {
          t.refuse(id, `Lintel already has a domain of that name under another id (${holder}): was this database bootstrapped before the import?`);
          continue;
        }
        if (projectIds.has(id)) {
          t.refuse(id, 'Lintel already has a project with this id');
          continue;
        }
        const old = existing.get(id);
        ctx.accepted.domains.add(id);
        byName.set(ctx.nameKey(d.name), id);
        if (!old) {
          fresh.push(d);
          t.count('created');
        } else if (old.name !== d.name || old.description !== d.description || old.enabled !== d.enabled || !sameJson(old.extra ?? {}, d.extra)) {
          await ctx.update(DomainEntity, { id }, { name: d.name, description: d.description, enabled: d.enabled, extra: d.extra });
          if (old.enabled && !d.enabled) ctx.revoke({ domainId: id });
          t.count('updated');
        } else {
          t.count('skipped');
        }
      }
      for (const d of await ctx.insert(DomainEntity, fresh)) t.refusedByDatabase(ctx.accepted.domains, d.id);
    }
  },
};

interface SourceProject {
  id: string;
  name: string;
  domainId: string;
  parentId: string | null;
  description: string | null;
  enabled: boolean;
  extra: Record<string, unknown> | undefined;
}

export const projects: Step = {
  name: 'projects',
  count: (ctx) => ctx.countRows('project', 'is_domain = 0'),
  async run(ctx, t) {
    const q = ctx.src.q;
    const rows = await ctx.src.all(`SELECT id, name, domain_id, parent_id, description, enabled, extra FROM ${q('project')} WHERE is_domain = 0 ORDER BY id`);
    const all = new Map<string, SourceProject>(rows.map((r) => [String(r.id), {
      id: String(r.id), name: String(r.name), domainId: String(r.domain_id), parentId: text(r.parent_id),
      description: text(r.description), enabled: bool(r.enabled), extra: jsonObject(r.extra),
    }]));
    const existing = new Map((await ctx.m.find(ProjectEntity)).map((p) => [p.id, p]));
    const key = (domainId: string, name: string) => `${domainId}\n${ctx.nameKey(name)}`;
    const byName = new Map([...existing.values()].map((p) => [key(p.domainId, p.name), p.id]));
    const domainIds = new Set((await ctx.m.find(DomainEntity, { select: { id: true } })).map((d) => d.id));

    // Parents before children: level by level from the domains down (a cycle is never reached).
    const depth = new Map<string, number>();
    const depthOf = (p: SourceProject, seen = new Set<string>()): number => {
      const known = depth.get(p.id);
      if (known !== undefined) return known;
      const parent = p.parentId ? all.get(p.parentId) : undefined;
      const d = parent && !seen.has(parent.id) ? depthOf(parent, seen.add(p.id)) + 1 : 0;
      depth.set(p.id, d);
      return d;
    };
    const levels: SourceProject[][] = [];
    for (const p of all.values()) (levels[depthOf(p)] ??= []).push(p);

    for (const level of levels) {
      const fresh: ProjectEntity[] = [];
      for (const p of level ?? []) {
        if (!p.extra) {
          t.refuse(p.id, 'its extra attributes are not a JSON object');
          continue;
        }
        if (!ctx.accepted.domains.has(p.domainId)) {
          t.refuse(p.id, `its domain ${p.domainId} was not imported`);
          continue;
        }
        const parentId = p.parentId ?? p.domainId;
        if (parentId !== p.domainId && !ctx.accepted.projects.has(parentId)) {
          t.refuse(p.id, `its parent project ${parentId} was not imported`);
          continue;
        }
        if (domainIds.has(p.id)) {
          t.refuse(p.id, 'Lintel already has a domain with this id');
          continue;
        }
        const holder = byName.get(key(p.domainId, p.name));
        if (holder !== undefined && holder !== p.id) {
          t.refuse(p.id, `Lintel already has a project of that name in domain ${p.domainId} under another id (${holder}): was this database bootstrapped before the import?`);
          continue;
        }
        const e: ProjectEntity = { id: p.id, name: p.name, domainId: p.domainId, parentId, isDomain: false, description: p.description, enabled: p.enabled, extra: p.extra };
        const old = existing.get(p.id);
        ctx.accepted.projects.add(p.id);
        byName.set(key(p.domainId, p.name), p.id);
        if (!old) {
          fresh.push(e);
          t.count('created');
        } else if (old.name !== e.name || old.domainId !== e.domainId || old.parentId !== e.parentId || old.description !== e.description
          || old.enabled !== e.enabled || !sameJson(old.extra ?? {}, e.extra)) {
          await ctx.update(ProjectEntity, { id: p.id }, { name: e.name, domainId: e.domainId, parentId: e.parentId, description: e.description, enabled: e.enabled, extra: e.extra });
          if (old.enabled && !e.enabled) ctx.revoke({ projectId: p.id });
          t.count('updated');
        } else {
          t.count('skipped');
        }
      }
      // A level is written before the next one counts its parents as there.
      for (const p of await ctx.insert(ProjectEntity, fresh)) t.refusedByDatabase(ctx.accepted.projects, p.id);
    }
  },
};

/** Tags of projects and of domains (Lintel keeps both in `project_tags`, as Keystone does). */
export const projectTags: Step = {
  name: 'project tags',
  count: (ctx) => ctx.countRows('project_tag'),
  async run(ctx, t) {
    const have = new Set((await ctx.m.find(ProjectTagEntity)).map((r) => `${r.projectId}\n${r.name}`));
    for await (const rows of ctx.pages(`SELECT project_id, name FROM ${ctx.src.q('project_tag')}`, 'project_id, name')) {
      const fresh: ProjectTagEntity[] = [];
      for (const r of rows) {
        const projectId = String(r.project_id);
        const name = String(r.name);
        if (!ctx.accepted.projects.has(projectId) && !ctx.accepted.domains.has(projectId)) {
          t.refuse(`${projectId}/${name}`, `its project or domain ${projectId} was not imported`);
        } else if (have.has(`${projectId}\n${name}`)) {
          t.count('skipped');
        } else {
          have.add(`${projectId}\n${name}`);
          fresh.push({ projectId, name });
          t.count('created');
        }
      }
      for (const r of await ctx.insert(ProjectTagEntity, fresh)) {
        t.uncount('created');
        t.refuse(`${r.projectId}/${r.name}`, 'the project already has this tag (as the database compares tags)');
      }
    }
  },
};

/** Keystone's project (and domain) options: only `immutable` exists, and Lintel has no project options. */
export const projectOptions: Step = {
  name: 'project options',
  count: (ctx) => ctx.countRows('project_option'),
  async run(ctx, t) {
    for await (const rows of ctx.pages(`SELECT project_id, option_id FROM ${ctx.src.q('project_option')}`, 'project_id, option_id')) {
      for (const r of rows) {
        const name = r.option_id === 'IMMU' ? 'immutable' : String(r.option_id);
        t.refuse(String(r.project_id), `not imported yet: Lintel has no project or domain options (${name})`);
      }
    }
  },
};
