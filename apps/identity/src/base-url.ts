import type { FastifyRequest } from 'fastify';
import type { LintelConfig } from '@lintel/config';

type UrlConfig = Pick<LintelConfig, 'publicUrl' | 'trustForwarded'>;

/**
 * `{BASE}` (docs/keystone.md, "Conventions"): the configured public URL, else the request's own origin,
 * plus `/identity` when the caller came in through the devstack path. `X-Forwarded-*` is believed
 * only when configured (behind a proxy that sets it); otherwise a client could choose the host
 * that links and `WWW-Authenticate` name.
 */
export function baseUrl(req: FastifyRequest, cfg: UrlConfig): string {
  const prefix = (req.originalUrl ?? req.url).startsWith('/identity') ? '/identity' : '';
  if (cfg.publicUrl) return cfg.publicUrl + prefix;
  const proto = (cfg.trustForwarded && first(req.headers['x-forwarded-proto'])) || req.protocol;
  const host = (cfg.trustForwarded && first(req.headers['x-forwarded-host'])) || req.headers.host || 'localhost';
  return `${proto}://${host}${prefix}`;
}

/** The absolute URL the client asked for (the `links.self` of lists). */
export function selfUrl(req: FastifyRequest, cfg: UrlConfig): string {
  const original = req.originalUrl ?? req.url;
  const path = original.startsWith('/identity') ? original.slice('/identity'.length) : original;
  return baseUrl(req, cfg) + path;
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}
