import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LRUCache } from 'lru-cache';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { AUTH_RECEIPT_HEADER, AuthRateLimiter, Public, RevocationCache, scopedProject, TokenService, type AuthRequest, type AuthenticatedRequest } from '@lintel/auth';
import { AssignmentService, DomainError, ForbiddenError, ResourceService } from '@lintel/domain';
import { isJsonObject, queryFlag } from '@lintel/platform';
import { baseUrl, selfUrl } from '../base-url.js';
import { KeystonePolicy } from '../keystone-caller.js';
import { renderCatalog, renderDomain, renderProject, renderToken } from '../render.js';
import { parseAuthRequest } from './auth-request.parser.js';

interface RenderedValidation {
  /** Revocation list version and token-service epoch when rendered. */
  version: string;
  userId: string;
  userDomainId: string;
  expiresAt: number;
  /** From an application credential with access rules: only validators that understand them may see it. */
  accessRules: boolean;
  body: string;
}

const RENDERED_TTL_MS = 1000;
/** Rendered validations kept; beyond it the least recently used goes. */
const MAX_RENDERED = 10_000;

/**
 * The account an attempt counts against (`LINTEL_AUTH_RATE_LIMIT_PER_USER`): the user a password
 * or a TOTP passcode is tried for, as `id` or `name@domain`.
 */
function rateLimitedAccount(r: AuthRequest): string | undefined {
  const totpUser = r.bodies?.totp?.user;
  const u = r.password?.user ?? (isJsonObject(totpUser) ? totpUser : undefined);
  if (!u) return undefined;
  const d = isJsonObject(u.domain) ? u.domain : undefined;
  return typeof u.id === 'string' && u.id ? u.id : `${String(u.name)}@${String(d?.id ?? d?.name)}`;
}

/**
 * Whether the validating service enforces access rules (keystonemiddleware sends
 * `OpenStack-Identity-Access-Rules: <version>`, 1.0 or later); else a token from an application
 * credential with access rules is not shown to it (docs/keystone-application-credentials.md).
 */
function understandsAccessRules(req: FastifyRequest): boolean {
  const v = req.headers['openstack-identity-access-rules'];
  const version = typeof v === 'string' ? Number(v.trim()) : NaN;
  return version >= 1;
}

function subjectHeader(req: FastifyRequest): string | undefined {
  const v = req.headers['x-subject-token'];
  return typeof v === 'string' && v ? v : undefined;
}

/** `/v3/auth/*`: issue, validate, check and revoke tokens; scope discovery (docs/keystone.md, "Tokens", "Scope discovery"). */
@Controller('v3/auth')
export class TokensController {
  private readonly rendered = new LRUCache<string, RenderedValidation>({ max: MAX_RENDERED, ttl: RENDERED_TTL_MS });

  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly tokens: TokenService,
    private readonly revocationCache: RevocationCache,
    private readonly rateLimiter: AuthRateLimiter,
    private readonly assignments: AssignmentService,
    private readonly resources: ResourceService,
    private readonly authz: KeystonePolicy,
  ) {}

  @Public()
  @Post('tokens')
  async createToken(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const request = parseAuthRequest(body, this.tokens.methodNames());
    request.http = { method: req.method, url: selfUrl(req, this.cfg), headers: req.headers };
    const receipt = req.headers[AUTH_RECEIPT_HEADER.toLowerCase()];
    if (typeof receipt === 'string' && receipt) request.receipt = receipt;
    // The password method counts its source and account on the shared login path (PasswordLogin);
    // other methods count here: a TOTP user, or an application credential as its own account (its
    // secret can be guessed like a password).
    if (request.password) {
      request.source = req.ip;
    } else {
      const ac = request.bodies?.application_credential;
      const acAccount = ac && (typeof ac.id === 'string' ? `appcred:${ac.id}` : typeof ac.name === 'string' ? `appcred:${ac.name}@${JSON.stringify(ac.user ?? null).slice(0, 300)}` : undefined);
      this.rateLimiter.attempt(req.ip, rateLimitedAccount(request) ?? acAccount);
    }
    const { id, view } = await this.tokens.issue(request);
    const catalog = view.claims.scope && !queryFlag(req.query, 'nocatalog') ? await this.tokens.catalogEntries(view.project?.id) : undefined;
    const rendered = renderToken(view, catalog);
    reply.status(201).header('X-Subject-Token', id);
    return rendered;
  }

  /** GET validates (`identity:validate_token`); Fastify's HEAD twin checks (`identity:check_token`). */
  @Get('tokens')
  async validateToken(@Req() req: AuthenticatedRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const action = req.method === 'HEAD' ? 'identity:check_token' : 'identity:validate_token';
    const subject = subjectHeader(req);
    if (!subject) {
      this.authz.enforce(req, action);
      throw new DomainError('NotFound', 'No token in the request');
    }
    // The subject is validated before the policy decision, as Keystone does: it is the target.
    const v = await this.validated(subject, req);
    if (v.accessRules && !understandsAccessRules(req)) throw new DomainError('NotFound', 'Failed to validate token');
    this.authz.enforce(req, action, { target: { token: { user_id: v.userId, user: { domain: { id: v.userDomainId } } } } });
    reply.status(200).header('X-Subject-Token', subject).header('Content-Type', 'application/json; charset=utf-8');
    return v.body;
  }

  /**
   * The rendered validation of a subject token, reused for up to a second while no revocation
   * event has arrived and the revocation list is fresh: services validate the same tokens over
   * and over, and rendering the body (catalog included) is most of the work.
   */
  private async validated(subject: string, req: FastifyRequest): Promise<RenderedValidation> {
    const allowExpired = queryFlag(req.query, 'allow_expired');
    const nocatalog = queryFlag(req.query, 'nocatalog');
    const base = baseUrl(req, this.cfg);
    const key = `${subject}|${allowExpired ? 1 : 0}${nocatalog ? 1 : 0}|${base}`;
    const hit = this.rendered.get(key);
    const version = this.tokens.validityVersion();
    if (hit && hit.version === version && this.revocationCache.fresh && (allowExpired || hit.expiresAt > Date.now())) {
      return hit;
    }
    // Fresh for a second from when the validation began.
    const start = this.rendered.perf.now();
    const view = await this.tokens.validate(subject, allowExpired);
    const catalog = view.claims.scope && !nocatalog ? await this.tokens.catalogEntries(view.project?.id) : undefined;
    const entry = { version, userId: view.claims.userId, userDomainId: view.user.domainId, expiresAt: view.claims.expiresAt,
      accessRules: !!view.appCred?.accessRules?.length, body: JSON.stringify(renderToken(view, catalog)) };
    this.rendered.set(key, entry, { start });
    return entry;
  }

  @Delete('tokens')
  @HttpCode(204)
  async revokeToken(@Req() req: AuthenticatedRequest): Promise<void> {
    const subject = subjectHeader(req);
    if (!subject) {
      this.authz.enforce(req, 'identity:revoke_token');
      throw new DomainError('NotFound', 'No token in the request');
    }
    const view = await this.tokens.validate(subject);
    this.authz.enforce(req, 'identity:revoke_token', { target: { token: { user_id: view.claims.userId, user: { domain: { id: view.user.domainId } } } } });
    await this.tokens.revoke(view.claims);
  }

  @Get('projects')
  async projects(@Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:get_auth_projects');
    const base = baseUrl(req, this.cfg);
    const limit = this.cfg.listLimits.assignment;
    const found = await this.assignments.projectsOfUser(caller.userId, limit);
    const projects = await this.resources.withTags(found.items);
    return {
      projects: projects.map((p) => renderProject(p, base)), links: { self: `${base}/v3/auth/projects`, previous: null, next: null },
      ...(found.truncated ? { truncated: true } : {}),
    };
  }

  @Get('domains')
  async domains(@Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:get_auth_domains');
    const base = baseUrl(req, this.cfg);
    const domains = await this.resources.domainsWithTags(await this.assignments.domainsOfUser(caller.userId));
    return { domains: domains.map((d) => renderDomain(d, base)), links: { self: `${base}/v3/auth/domains`, previous: null, next: null } };
  }

  @Get('catalog')
  async catalog(@Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:get_auth_catalog');
    const projectId = scopedProject(caller);
    // Keystone's Forbidden here is a security error: its text is the generic one.
    if (!projectId) throw new ForbiddenError();
    const base = baseUrl(req, this.cfg);
    return { catalog: renderCatalog(await this.tokens.catalogEntries(projectId), projectId, caller.userId), links: { self: `${base}/v3/auth/catalog` } };
  }

  @Get('system')
  async system(@Req() req: AuthenticatedRequest) {
    const caller = this.authz.enforce(req, 'identity:get_auth_system');
    const base = baseUrl(req, this.cfg);
    const has = await this.assignments.hasSystemRole(caller.userId);
    return { system: has ? [{ all: true }] : [], links: { self: `${base}/v3/auth/system` } };
  }
}
