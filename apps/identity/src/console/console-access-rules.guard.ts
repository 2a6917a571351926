import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { accessRulesAllow, requestPath, TokenService, type Principal } from '@lintel/auth';
import { UnauthenticatedError } from '@lintel/domain';

/**
 * The console's key API is served under the `identity` service of the catalog but is not
 * Keystone's own API: like a service behind keystonemiddleware, it serves a token from an
 * application credential with access rules only the requests a rule allows (service `identity`,
 * the method, the path as received; docs/keystone-application-credentials.md "Access rules").
 * Runs after the X-Auth-Token guard; a refusal is the generic 401.
 */
@Injectable()
export class ConsoleAccessRulesGuard implements CanActivate {
  constructor(private readonly tokens: TokenService) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    if (!req.principal) return true;
    if (!(await accessRulesAllow(this.tokens, req.principal, 'identity', req.method, requestPath(req)))) {
      throw new UnauthenticatedError(`access rules of application credential ${req.principal.appCred?.id} do not allow ${req.method} ${requestPath(req)}`);
    }
    return true;
  }
}
