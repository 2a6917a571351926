import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { accessRulesAllow, requestPath, TokenProvider, TokenService, type Principal } from '@lintel/auth';
import { DomainError } from '@lintel/domain';
import { SodaError } from './soda-exception.filter.js';

/**
 * SODA's Keystone auth filter (docs/soda.md, "Authentication"), done locally with the shared token
 * service (signature and revocation, no call to the identity app), with SODA's own 401 texts;
 * application credential access rules are enforced as keystonemiddleware does.
 */
@Injectable()
export class SodaAuthGuard implements CanActivate {
  constructor(
    private readonly tokens: TokenService,
    private readonly provider: TokenProvider,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const raw = req.headers['x-auth-token'];
    const token = typeof raw === 'string' ? raw.trim() : '';
    if (!token) throw new SodaError(401, 'token not found in header');
    try {
      req.principal = await this.tokens.authenticate(token);
    } catch (e) {
      if (e instanceof DomainError && e.code === 'Unauthenticated') throw await this.describe(token);
      throw e;
    }
    if (!req.principal.scope || !('project' in req.principal.scope) && !('system' in req.principal.scope)) {
      throw new SodaError(401, 'extract project failed,token is not project scoped');
    }
    // This is the `multicloud` service of the catalog: a token from an application credential
    // with access rules serves only the requests they allow (docs/keystone-application-credentials.md).
    if (!(await accessRulesAllow(this.tokens, req.principal, 'multicloud', req.method, requestPath(req)))) {
      throw new SodaError(401, 'get token failed,Token authorization failed');
    }
    return true;
  }

  /** An expired token gets SODA's expiry text; anything else the "get token failed" one. */
  private async describe(token: string): Promise<SodaError> {
    const claims = await this.provider.verify(token).catch(() => undefined);
    if (claims && claims.expiresAt <= Date.now()) {
      return new SodaError(401, `token has expired, expire time ${new Date(claims.expiresAt).toISOString()}`);
    }
    return new SodaError(401, 'get token failed,Resource not found');
  }
}
