import type { TrustView } from '@lintel/auth';
import { NULL_DOMAIN_ID, type RoleEntity, type Trust } from '@lintel/domain';

/** A trust's expiry as Keystone shows it: whole seconds and six zero digits, or null. */
export const trustTime = (d: Date | null): string | null => (d ? new Date(Math.floor(d.getTime() / 1000) * 1000).toISOString().replace(/\.\d{3}Z$/, '.000000Z') : null);

/** A trust in lists (no roles), Keystone's attribute order, extras first so none overrides them. */
export function renderTrustSummary(t: Trust, base: string) {
  return {
    ...t.extra,
    id: t.id,
    trustor_user_id: t.trustorUserId,
    trustee_user_id: t.trusteeUserId,
    project_id: t.projectId,
    impersonation: t.impersonation,
    expires_at: trustTime(t.expiresAt),
    remaining_uses: t.remainingUses,
    deleted_at: null,
    redelegated_trust_id: t.redelegatedTrustId,
    redelegation_count: t.redelegationCount,
    links: { self: `${base}/v3/OS-TRUST/trusts/${t.id}` },
  };
}

/**
 * One trust with its roles (those that still exist) and `roles_links`, whose `self` is the URL
 * Keystone gives (`/v3/{trust_id}/roles`, without `OS-TRUST/trusts`): clients get it as Keystone
 * sends it.
 */
export function renderTrust(t: Trust, roles: RoleEntity[], base: string) {
  const { links, ...summary } = renderTrustSummary(t, base);
  return {
    roles: roles.map((r) => renderTrustRole(r, base)),
    ...summary,
    roles_links: { self: `${base}/v3/${t.id}/roles`, next: null, previous: null },
    links,
  };
}

/** `OS-TRUST:trust` of a trust-scoped token body. */
export function renderTokenTrust(v: TrustView) {
  return { id: v.trust.id, trustor_user: { id: v.trustor.id }, trustee_user: { id: v.trustee.id }, impersonation: v.trust.impersonation };
}

/** A role of a trust-scoped token: the whole role, as Keystone puts it there (no links). */
export function renderTokenTrustRole(r: RoleEntity) {
  return { ...(r.extra ?? {}), id: r.id, name: r.name, domain_id: r.domainId === NULL_DOMAIN_ID ? null : r.domainId, description: r.description, options: r.options ?? {} };
}

/** A role of a trust as its routes show it: the whole role with its link (as `GET /v3/roles/{id}`). */
export function renderTrustRole(r: RoleEntity, base: string) {
  return { ...renderTokenTrustRole(r), links: { self: `${base}/v3/roles/${r.id}` } };
}
