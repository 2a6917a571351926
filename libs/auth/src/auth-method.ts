import type { RoleEntity, ScopeTarget, UserEntity } from '@lintel/domain';
import type { JsonObject } from '@lintel/platform';
import type { TokenClaims } from './token-claims.js';
import type { ScopeRequest, TokenView } from './token.service.js';

/** What one authentication method proved about the caller. */
export interface MethodResult {
  user: UserEntity;
  /** A scope the method imposes (an application credential's project, an OAuth1 access token's). */
  scope?: ScopeTarget;
  /** The method imposes an unscoped token: the user's default project is not used (an application credential without a project). */
  unscoped?: boolean;
  /** What the method adds to the token's claims. */
  claims?: Pick<TokenClaims, 'appCredId' | 'trustId' | 'oauthAccessTokenId'>;
  /** A ceiling on the token's expiry, in milliseconds since the epoch. */
  expiresAt?: number;
}

/** The HTTP request a token is asked with, for methods that check a request signature. */
export interface HttpFacts {
  method: string;
  /** Absolute, as the client addressed it (the public URL when one is configured), query included. */
  url: string;
  headers: Record<string, string | string[] | undefined>;
}

export interface AuthMethodContext {
  /** `auth.scope` as requested (a method that imposes its own scope decides whether one may be asked). */
  scope: ScopeRequest | undefined;
  http?: HttpFacts;
}

/** What a delegation allows a token now (AuthMethod.revalidate). */
export interface Revalidated {
  /** The roles the token carries: a subset of those the user holds on the scope. */
  roles: RoleEntity[];
  /** Members the token body shows for the delegation (e.g. `OS-OAUTH1`). */
  extensions?: Record<string, unknown>;
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
  /** Called before the requested scope is resolved (Keystone refuses some requests before looking at the scope). */
  beforeScope?(ctx: AuthMethodContext): void;
  authenticate(body: JsonObject, ctx: AuthMethodContext): Promise<MethodResult>;
  /**
   * For a method whose tokens act under a delegation: called whenever a token naming the method
   * is issued or validated (then at most once a second per delegation and scope, and at once
   * after a revocation event), with the roles the user holds on the scope now. Returns the roles
   * the token carries; throws a NotFound DomainError when the delegation is gone.
   */
  revalidate?(claims: TokenClaims, roles: RoleEntity[]): Promise<Revalidated>;
}

/** The derived part of a token's view that a delegation narrows. */
export type DerivedView = Omit<TokenView, 'claims'>;

/**
 * A delegation a token's claims can carry (an application credential, a trust, ...): at issue
 * and at every validation (TokenService.derive) it narrows the token's roles to what it allows
 * and adds what the token body shows; it refuses a token it no longer allows by throwing
 * (a DomainError `NotFound`, shown as Keystone's 404 on validation).
 */
export interface TokenDelegation {
  appliesTo(claims: TokenClaims): boolean;
  restrict(claims: TokenClaims, view: DerivedView, strict: boolean): Promise<void>;
}
