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

/** A stable string for the delegation a token acts under (none, an app credential, a trust, an OAuth1 access token). */
export function delegationKey(c: TokenClaims): string {
  return `${c.appCredId ?? ''}|${c.trustId ?? ''}|${c.oauthAccessTokenId ?? ''}`;
}

/**
 * Methods that authenticate the user directly. A token obtained with any other method (an
 * application credential, an OAuth1 access token, an EC2 signature, or one added later) is a
 * delegation, as is a trust-scoped one: deny by default, as Debian's Keystone 22 classifies them
 * (docs/keystone-oauth1.md, "Delegated tokens").
 */
export const PRIMARY_AUTH_METHODS: ReadonlySet<string> = new Set(['external', 'kerberos', 'mapped', 'openid', 'password', 'saml2', 'token', 'totp', 'x509']);

/** Whether a token is any form of delegation (Keystone's `is_delegated_method` or a trust). */
export function isDelegatedClaims(c: TokenClaims): boolean {
  return !!c.trustId || !c.methods.length || c.methods.some((m) => !PRIMARY_AUTH_METHODS.has(m));
}
