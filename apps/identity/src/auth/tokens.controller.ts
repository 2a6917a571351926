import { Body, Controller, Delete, Get, HttpCode, Inject, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import { policy, Public, RevocationCache, TokenService, type Principal } from '@lintel/auth';
import { AssignmentService, DomainError, ForbiddenError, RevocationService } from '@lintel/domain';
import { baseUrl } from '../base-url.js';
import { keystoneCaller } from '../keystone-caller.js';
import { renderCatalog, renderDomain, renderProject, renderToken } from '../render.js';
import { parseAuthRequest } from './auth-request.parser.js';

type Req_ = FastifyRequest & { principal: Principal };

/** Keystone's truthy query strings (§0.5); `?flag` alone is true. */
export function queryFlag(q: unknown, name: string): boolean {
  const v = (q as Record<string, unknown> | undefined)?.[name];
  if (v === undefined) return false;
  return !/^(0|false|no|off|n|f)$/i.test(String(v));
}

function subjectHeader(req: FastifyRequest): string | undefined {
  const v = req.headers['x-subject-token'];
  return typeof v === 'string' && v ? v : undefined;
}

/** `/v3/auth/*`: issue, validate, check and revoke tokens; scope discovery (contract §2-3). */
@Controller('v3/auth')
export class TokensController {
  constructor(
    @Inject(LINTEL_CONFIG) private readonly cfg: LintelConfig,
    private readonly tokens: TokenService,
    private readonly revocationCache: RevocationCache,
    private readonly revocations: RevocationService,
    private readonly assignments: AssignmentService,
  ) {}

  @Public()
  @Post('tokens')
  async createToken(@Body() body: unknown, @Req() req: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply) {
    const { id, view } = await this.tokens.issue(parseAuthRequest(body));
    const catalog = view.claims.scope && !queryFlag(req.query, 'nocatalog') ? await this.tokens.catalogEntries() : undefined;
    reply.status(201).header('X-Subject-Token', id);
    return renderToken(view, catalog);
  }

  /** GET validates (`identity:validate_token`); Fastify's HEAD twin checks (`identity:check_token`). */
  @Get('tokens')
  async validateToken(@Req() req: Req_, @Res({ passthrough: true }) reply: FastifyReply) {
    const caller = keystoneCaller(req);
    const head = req.method === 'HEAD';
    const action = head ? 'identity:check_token' : 'identity:validate_token';
    const subject = subjectHeader(req);
    if (!subject) {
      if (policy.isAdmin(caller)) throw new DomainError('NotFound', 'No token in the request');
      throw new ForbiddenError(action);
    }
    const view = await this.tokens.validate(subject, queryFlag(req.query, 'allow_expired'));
    const allowed = policy.isAdmin(caller) || policy.isSystemReader(caller) || caller.userId === view.claims.userId
      || (!head && policy.hasRole(caller, 'service'));
    if (!allowed) throw new ForbiddenError(action);
    const catalog = view.claims.scope && !queryFlag(req.query, 'nocatalog') ? await this.tokens.catalogEntries() : undefined;
    reply.status(200).header('X-Subject-Token', subject);
    return renderToken(view, catalog);
  }

  @Delete('tokens')
  @HttpCode(204)
  async revokeToken(@Req() req: Req_): Promise<void> {
    const caller = keystoneCaller(req);
    const subject = subjectHeader(req);
    if (!subject) {
      if (policy.isAdmin(caller)) throw new DomainError('NotFound', 'No token in the request');
      throw new ForbiddenError('identity:revoke_token');
    }
    const view = await this.tokens.validate(subject);
    if (!policy.isAdmin(caller) && caller.userId !== view.claims.userId) throw new ForbiddenError('identity:revoke_token');
    await this.revocations.revoke({ auditId: view.claims.auditIds[0], expiresAt: new Date(view.claims.expiresAt) });
    await this.revocationCache.refresh();
  }

  @Get('projects')
  async projects(@Req() req: Req_) {
    const caller = keystoneCaller(req);
    const base = baseUrl(req, this.cfg.publicUrl);
    const projects = await this.assignments.projectsOfUser(caller.userId);
    return { projects: projects.map((p) => renderProject(p, base)), links: { self: `${base}/v3/auth/projects`, previous: null, next: null } };
  }

  @Get('domains')
  async domains(@Req() req: Req_) {
    const caller = keystoneCaller(req);
    const base = baseUrl(req, this.cfg.publicUrl);
    const domains = await this.assignments.domainsOfUser(caller.userId);
    return { domains: domains.map((d) => renderDomain(d, base)), links: { self: `${base}/v3/auth/domains`, previous: null, next: null } };
  }

  @Get('catalog')
  async catalog(@Req() req: Req_) {
    const caller = keystoneCaller(req);
    const projectId = policy.projectId(caller);
    if (!projectId) throw new ForbiddenError();
    const base = baseUrl(req, this.cfg.publicUrl);
    return { catalog: renderCatalog(await this.tokens.catalogEntries(), projectId, caller.userId), links: { self: `${base}/v3/auth/catalog` } };
  }

  @Get('system')
  async system(@Req() req: Req_) {
    const caller = keystoneCaller(req);
    const base = baseUrl(req, this.cfg.publicUrl);
    const has = await this.assignments.hasSystemRole(caller.userId);
    return { system: has ? [{ all: true }] : [], links: { self: `${base}/v3/auth/system` } };
  }
}
