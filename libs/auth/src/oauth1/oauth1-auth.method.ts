import { Injectable, type OnModuleInit } from '@nestjs/common';
import type { AuthMethod, AuthMethodContext, MethodResult, Revalidated } from '../auth-method.js';
import type { TokenClaims } from '../token-claims.js';
import { TokenService } from '../token.service.js';
import {
  accessTokenNotFound, AssignmentService, DomainError, IdentityService, InvalidInputError, OAuth1Service, ResourceService, UnauthenticatedError,
  type RoleEntity,
} from '@lintel/domain';
import { OAuth1RequestVerifier, OAuthParams, withoutQuery } from './oauth1-request.js';

/**
 * Keystone's `oauth1` auth method (docs/keystone-oauth1.md, "Tokens"): `POST /v3/auth/tokens`
 * signed by the consumer with an access token gives a token of the authorizing user, scoped to
 * the access token's project, with the delegated roles (and those they imply) that the user still
 * holds there. The token names the access token; it stops validating once the access token is
 * deleted or expired or none of its roles is held any more, and never outlives the access token.
 * Part of AuthModule, so that every app validating tokens narrows their roles the same way.
 */
@Injectable()
export class OAuth1AuthMethod implements AuthMethod, OnModuleInit {
  readonly name = 'oauth1';

  constructor(
    private readonly tokens: TokenService,
    private readonly oauth: OAuth1Service,
    private readonly identity: IdentityService,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly verifier: OAuth1RequestVerifier,
  ) {}

  onModuleInit(): void {
    this.tokens.registerMethod(this);
  }

  /** Keystone's order: the access token (404), its expiry, then oauthlib's checks, every failure of which is a 401. */
  async authenticate(_body: unknown, ctx: AuthMethodContext): Promise<MethodResult> {
    const http = ctx.http;
    const p = OAuthParams.of(http?.headers ?? {});
    const tokenId = p.get('oauth_token');
    if (!http || !tokenId) throw InvalidInputError.missing('oauth_token', 'request');
    const access = await this.oauth.getAccessTokenWithSecret(tokenId);
    if (!access) throw accessTokenNotFound();
    if (access.expiresAt && access.expiresAt.getTime() < Date.now()) throw new UnauthenticatedError('oauth1: access token is expired');
    const refuse = (why: string) => new UnauthenticatedError(`oauth1: could not validate the access token (${why})`);
    try {
      this.verifier.checkParameters(p, http.url);
      this.verifier.checkTokenFormat(p);
    } catch (e) {
      if (e instanceof InvalidInputError) throw refuse(e.message);
      throw e;
    }
    const consumer = await this.oauth.getConsumerWithSecret(p.get('oauth_consumer_key')!);
    if (!consumer || consumer.id !== access.consumerId) throw refuse('consumer');
    // Keystone signs against the URL without its query; the URL as sent (RFC 5849) is accepted too.
    const urls = [...new Set([withoutQuery(http.url), http.url])];
    if (!this.verifier.signatureMatches(p, { method: http.method, urls, consumerSecret: consumer.secret, tokenSecret: access.secret })) throw refuse('signature');
    await this.verifier.claimNonce(p);
    const user = await this.identity.getUser(access.authorizingUserId);
    if (!user?.enabled) throw refuse('authorizing user missing or disabled');
    // The scope is imposed, not asked for: its checks are Keystone's at minting (404s).
    const project = await this.resources.getProject(access.projectId);
    if (!project?.enabled) throw new DomainError('NotFound', `Unable to validate token because project ${access.projectId} is disabled`);
    if (!(await this.resources.getDomain(project.domainId))?.enabled) throw new DomainError('NotFound', `Unable to validate token because domain ${project.domainId} is disabled`);
    return {
      user,
      scope: { project: access.projectId },
      claims: { oauthAccessTokenId: access.id },
      expiresAt: access.expiresAt?.getTime(),
    };
  }

  /**
   * The roles a token issued from an access token carries now: the delegated roles and every
   * role they imply, among those the user holds on the project; 404 once the access token is gone.
   */
  async revalidate(claims: TokenClaims, roles: RoleEntity[]): Promise<Revalidated> {
    const access = claims.oauthAccessTokenId ? await this.oauth.getAccessToken(claims.oauthAccessTokenId) : null;
    if (!access) throw accessTokenNotFound();
    const scope = claims.scope && 'project' in claims.scope ? claims.scope.project : undefined;
    const expired = access.expiresAt !== null && access.expiresAt.getTime() <= Date.now();
    if (expired || access.authorizingUserId !== claims.userId || access.projectId !== scope) throw new DomainError('NotFound', 'Failed to validate token');
    const allowed = await this.withImplied(access.roleIds);
    return {
      roles: roles.filter((r) => allowed.has(r.id)),
      extensions: { 'OS-OAUTH1': { access_token_id: access.id, consumer_id: access.consumerId } },
    };
  }

  private async withImplied(roleIds: string[]): Promise<Set<string>> {
    const out = new Set(roleIds);
    if (!out.size) return out;
    const implies = new Map<string, string[]>();
    for (const i of await this.assignments.listImplications()) implies.set(i.priorRoleId, [...(implies.get(i.priorRoleId) ?? []), i.impliedRoleId]);
    const todo = [...out];
    while (todo.length) {
      for (const next of implies.get(todo.pop()!) ?? []) {
        if (!out.has(next)) {
          out.add(next);
          todo.push(next);
        }
      }
    }
    return out;
  }
}
