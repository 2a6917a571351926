import { Injectable, type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { Observable, tap } from 'rxjs';
import { policy, type Principal } from '@lintel/auth';
import { AuditService, DomainError } from '@lintel/domain';

const ACTIONS: Record<string, string> = { POST: 'created', PUT: 'created', PATCH: 'updated', DELETE: 'deleted' };
/** Collection segment → Keystone resource type of the CADF target. */
const TYPES: Record<string, string> = {
  users: 'user', projects: 'project', domains: 'domain', groups: 'group', roles: 'role', credentials: 'credential',
  services: 'service', endpoints: 'endpoint', regions: 'region', 'OS-EC2': 'credential', tokens: 'token',
};

/** Routes whose action or target is not what the method and last path segment say. */
const SPECIAL: Array<[RegExp, string, string?]> = [
  [/^\/v3\/users\/:id\/password$/, 'user', 'updated'],
  [/^\/v3\/groups\/:id\/users\/:userId$/, 'group', 'updated'],
  [/\/implies\/:implied$/, 'role_inference'],
];

/**
 * Records every change made through the Keystone API and every authentication attempt, with
 * its outcome, as a CADF event (AuditService). Reads are not audited. Never sees a secret: the
 * target is a type and an id, the initiator the caller's ids or, for a failed login, the name given.
 */
@Injectable()
export class AuditInterceptor implements NestInterceptor {
  constructor(private readonly audit: AuditService) {}

  intercept(ctx: ExecutionContext, next: CallHandler): Observable<unknown> {
    const req = ctx.switchToHttp().getRequest<FastifyRequest & { principal?: Principal }>();
    const action = ACTIONS[req.method];
    if (!action) return next.handle();
    const route = req.routeOptions?.url ?? req.url;
    const authenticate = route === '/v3/auth/tokens' && req.method === 'POST';
    const signed = route === '/v3/ec2tokens' || route === '/v3/s3tokens';
    const record = (outcome: 'success' | 'failure', body: unknown, err?: unknown) => {
      const p = req.principal;
      const params = (req.params ?? {}) as Record<string, string>;
      const member = body && typeof body === 'object' ? (Object.values(body)[0] as { id?: string; user?: { id?: string } } | undefined) : undefined;
      const segments = route.split('/').filter((s) => s && !s.startsWith(':'));
      const grant = /\/roles\/:role$/.test(route) && req.method !== 'POST';
      const special = SPECIAL.find(([re]) => re.test(route));
      const type = authenticate || signed ? 'token' : grant ? 'role_assignment' : special?.[1] ?? TYPES[segments.at(-1)!] ?? TYPES[segments[1]!] ?? segments.at(-1) ?? 'unknown';
      void this.audit.record({
        action: authenticate || signed ? 'authenticate' : special ? `${special[2] ?? action}.${type}` : `${action}.${type}`,
        outcome,
        targetType: type,
        targetId: grant ? `${params.role}:${params.actor}:${params.target ?? 'system'}` : params.prior ? `${params.prior}:${params.implied}` : params.id ?? params.access ?? member?.id ?? null,
        initiator: {
          userId: p?.userId ?? (authenticate && outcome === 'success' ? member?.user?.id : null) ?? null,
          projectId: p ? policy.projectId(p) ?? null : null,
          name: authenticate && outcome === 'failure' ? attemptedName(req.body) : null,
          address: req.ip,
        },
        requestId: req.id,
        reason: err instanceof DomainError ? err.code : err ? 'error' : undefined,
      });
    };
    return next.handle().pipe(tap({ next: (body) => record('success', body), error: (err) => record('failure', undefined, err) }));
  }
}

/** The user a failed login named (never the password): `name@domain` or the id. */
function attemptedName(body: unknown): string | null {
  const user = (body as { auth?: { identity?: { password?: { user?: { id?: unknown; name?: unknown; domain?: { id?: unknown; name?: unknown } } } } } })
    ?.auth?.identity?.password?.user;
  if (!user) return null;
  if (typeof user.name === 'string') return `${user.name.slice(0, 255)}@${String(user.domain?.name ?? user.domain?.id ?? '').slice(0, 255)}`;
  return typeof user.id === 'string' ? user.id.slice(0, 64) : null;
}
