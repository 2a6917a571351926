import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { UnauthenticatedError } from '@lintel/domain';
import { PUBLIC_ROUTE } from '@lintel/platform';
import type { Principal } from './principal.js';
import { TokenService } from './token.service.js';

/** Routes marked so need no X-Auth-Token (libs/platform). */
export { Public } from '@lintel/platform';

/** The request as the guard sees it, before it puts the caller on it (AuthenticatedRequest after). */
interface GuardedRequest {
  headers: Record<string, string | string[] | undefined>;
  principal?: Principal;
}

/**
 * Validates `X-Auth-Token` locally (signature, revocation, enabled user and scope) and puts the
 * Principal on the request. Shared by every dialect that accepts Keystone tokens.
 */
@Injectable()
export class XAuthTokenGuard implements CanActivate {
  /** Whether each route (handler of a controller class) is public: metadata never changes, so it is read once. */
  private readonly publicRoutes = new WeakMap<object, { cls: object; isPublic: boolean }>();

  constructor(
    private readonly tokens: TokenService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(ctx: ExecutionContext): boolean | Promise<boolean> {
    const handler = ctx.getHandler();
    const cls = ctx.getClass();
    let route = this.publicRoutes.get(handler);
    // A handler inherited by two controllers is looked up for each (the class can be @Public).
    if (route?.cls !== cls) {
      route = { cls, isPublic: this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, [handler, cls]) === true };
      this.publicRoutes.set(handler, route);
    }
    if (route.isPublic) return true;
    const req = ctx.switchToHttp().getRequest<GuardedRequest>();
    const token = req.headers['x-auth-token'];
    if (typeof token !== 'string' || !token) throw new UnauthenticatedError('no X-Auth-Token');
    // A token seen within the second is answered without a promise.
    const cached = this.tokens.cachedPrincipal(token);
    if (cached) {
      req.principal = cached;
      return true;
    }
    return this.tokens.authenticate(token).then((principal) => {
      req.principal = principal;
      return true;
    });
  }
}
