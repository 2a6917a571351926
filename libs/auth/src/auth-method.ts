import type { ScopeTarget, UserEntity } from '@lintel/domain';
import type { JsonObject } from '@lintel/platform';
import type { TokenClaims } from './token-claims.js';
import type { ScopeRequest } from './token.service.js';

/** What one authentication method proved about the caller. */
export interface MethodResult {
  user: UserEntity;
  /** A scope the method imposes (an application credential's project, an OAuth1 access token's). */
  scope?: ScopeTarget;
  /** What the method adds to the token's claims. */
  claims?: Pick<TokenClaims, 'appCredId' | 'trustId' | 'oauthAccessTokenId'>;
  /** A ceiling on the token's expiry, in milliseconds since the epoch. */
  expiresAt?: number;
}

export interface AuthMethodContext {
  /** `auth.scope` as requested (a method that imposes its own scope decides whether one may be asked). */
  scope: ScopeRequest | undefined;
}

/**
 * An authentication method beyond `password` and `token` (docs/keystone.md, "Tokens"): the
 * module that implements it registers it with TokenService.registerMethod at start-up. The body is
 * `auth.identity.<name>`, checked only to be an object; its shape is the method's to check
 * (InvalidInputError for a bad shape, UnauthenticatedError for bad credentials).
 */
export interface AuthMethod {
  /** Keystone's method name (`application_credential`, `totp`, `oauth1`). */
  readonly name: string;
  authenticate(body: JsonObject, ctx: AuthMethodContext): Promise<MethodResult>;
}
