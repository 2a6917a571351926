import type { ScopeTarget } from '@lintel/domain';

/** What a Lintel token carries: Keystone's JWS-provider claims, nothing derivable. */
export interface TokenClaims {
  userId: string;
  methods: string[];
  /** `[own]` or `[own, chain root]`. */
  auditIds: string[];
  /** Milliseconds since the epoch (`iat` keeps millisecond precision so revocation is exact). */
  issuedAt: number;
  /** Milliseconds since the epoch, a whole second as in Keystone. */
  expiresAt: number;
  scope: ScopeTarget | undefined;
  /** The application credential the token was issued from (scope and roles are limited to it). */
  appCredId?: string;
  /** The trust a trust-scoped token acts under (OS-TRUST). */
  trustId?: string;
  /** The OAuth1 access token a delegated token was issued from (OS-OAUTH1). */
  oauthAccessTokenId?: string;
}

/** A stable string for a scope, used in cache keys. */
export function scopeKey(scope: ScopeTarget | undefined): string {
  if (!scope) return 'unscoped';
  if ('project' in scope) return `p:${scope.project}`;
  if ('domain' in scope) return `d:${scope.domain}`;
  return 'system';
}
