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
}

/** Keystone's default-policy building blocks (§0.7 of the contract). */
export const policy = {
  isAdmin: (p: Principal): boolean => p.roles.includes('admin'),
  isSystemScoped: (p: Principal): boolean => p.scope !== undefined && 'system' in p.scope,
  isSystemReader: (p: Principal): boolean => policy.isSystemScoped(p) && p.roles.includes('reader'),
  hasRole: (p: Principal, role: string): boolean => p.roles.includes(role),
  projectId: (p: Principal): string | undefined => (p.scope && 'project' in p.scope ? p.scope.project : undefined),
  isEc2Derived: (p: Principal): boolean => p.claims.methods.includes('ec2credential'),
};
