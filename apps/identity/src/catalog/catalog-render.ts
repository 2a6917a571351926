import type { EndpointEntity, RegionEntity, ServiceEntity } from '@lintel/domain';

/**
 * The catalog admin bodies (docs/keystone.md, "Catalog administration"). Extras (attributes Keystone does not know) come
 * first so a stored extra can never shadow a real attribute.
 */

/** A service: `name` and `description` only when set (Keystone keeps both as extras). */
export function renderService(s: ServiceEntity, base: string) {
  return {
    ...(s.extra ?? {}),
    id: s.id, type: s.type, enabled: s.enabled,
    ...(s.name !== null ? { name: s.name } : {}),
    ...(s.description !== null ? { description: s.description } : {}),
    links: { self: `${base}/v3/services/${s.id}` },
  };
}

/** An endpoint: `region` repeats `region_id` (Keystone's `_filter_endpoint`, for v2-era clients). */
export function renderEndpoint(e: EndpointEntity, base: string) {
  return {
    ...(e.extra ?? {}),
    id: e.id, interface: e.interface, region_id: e.regionId, region: e.regionId, service_id: e.serviceId, url: e.url, enabled: e.enabled,
    links: { self: `${base}/v3/endpoints/${e.id}` },
  };
}

export function renderRegion(r: RegionEntity, base: string) {
  return {
    ...(r.extra ?? {}),
    id: r.id, description: r.description ?? '', parent_region_id: r.parentRegionId,
    links: { self: `${base}/v3/regions/${encodeURIComponent(r.id)}` },
  };
}
