import { Body, Controller, Get, Inject, Param, Post, Put, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { constantTimeEqual } from '@lintel/credentials';
import { isDelegated, OAuth1RequestVerifier, OAuthParams, oauthInvalid, Public, type AuthenticatedRequest } from '@lintel/auth';
import {
  AssignmentService, DomainError, ForbiddenError, InvalidInputError, NotFoundError, OAuth1Service, pyRepr, requestTokenNotFound,
  ResourceService, sha256Hex, UnauthenticatedError,
} from '@lintel/domain';
import { selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { tokenTime } from '../render.js';
import { AUTHORIZE } from './oauth1-bodies.js';

type RoleRef = { id: string } | { name: string };

const notAllowed = () => new DomainError('MethodNotAllowed', 'The method is not allowed for the requested URL.');
const FORM = 'application/x-www-form-urlencoded';

/** Keystone's form-encoded answer: `oauth_token=…&oauth_token_secret=…[&oauth_expires_at=…]`. */
function tokenForm(id: string, secret: string, expiresAt: Date | null): string {
  return `oauth_token=${id}&oauth_token_secret=${secret}${expiresAt ? `&oauth_expires_at=${tokenTime(expiresAt.getTime())}` : ''}`;
}

/**
 * The OAuth 1.0a dance (docs/keystone-oauth1.md, "The flow"): a consumer asks for a request
 * token, a user authorizes it with some of their roles on the project, the consumer exchanges it
 * (once) for an access token, with which it then asks for Keystone tokens (`oauth1` method).
 */
@Controller('v3/OS-OAUTH1')
export class OAuth1Controller {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly oauth: OAuth1Service,
    private readonly verifier: OAuth1RequestVerifier,
    private readonly resources: ResourceService,
    private readonly assignments: AssignmentService,
    private readonly authz: KeystonePolicy,
  ) {}

  /**
   * Signed by the consumer alone (`oauth_callback` required, Keystone's only is `oob`), for the
   * project named by `Requested-Project-Id`. Keystone's order: the parameters it reads itself,
   * the project and the consumer (404s), then oauthlib's checks (400), then the signature (401).
   */
  @Public()
  @Post('request_token')
  async createRequestToken(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const p = OAuthParams.of(req.headers);
    const consumerId = p.require('oauth_consumer_key');
    const asked = req.headers['requested-project-id'];
    const projectId = Array.isArray(asked) ? asked[0] : asked;
    if (!projectId) throw InvalidInputError.missing('Requested-Project-Id', 'request');
    if (!(await this.resources.getProject(projectId))) throw new NotFoundError('project', projectId);
    const consumer = await this.oauth.getConsumerWithSecret(consumerId);
    if (!consumer) throw new DomainError('NotFound', 'Consumer not found');
    const url = selfUrl(req, this.cfg);
    this.verifier.checkParameters(p, url);
    const realm = p.get('realm');
    if (realm !== undefined) throw oauthInvalid(`Invalid realm ${pyRepr(realm.split(' '))}. Allowed are [].`);
    if (!p.get('oauth_callback')) throw oauthInvalid('Missing callback URI.');
    if (!this.verifier.signatureMatches(p, { method: req.method, urls: [url], consumerSecret: consumer.secret })) {
      throw new UnauthenticatedError('request token: invalid signature');
    }
    await this.verifier.claimNonce(p);
    const t = await this.oauth.createRequestToken(consumer.id, projectId);
    reply.status(201).header('Content-Type', FORM);
    return tokenForm(t.id, t.secret, t.expiresAt);
  }

  /**
   * A user (by policy, an administrator) authorizes a request token with roles they hold on its
   * project, and gets the verifier to hand to the consumer. Not with a delegated token.
   */
  @Put('authorize/:id')
  async authorize(@Param('id') id: string, @Body() body: unknown, @Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:authorize_request_token', { args: { request_token_id: id } });
    const roles = AUTHORIZE.check(body).roles as RoleRef[];
    if (isDelegated(caller)) throw new ForbiddenError();
    const token = await this.oauth.getRequestToken(id);
    if (!token) throw requestTokenNotFound();
    if (token.expiresAt && token.expiresAt.getTime() < Date.now()) throw new UnauthenticatedError('request token is expired');
    const wanted = new Set<string>();
    for (const r of roles) {
      if ('id' in r) {
        wanted.add(r.id);
        continue;
      }
      const role = await this.assignments.findGlobalRole(r.name);
      if (!role) throw new DomainError('NotFound', `Role ${r.name} is not defined`);
      wanted.add(role.id);
    }
    const held = new Set((await this.assignments.effectiveRoles(caller.userId, { project: token.requestedProjectId })).map((r) => r.id));
    if ([...wanted].some((r) => !held.has(r))) throw new UnauthenticatedError('authorizing user does not have role required');
    const verifier = await this.oauth.authorizeRequestToken(id, caller.userId, [...wanted]);
    return { token: { oauth_verifier: verifier } };
  }

  /**
   * Signed by the consumer with the request token and the verifier; the request token is used up
   * and an access token comes back. Every failure past the format checks is a 401.
   */
  @Public()
  @Post('access_token')
  async createAccessToken(@Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const p = OAuthParams.of(req.headers);
    const consumerId = p.require('oauth_consumer_key');
    const tokenId = p.require('oauth_token');
    const verifier = p.require('oauth_verifier');
    const token = await this.oauth.getRequestToken(tokenId);
    if (!token) throw requestTokenNotFound();
    if (token.expiresAt && token.expiresAt.getTime() < Date.now()) throw new UnauthenticatedError('request token is expired');
    const url = selfUrl(req, this.cfg);
    this.verifier.checkParameters(p, url);
    this.verifier.checkTokenFormat(p);
    this.verifier.checkVerifierFormat(p);
    const consumer = await this.oauth.getConsumerWithSecret(consumerId);
    if (!consumer) throw new UnauthenticatedError('access token: consumer does not exist');
    if (token.consumerId !== consumer.id) throw new UnauthenticatedError('access token: consumer key does not match the request token\'s');
    if (!token.verifierHash || !constantTimeEqual(sha256Hex(verifier), token.verifierHash)) {
      throw new UnauthenticatedError('access token: verifier does not match');
    }
    if (!this.verifier.signatureMatches(p, { method: req.method, urls: [url], consumerSecret: consumer.secret, tokenSecret: token.secret })) {
      throw new UnauthenticatedError('access token: invalid signature');
    }
    if (!token.authorizingUserId) throw new UnauthenticatedError('request token has no authorizing user');
    await this.verifier.claimNonce(p);
    const access = await this.oauth.exchangeRequestToken(token.id);
    reply.status(201).header('Content-Type', FORM);
    return tokenForm(access.id, access.secret, access.expiresAt);
  }

  /** Keystone's own answer to these is a 500; the method is simply not allowed. */
  @Public()
  @Get('request_token')
  requestTokenGet(): never {
    throw notAllowed();
  }

  @Public()
  @Get('access_token')
  accessTokenGet(): never {
    throw notAllowed();
  }
}
