import { randomUUID } from 'node:crypto';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyRequest } from 'fastify';
import type { Logger as Pino } from 'pino';
import { httpDuration, httpRequests } from './metrics.js';

/** Bodies above this get 413 in every dialect. */
export const BODY_LIMIT = 64 * 1024;

export interface AdapterOptions {
  dialect: string;
  logger: Pino;
  /** URL prefixes served as if absent (`/identity` for the devstack path). */
  stripPrefixes?: string[];
  /** How long a client may take to send a whole request (and to open one), ms; 30 s by default. */
  requestTimeoutMs?: number;
}

const REQUEST_ID = /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** `req-<uuid4>`, or the caller's `X-Openstack-Request-Id` when it has exactly that form. */
export function requestIdFor(header: unknown): string {
  return typeof header === 'string' && REQUEST_ID.test(header) ? header : `req-${randomUUID()}`;
}

const ROUTE = Symbol('lintel.route');

/**
 * The route pattern a request matched (`/v3/users/:id`), or undefined. Read once per request:
 * Fastify's `request.routeOptions` builds a new dozen-field object on every access, and several
 * hooks want the pattern.
 */
export function routeOf(req: FastifyRequest): string | undefined {
  const r = req as FastifyRequest & { [ROUTE]?: string | null };
  let url = r[ROUTE];
  if (url === undefined) r[ROUTE] = url = req.routeOptions?.url ?? null;
  return url ?? undefined;
}

/**
 * The Fastify adapter every Lintel app uses: bounded bodies, request ids on every response and in
 * every log line, trailing slashes tolerated, optional path prefixes served transparently.
 */
export function createAdapter(o: AdapterOptions): FastifyAdapter {
  const timeout = o.requestTimeoutMs ?? 30_000;
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT,
    genReqId: (req: { headers: Record<string, unknown> }) => requestIdFor(req.headers['x-openstack-request-id']),
    // A slow or silent client (slowloris) is cut off with a 408 instead of holding a socket.
    requestTimeout: timeout,
    connectionTimeout: timeout,
    // Node checks request deadlines on this beat (30 s by default, i.e. up to twice the timeout).
    http: { connectionsCheckingInterval: Math.max(250, Math.min(timeout / 4, 5_000)) },
    return503OnClosing: true,
    rewriteUrl: (req: { url?: string }) => normalisePath(req.url ?? '/', o.stripPrefixes ?? []),
  });
  const app = adapter.getInstance();
  // Label children by route pattern, method and status: looked up once each, and without building a
  // key string per request (the pattern and method strings are the same objects every time).
  const seriesByRoute = new Map<string, Map<string, Map<number, { count: { inc(): void }; duration: { observe(v: number): void } }>>>();
  app.addHook('onRequest', (req, reply, done) => {
    reply.header('x-openstack-request-id', req.id);
    // Keystone sets Vary on every response, errors included: caches must key on the caller's token.
    reply.header('Vary', 'X-Auth-Token');
    done();
  });
  // While closing, answers to requests in flight end their connections: a client's idle
  // keep-alive connection would otherwise hold the server open until its keep-alive timeout.
  let closing = false;
  app.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  app.addHook('onSend', (_req, reply, payload, done) => {
    if (closing) reply.header('Connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (req, reply, done) => {
    const route = routeOf(req) ?? 'unmatched';
    let byMethod = seriesByRoute.get(route);
    if (!byMethod) seriesByRoute.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(req.method);
    if (!byStatus) byMethod.set(req.method, (byStatus = new Map()));
    let series = byStatus.get(reply.statusCode);
    if (!series) {
      const labels = { app: o.dialect, method: req.method, route, status: String(reply.statusCode) };
      series = { count: httpRequests.labels(labels), duration: httpDuration.labels(labels) };
      byStatus.set(reply.statusCode, series);
    }
    series.count.inc();
    series.duration.observe(reply.elapsedTime / 1000);
    const failed = reply.statusCode >= 500;
    // The access line is built only when its level is on (LINTEL_LOG_LEVEL=warn drops it).
    if (!o.logger.isLevelEnabled(failed ? 'error' : 'info')) return done();
    const line = { request_id: req.id, dialect: o.dialect, method: req.method, route: routeOf(req), status: reply.statusCode, ms: Math.round(reply.elapsedTime) };
    if (failed) o.logger.error(line, 'request failed');
    else o.logger.info(line, 'request');
    done();
  });
  return adapter;
}

/** Strips configured prefixes and a trailing slash from the path, keeping the query string. */
export function normalisePath(url: string, prefixes: string[]): string {
  const q = url.indexOf('?');
  let path = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q);
  for (const p of prefixes) {
    if (path === p || path.startsWith(`${p}/`)) {
      path = path.slice(p.length) || '/';
      break;
    }
  }
  if (path.length > 1 && path.endsWith('/')) path = path.replace(/\/+$/, '') || '/';
  return path + query;
}
