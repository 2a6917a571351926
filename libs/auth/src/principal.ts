import type { ScopeTarget } from '@lintel/domain';
import type { TokenClaims } from './token-claims.js';

/** The authenticated caller, as every guard and policy check sees it. */
export interface Principal {
  claims: TokenClaims;
  userId: string;
  userDomainId: string;
  scope: ScopeTarget | undefined;
  /** Effective role names on the token's scope (empty when unscoped). */
  roles: string[];
  roleIds: string[];
  /** Project-scoped to the cloud's admin project (Keystone's `is_admin_project`). */
  isAdminProject: boolean;
}

/**
 * Keystone's default-policy building blocks (§0.7 of the contract). A cloud administrator holds
 * `admin` on the system, or on the admin project (what `openstack` clients use by default); an
 * `admin` role on any other project or on a domain is confined to it.
 */
export const policy = {
  isAdmin: (p: Principal): boolean => p.roles.includes('admin') && (policy.isSystemScoped(p) || p.isAdminProject),
  /** The domain a domain-scoped token administers (admin role on it), if any. */
  domainAdminOf: (p: Principal): string | undefined => (p.scope && 'domain' in p.scope && p.roles.includes('admin') ? p.scope.domain : undefined),
  /** The domain a domain-scoped token may read (reader role on it, implied by admin), if any. */
  domainReaderOf: (p: Principal): string | undefined => (p.scope && 'domain' in p.scope && p.roles.includes('reader') ? p.scope.domain : undefined),
  isSystemScoped: (p: Principal): boolean => p.scope !== undefined && 'system' in p.scope,
  isSystemReader: (p: Principal): boolean => policy.isSystemScoped(p) && p.roles.includes('reader'),
  hasRole: (p: Principal, role: string): boolean => p.roles.includes(role),
  projectId: (p: Principal): string | undefined => (p.scope && 'project' in p.scope ? p.scope.project : undefined),
  isEc2Derived: (p: Principal): boolean => p.claims.methods.includes('ec2credential'),
  /** The token acts on this project's access keys: scoped to it, or a system-scoped admin's. */
  actsOnProject: (p: Principal, projectId: string): boolean =>
    policy.projectId(p) === projectId || (policy.isSystemScoped(p) && policy.isAdmin(p)),
  /**
   * SODA's rule for the access keys of a project the token acts on (multicloud-aksks.md): an admin
   * there manages everyone's, a member their own, a reader may only read their own.
   */
  mayManageKeysOf: (p: Principal, ownerId: string, need: 'read' | 'write'): boolean =>
    policy.hasRole(p, 'admin') || (p.userId === ownerId && policy.hasRole(p, need === 'write' ? 'member' : 'reader')),
};
