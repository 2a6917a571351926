import type { TokenView } from '@lintel/auth';
import type { CatalogEntry, DomainView, ProjectView, UserEntity } from '@lintel/domain';
import { renderTokenTrust, renderTokenTrustRole } from './trusts/trust.render.js';

/** Token instants: whole seconds with Keystone's fixed `.000000Z` fraction. */
export function tokenTime(ms: number): string {
  return new Date(Math.floor(ms / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '.000000Z');
}

/** Resource instants: naive UTC with six fraction digits, or null. */
export function resourceTime(d: Date | null | undefined): string | null {
  return d ? d.toISOString().replace(/\.(\d{3})Z$/, '.$1000') : null;
}

export function renderDomain(d: DomainView, base: string) {
  return {
    id: d.id, name: d.name, description: d.description ?? '', enabled: d.enabled, tags: d.tags, options: {},
    ...(d.extra ?? {}), links: { self: `${base}/v3/domains/${d.id}` },
  };
}

/** A user (docs/keystone.md, "Users"); `password` is never shown, extras are. */
export function renderUser(u: UserEntity, passwordExpiresAt: Date | null, base: string) {
  return {
    ...(u.extra ?? {}),
    id: u.id, name: u.name, domain_id: u.domainId, enabled: u.enabled, password_expires_at: resourceTime(passwordExpiresAt),
    options: u.options ?? {},
    ...(u.defaultProjectId ? { default_project_id: u.defaultProjectId } : {}),
    links: { self: `${base}/v3/users/${u.id}` },
  };
}

/** A project, or a domain as the project acting as it (`is_domain`, no domain and no parent). */
export function renderProject(p: ProjectView, base: string) {
  return {
    id: p.id, name: p.name, domain_id: p.domainId, description: p.description ?? '', enabled: p.enabled,
    parent_id: p.parentId, is_domain: p.isDomain, tags: p.tags, options: {},
    ...(p.extra ?? {}), links: { self: `${base}/v3/projects/${p.id}` },
  };
}

const PROJECT_VARS = /\$\((project_id|tenant_id)\)s|%\((project_id|tenant_id)\)s/g;
const USER_VARS = /\$\(user_id\)s|%\(user_id\)s/g;

/**
 * The catalog as a token shows it. Endpoint URLs get the project and user substituted; without a
 * project scope, endpoints that need a project id are left out (Keystone does the same).
 */
export function renderCatalog(entries: CatalogEntry[], projectId: string | undefined, userId: string) {
  return entries.map(({ service, endpoints }) => ({
    endpoints: endpoints
      .filter((e) => projectId !== undefined || !e.url.match(PROJECT_VARS))
      .map((e) => ({
        id: e.id,
        interface: e.interface,
        region_id: e.regionId,
        url: e.url.replace(PROJECT_VARS, projectId ?? '').replace(USER_VARS, userId),
        region: e.regionId,
      })),
    id: service.id,
    type: service.type,
    name: service.name ?? '',
  }));
}

/** The `token` object (docs/keystone.md, "The token object"). */
export function renderToken(v: TokenView, catalog: CatalogEntry[] | undefined) {
  const c = v.claims;
  const token: Record<string, unknown> = {
    methods: c.methods,
    user: {
      domain: { id: v.userDomain.id, name: v.userDomain.name },
      id: v.user.id,
      name: v.user.name,
      password_expires_at: resourceTime(v.passwordExpiresAt),
    },
    audit_ids: c.auditIds,
    expires_at: tokenTime(c.expiresAt),
    issued_at: tokenTime(c.issuedAt),
  };
  // A trust-scoped token (docs/keystone-trusts.md): its trust, no is_domain, whole roles.
  if (v.trust) token['OS-TRUST:trust'] = renderTokenTrust(v.trust);
  if (v.project) {
    token.project = { domain: { id: v.projectDomain!.id, name: v.projectDomain!.name }, id: v.project.id, name: v.project.name };
    if (!v.trust) token.is_domain = v.project.isDomain;
  } else if (v.domain) {
    token.domain = { id: v.domain.id, name: v.domain.name };
  } else if (c.scope && 'system' in c.scope) {
    token.system = { all: true };
  }
  if (c.scope) {
    token.roles = v.trust ? v.roles.map(renderTokenTrustRole) : v.roles.map((r) => ({ id: r.id, name: r.name }));
    if (catalog) token.catalog = renderCatalog(catalog, v.project?.id, v.trust?.trustor.id ?? v.user.id);
  }
  if (v.appCred) {
    // docs/keystone-application-credentials.md, "Logging in": Keystone shows `restricted`, and the rules only when there are some.
    const a = v.appCred;
    token.application_credential = { id: a.id, name: a.name, restricted: !a.unrestricted, ...(a.accessRules?.length ? { access_rules: a.accessRules } : {}) };
  }
  // What a delegation adds (e.g. `OS-OAUTH1`: docs/keystone-oauth1.md, "Tokens").
  if (v.extensions) Object.assign(token, v.extensions);
  return { token };
}
