import type { FastifyRequest } from 'fastify';

/**
 * `{BASE}` of the Keystone contract: the configured public URL, else the request's own origin,
 * plus `/identity` when the caller came in through the devstack path.
 */
export function baseUrl(req: FastifyRequest, publicUrl: string | undefined): string {
  const prefix = (req.originalUrl ?? req.url).startsWith('/identity') ? '/identity' : '';
  if (publicUrl) return publicUrl + prefix;
  const proto = first(req.headers['x-forwarded-proto']) ?? req.protocol;
  const host = first(req.headers['x-forwarded-host']) ?? req.headers.host ?? 'localhost';
  return `${proto}://${host}${prefix}`;
}

/** The absolute URL the client asked for (the `links.self` of lists). */
export function selfUrl(req: FastifyRequest, publicUrl: string | undefined): string {
  const original = req.originalUrl ?? req.url;
  const path = original.startsWith('/identity') ? original.slice('/identity'.length) : original;
  return baseUrl(req, publicUrl) + path;
}

function first(v: string | string[] | undefined): string | undefined {
  const s = Array.isArray(v) ? v[0] : v;
  return s?.split(',')[0]?.trim() || undefined;
}
