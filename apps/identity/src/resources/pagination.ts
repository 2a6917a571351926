import type { FastifyRequest } from 'fastify';
import type { LintelConfig, ListSection } from '@lintel/config';
import { InvalidInputError, type Page, type PageRequest } from '@lintel/domain';
import { selfUrl } from '../base-url.js';

/**
 * Bounded lists (docs/performance.md, "Bounded lists"): every list answers at most its section's
 * list limit (Keystone's `list_limit`), and says `"truncated": true` when it was cut. `limit`
 * asks for fewer (never more); `marker`, where a list takes one (users and projects, as
 * Keystone's newer releases and openstacksdk's pagination use them), starts after that entry.
 */
export function pageRequest(q: Record<string, unknown>, cfg: Pick<LintelConfig, 'listLimits'>, section: ListSection, opts: { marker?: boolean } = {}): PageRequest {
  const max = cfg.listLimits[section];
  const raw = q.limit;
  let limit = max;
  if (raw !== undefined) {
    if (typeof raw !== 'string' || !/^\d{1,9}$/.test(raw) || Number(raw) < 1) throw new InvalidInputError('Invalid value for limit: it must be a positive integer.');
    limit = max === undefined ? Number(raw) : Math.min(Number(raw), max);
  }
  const marker = opts.marker && typeof q.marker === 'string' && q.marker !== '' ? q.marker : undefined;
  return { limit, ...(marker !== undefined ? { marker } : {}) };
}

/**
 * A list answer: the entries, Keystone's `links` and, when the list was cut, `truncated: true`;
 * a list that takes a marker then also links to the next page (the request's own query with
 * `marker` set to the last entry shown), as Keystone's newer releases do.
 */
export function listBody<T extends { id: string }>(
  key: string, page: Page<unknown>, rendered: T[], req: FastifyRequest, cfg: LintelConfig, req_: PageRequest, opts: { marker?: boolean } = {},
): Record<string, unknown> {
  let next: string | null = null;
  if (page.truncated && opts.marker && rendered.length) {
    const self = selfUrl(req, cfg);
    const at = self.indexOf('?');
    const query = new URLSearchParams(at < 0 ? '' : self.slice(at + 1));
    query.set('marker', rendered[rendered.length - 1]!.id);
    if (req_.limit !== undefined) query.set('limit', String(req_.limit));
    next = `${at < 0 ? self : self.slice(0, at)}?${query.toString()}`;
  }
  return { [key]: rendered, links: { self: selfUrl(req, cfg), previous: null, next }, ...(page.truncated ? { truncated: true } : {}) };
}
