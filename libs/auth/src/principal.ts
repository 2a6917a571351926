import type { FastifyRequest } from 'fastify';
import type { ScopeTarget } from '@lintel/domain';
import type { Credentials } from '@lintel/policy';
import { isDelegatedClaims, type TokenClaims } from './token-claims.js';

/** The authenticated caller of a token-protected route. */
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
  /**
   * The application credential the token was issued from (docs/keystone-application-credentials.md):
   * whether it may manage credentials (`unrestricted`) and the requests it is limited to
   * (`accessRules`; empty when the credential has none, which limits nothing).
   */
  appCred?: { id: string; name: string; unrestricted: boolean; accessRules: { id: string; service: string; path: string; method: string }[] };
  /** What policy rules see of this caller (docs/policy.md, "Credentials"); built once per validation. */
  creds: Credentials;
}

/** The project a token is scoped to, if any. */
export const scopedProject = (p: Principal): string | undefined => (p.scope && 'project' in p.scope ? p.scope.project : undefined);
/** The domain a token is scoped to, if any. */
export const scopedDomain = (p: Principal): string | undefined => (p.scope && 'domain' in p.scope ? p.scope.domain : undefined);
/** A token derived from an EC2 credential (`/v3/ec2tokens`), meant for the service that asked for it. */
export const isEc2Derived = (p: Principal): boolean => p.claims.methods.includes('ec2credential');
/** A token issued through a delegation (OAuth1, an application credential, a trust...), docs/keystone-oauth1.md "Delegated tokens". */
export const isDelegated = (p: Principal): boolean => isDelegatedClaims(p.claims);

/** A request the X-Auth-Token guard let through: the caller it authenticated rides on it. */
export type AuthenticatedRequest = FastifyRequest & { principal: Principal };
