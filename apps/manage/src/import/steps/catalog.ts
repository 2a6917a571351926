import {
  EndpointEntity, EndpointGroupEntity, PolicyEntity, ProjectEndpointEntity, ProjectEndpointGroupEntity, RegionEntity, ServiceEntity,
  type EndpointGroupFilters, type EndpointInterface,
} from '@lintel/domain';
import { bool, jsonObject, jsonValue, sameJson, text, type Step } from '../context.js';

/**
 * The catalog, ids kept so that clients holding endpoint or service ids see the same ones:
 * regions (parents first), services (Keystone keeps `name` and `description` among the extras,
 * Lintel in columns), endpoints, OS-EP-FILTER endpoint groups and project associations, and the
 * policy blobs of `/v3/policies`.
 */

export const regions: Step = {
  name: 'regions',
  count: (ctx) => ctx.countRows('region'),
  async run(ctx, t) {
    const rows = await ctx.src.all(`SELECT id, description, parent_region_id, extra FROM ${ctx.src.q('region')} ORDER BY id`);
    const all = new Map(rows.map((r) => [String(r.id), r]));
    const existing = new Map((await ctx.m.find(RegionEntity)).map((r) => [r.id, r]));
    const done = new Set<string>();
    const visit = async (id: string, path: Set<string>): Promise<void> => {
      if (done.has(id)) return;
      done.add(id);
      const r = all.get(id)!;
      const parent = text(r.parent_region_id);
      if (parent && all.has(parent) && !path.has(parent)) await visit(parent, new Set(path).add(id));
      const extra = jsonObject(r.extra);
      if (!extra) return t.refuse(id, 'its extra attributes are not a JSON object');
      if (parent && !ctx.accepted.regions.has(parent)) return t.refuse(id, `its parent region ${parent} was not imported`);
      const e: RegionEntity = { id, description: text(r.description), parentRegionId: parent, extra };
      const old = existing.get(id);
      ctx.accepted.regions.add(id);
      if (!old) {
        await ctx.insert(RegionEntity, [e]);
        t.count('created');
      } else if (old.description !== e.description || old.parentRegionId !== e.parentRegionId || !sameJson(old.extra ?? {}, e.extra)) {
        await ctx.update(RegionEntity, { id }, { description: e.description, parentRegionId: e.parentRegionId, extra: e.extra });
        t.count('updated');
      } else {
        t.count('skipped');
      }
    };
    for (const id of all.keys()) await visit(id, new Set());
  },
};

export const services: Step = {
  name: 'services',
  count: (ctx) => ctx.countRows('service'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(ServiceEntity)).map((s) => [s.id, s]));
    for await (const rows of ctx.pages(`SELECT id, type, enabled, extra FROM ${ctx.src.q('service')}`, 'id')) {
      const fresh: ServiceEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const all = jsonObject(r.extra);
        const type = text(r.type);
        if (!all) {
          t.refuse(id, 'its extra attributes are not a JSON object');
          continue;
        }
        if (!type) {
          t.refuse(id, 'it has no type');
          continue;
        }
        const { name, description, ...extra } = all;
        const s: ServiceEntity = {
          id, type, enabled: bool(r.enabled), extra,
          name: name === undefined || name === null ? null : String(name),
          description: description === undefined || description === null ? null : String(description),
        };
        const old = existing.get(id);
        ctx.accepted.services.add(id);
        if (!old) {
          fresh.push(s);
          t.count('created');
        } else if (old.type !== s.type || old.name !== s.name || old.description !== s.description || old.enabled !== s.enabled || !sameJson(old.extra ?? {}, s.extra)) {
          await ctx.update(ServiceEntity, { id }, { type: s.type, name: s.name, description: s.description, enabled: s.enabled, extra: s.extra });
          t.count('updated');
        } else {
          t.count('skipped');
        }
      }
      await ctx.insert(ServiceEntity, fresh);
    }
  },
};

const INTERFACES = new Set(['public', 'internal', 'admin']);

export const endpoints: Step = {
  name: 'endpoints',
  count: (ctx) => ctx.countRows('endpoint'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(EndpointEntity)).map((e) => [e.id, e]));
    for await (const rows of ctx.pages(`SELECT id, interface, service_id, url, extra, enabled, region_id FROM ${ctx.src.q('endpoint')}`, 'id')) {
      const fresh: EndpointEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const extra = jsonObject(r.extra);
        const e: EndpointEntity = {
          id, interface: String(r.interface) as EndpointInterface, serviceId: String(r.service_id), url: String(r.url ?? ''),
          regionId: text(r.region_id), enabled: bool(r.enabled), extra: extra ?? {},
        };
        if (!extra) t.refuse(id, 'its extra attributes are not a JSON object');
        else if (!INTERFACES.has(e.interface)) t.refuse(id, `its interface ${e.interface} is not public, internal or admin`);
        else if (!ctx.accepted.services.has(e.serviceId)) t.refuse(id, `its service ${e.serviceId} was not imported`);
        else if (e.regionId !== null && !ctx.accepted.regions.has(e.regionId)) t.refuse(id, `its region ${e.regionId} was not imported`);
        else {
          const old = existing.get(id);
          ctx.accepted.endpoints.add(id);
          if (!old) {
            fresh.push(e);
            t.count('created');
          } else if (old.interface !== e.interface || old.serviceId !== e.serviceId || old.url !== e.url || old.regionId !== e.regionId
            || old.enabled !== e.enabled || !sameJson(old.extra ?? {}, e.extra)) {
            await ctx.update(EndpointEntity, { id }, { interface: e.interface, serviceId: e.serviceId, url: e.url, regionId: e.regionId, enabled: e.enabled, extra: e.extra });
            t.count('updated');
          } else {
            t.count('skipped');
          }
        }
      }
      await ctx.insert(EndpointEntity, fresh);
    }
  },
};

export const endpointGroups: Step = {
  name: 'endpoint groups',
  count: (ctx) => ctx.countRows('endpoint_group'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(EndpointGroupEntity)).map((g) => [g.id, g]));
    for await (const rows of ctx.pages(`SELECT id, name, description, filters FROM ${ctx.src.q('endpoint_group')}`, 'id')) {
      const fresh: EndpointGroupEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const filters = jsonValue(r.filters);
        if (!filters || typeof filters !== 'object' || Array.isArray(filters)) {
          t.refuse(id, 'its filters are not a JSON object');
          continue;
        }
        const g: EndpointGroupEntity = { id, name: String(r.name), description: text(r.description), filters: filters as EndpointGroupFilters };
        const old = existing.get(id);
        ctx.accepted.endpointGroups.add(id);
        if (!old) {
          fresh.push(g);
          t.count('created');
        } else if (old.name !== g.name || old.description !== g.description || !sameJson(old.filters, g.filters)) {
          await ctx.update(EndpointGroupEntity, { id }, { name: g.name, description: g.description, filters: g.filters });
          t.count('updated');
        } else {
          t.count('skipped');
        }
      }
      await ctx.insert(EndpointGroupEntity, fresh);
    }
  },
};

export const projectEndpoints: Step = {
  name: 'project endpoints',
  count: (ctx) => ctx.countRows('project_endpoint'),
  async run(ctx, t) {
    const have = new Set((await ctx.m.find(ProjectEndpointEntity)).map((r) => `${r.endpointId}\n${r.projectId}`));
    for await (const rows of ctx.pages(`SELECT endpoint_id, project_id FROM ${ctx.src.q('project_endpoint')}`, 'endpoint_id, project_id')) {
      const fresh: ProjectEndpointEntity[] = [];
      for (const r of rows) {
        const endpointId = String(r.endpoint_id);
        const projectId = String(r.project_id);
        if (!ctx.accepted.endpoints.has(endpointId)) t.refuse(`${projectId}/${endpointId}`, `endpoint ${endpointId} was not imported`);
        else if (!ctx.accepted.projects.has(projectId)) t.refuse(`${projectId}/${endpointId}`, `project ${projectId} was not imported`);
        else if (have.has(`${endpointId}\n${projectId}`)) t.count('skipped');
        else {
          have.add(`${endpointId}\n${projectId}`);
          fresh.push({ endpointId, projectId });
          t.count('created');
        }
      }
      await ctx.insert(ProjectEndpointEntity, fresh);
    }
  },
};

export const projectEndpointGroups: Step = {
  name: 'project endpoint groups',
  count: (ctx) => ctx.countRows('project_endpoint_group'),
  async run(ctx, t) {
    const have = new Set((await ctx.m.find(ProjectEndpointGroupEntity)).map((r) => `${r.endpointGroupId}\n${r.projectId}`));
    for await (const rows of ctx.pages(`SELECT endpoint_group_id, project_id FROM ${ctx.src.q('project_endpoint_group')}`, 'endpoint_group_id, project_id')) {
      const fresh: ProjectEndpointGroupEntity[] = [];
      for (const r of rows) {
        const endpointGroupId = String(r.endpoint_group_id);
        const projectId = String(r.project_id);
        if (!ctx.accepted.endpointGroups.has(endpointGroupId)) t.refuse(`${projectId}/${endpointGroupId}`, `endpoint group ${endpointGroupId} was not imported`);
        else if (!ctx.accepted.projects.has(projectId)) t.refuse(`${projectId}/${endpointGroupId}`, `project ${projectId} was not imported`);
        else if (have.has(`${endpointGroupId}\n${projectId}`)) t.count('skipped');
        else {
          have.add(`${endpointGroupId}\n${projectId}`);
          fresh.push({ endpointGroupId, projectId });
          t.count('created');
        }
      }
      await ctx.insert(ProjectEndpointGroupEntity, fresh);
    }
  },
};

export const policies: Step = {
  name: 'policies',
  count: (ctx) => ctx.countRows('policy'),
  async run(ctx, t) {
    const existing = new Map((await ctx.m.find(PolicyEntity)).map((p) => [p.id, p]));
    for await (const rows of ctx.pages(`SELECT id, type, ${ctx.src.q('blob')} AS policy_blob, extra FROM ${ctx.src.q('policy')}`, 'id')) {
      const fresh: PolicyEntity[] = [];
      for (const r of rows) {
        const id = String(r.id);
        const extra = jsonObject(r.extra);
        if (!extra) {
          t.refuse(id, 'its extra attributes are not a JSON object');
          continue;
        }
        // Keystone keeps the blob as JSON text of the string it was given.
        const parsed = jsonValue(r.policy_blob);
        const p: PolicyEntity = { id, type: String(r.type), blob: typeof parsed === 'string' ? parsed : text(r.policy_blob) ?? '', extra };
        const old = existing.get(id);
        if (!old) {
          fresh.push(p);
          t.count('created');
        } else if (old.type !== p.type || old.blob !== p.blob || !sameJson(old.extra ?? {}, p.extra)) {
          await ctx.update(PolicyEntity, { id }, { type: p.type, blob: p.blob, extra: p.extra });
          t.count('updated');
        } else {
          t.count('skipped');
        }
      }
      await ctx.insert(PolicyEntity, fresh);
    }
  },
};
