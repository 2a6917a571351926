import { Injectable } from '@nestjs/common';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { scopedProject, type Principal } from '@lintel/auth';
import { AuditService } from '@lintel/domain';
import { routeOf } from '@lintel/platform';

const ACTIONS: Record<string, string> = { POST: 'created', PUT: 'created', PATCH: 'updated', DELETE: 'deleted' };
/** Collection segment → Keystone resource type of the CADF target. */
const TYPES: Record<string, string> = {
  users: 'user', projects: 'project', domains: 'domain', groups: 'group', roles: 'role', credentials: 'credential',
  services: 'service', endpoints: 'endpoint', regions: 'region', 'OS-EC2': 'credential', access_keys: 'credential', tokens: 'token',
  policies: 'policy', endpoint_groups: 'endpoint_group', config: 'domain_config', trusts: 'OS-TRUST:trust',
  application_credentials: 'application_credential', access_rules: 'access_rule',
  consumers: 'OS-OAUTH1:consumer', request_token: 'OS-OAUTH1:request_token', access_token: 'OS-OAUTH1:access_token', access_tokens: 'OS-OAUTH1:access_token',
};

/** Routes whose action or target is not what the method and last path segment say. */
const SPECIAL: Array<[RegExp, string, string?]> = [
  [/^\/v3\/users\/:id\/password$/, 'user', 'updated'],
  [/^\/v3\/groups\/:id\/users\/:userId$/, 'group', 'updated'],
  [/\/implies\/:implied$/, 'role_inference'],
  [/^\/v3\/OS-EP-FILTER\/endpoint_groups\/:id\/projects\/:project$/, 'project_endpoint_group'],
  [/^\/v3\/OS-EP-FILTER\/projects\/:id\/endpoints\/:endpoint$/, 'project_endpoint'],
  [/^\/v3\/OS-OAUTH1\/authorize\/:id$/, 'OS-OAUTH1:request_token', 'updated'],
];

/**
 * Records every change made through the Keystone API and every authentication attempt, with
 * its outcome, as a CADF event (AuditService). Reads are not audited. Never sees a secret: the
 * target is a type and an id, the initiator the caller's ids or, for a failed login, the name given.
 *
 * Fastify hooks rather than a Nest interceptor: an interceptor wraps every request, reads
 * included, in an observable pipeline, which costs the token-validation path a third of its rate.
 */
@Injectable()
export class AuditHook {
  /** Route patterns are a fixed set (the app's routes), so this stays small. */
  private readonly routes = new Map<string, AuditedRoute>();

  constructor(private readonly audit: AuditService) {}

  register(app: FastifyInstance): void {
    app.addHook('onSend', (req, reply, payload, done) => {
      if (ACTIONS[req.method] && reply.statusCode < 300 && typeof payload === 'string') (req as Audited).auditBody = payload;
      done(null, payload);
    });
    app.addHook('onResponse', (req, reply, done) => {
      if (!ACTIONS[req.method]) return done();
      const route = routeOf(req);
      if (route) this.record(req as Audited, route, reply.statusCode);
      done();
    });
  }

  private record(req: Audited, route: string, status: number): void {
    const r = this.routeOf(req.method, route);
    const outcome = status < 400 ? 'success' : 'failure';
    // Access-key changes are recorded by the access-key core where they happen (docs/access-keys.md).
    if (outcome === 'success' && r.keyCore) return;
    const p = req.principal;
    const params = (req.params ?? {}) as Record<string, string>;
    // A token body names no id of its own and a signed exchange's initiator is its caller: the
    // (large, catalog-bearing) ec2tokens/s3tokens answers are not parsed again.
    const member = outcome === 'success' && req.auditBody && !r.signed ? firstMember(req.auditBody) : undefined;
    this.audit.record({
      action: r.action,
      outcome,
      targetType: r.type,
      targetId: r.grant ? `${params.role}:${params.actor}:${params.target ?? 'system'}` : params.prior ? `${params.prior}:${params.implied}` : params.id ?? params.access ?? member?.id ?? null,
      initiator: {
        userId: p?.userId ?? (r.authenticate ? member?.user?.id : null) ?? null,
        projectId: p ? scopedProject(p) ?? null : null,
        name: r.authenticate && outcome === 'failure' ? attemptedName(req.body) : null,
        address: req.ip,
      },
      requestId: req.id,
      reason: outcome === 'failure' ? String(status) : undefined,
    });
  }

  /** What a method and route pattern audit as; worked out once per route, not per request. */
  private routeOf(method: string, route: string): AuditedRoute {
    const key = `${method} ${route}`;
    let r = this.routes.get(key);
    if (r) return r;
    const action = ACTIONS[method]!;
    const authenticate = route === '/v3/auth/tokens' && method === 'POST';
    const signed = route === '/v3/ec2tokens' || route === '/v3/s3tokens';
    const segments = route.split('/').filter((s) => s && !s.startsWith(':'));
    const grant = /\/roles\/:role$/.test(route) && method !== 'POST';
    const special = SPECIAL.find(([re]) => re.test(route));
    const type = authenticate || signed ? 'token' : grant ? 'role_assignment' : special?.[1] ?? TYPES[segments.at(-1)!] ?? TYPES[segments[1]!] ?? segments.at(-1) ?? 'unknown';
    r = {
      action: authenticate || signed ? 'authenticate' : special ? `${special[2] ?? action}.${type}` : `${action}.${type}`,
      type, authenticate, signed, grant, keyCore: route.startsWith('/v3/OS-LINTEL/projects/:projectId/access_keys'),
    };
    this.routes.set(key, r);
    return r;
  }
}

interface AuditedRoute {
  action: string;
  type: string;
  authenticate: boolean;
  signed: boolean;
  grant: boolean;
  /** A console access-key route, whose changes the access-key core records. */
  keyCore: boolean;
}

type Audited = FastifyRequest & { principal?: Principal; auditBody?: string };

/** The `{"<member>": {...}}` object of a response body, if it has one. */
function firstMember(body: string): { id?: string; user?: { id?: string } } | undefined {
  try {
    const parsed = JSON.parse(body) as Record<string, unknown>;
    const m = Object.values(parsed)[0];
    return m && typeof m === 'object' ? (m as { id?: string; user?: { id?: string } }) : undefined;
  } catch {
    return undefined;
  }
}

type NamedUser = { id?: unknown; name?: unknown; domain?: { id?: unknown; name?: unknown } };

/** The user a failed login named (never the password or passcode): `name@domain` or the id. */
function attemptedName(body: unknown): string | null {
  const identity = (body as { auth?: { identity?: { password?: { user?: NamedUser }; totp?: { user?: NamedUser } } } })?.auth?.identity;
  const user = identity?.password?.user ?? identity?.totp?.user;
  if (!user || typeof user !== 'object') return null;
  if (typeof user.name === 'string') return `${user.name.slice(0, 255)}@${String(user.domain?.name ?? user.domain?.id ?? '').slice(0, 255)}`;
  return typeof user.id === 'string' ? user.id.slice(0, 64) : null;
}
