import type { ObjectLiteral, SelectQueryBuilder } from 'typeorm';
import { DomainError } from '../errors.js';

/**
 * How much of a list to answer (docs/performance.md, "Bounded lists"): at most `limit` entries
 * (undefined: all of them), starting after the entry whose id is `marker`.
 */
export interface PageRequest {
  limit?: number;
  marker?: string;
}

/** One page of a list; `truncated` when entries beyond `limit` exist (Keystone's `truncated`). */
export interface Page<T> {
  items: T[];
  truncated: boolean;
}

/** Keystone's MarkerNotFound (404). */
export class MarkerNotFoundError extends DomainError {
  constructor(marker: string) {
    super('NotFound', `Marker ${marker} could not be found.`);
  }
}

/** Rows read with `limit + 1` (Keystone's way to tell a cut list): the page, and whether more followed. */
export function pageFrom<T>(rows: T[], limit: number | undefined): Page<T> {
  if (limit === undefined || rows.length <= limit) return { items: rows, truncated: false };
  return { items: rows.slice(0, limit), truncated: true };
}

/**
 * Reads one page of `qb` in (name, id) order, the order Lintel's lists have always had: after the
 * marker's (name, id) when a marker is given (keyset pagination, so a page costs the same however
 * deep it is), `limit + 1` rows at most. `markerName` gives the name of the entry the marker names,
 * null when there is none (404).
 */
export async function pageByName<T extends ObjectLiteral>(
  qb: SelectQueryBuilder<T>, alias: string, page: PageRequest, markerName: (id: string) => Promise<string | null>,
): Promise<Page<T>> {
  if (page.marker !== undefined) {
    const name = await markerName(page.marker);
    if (name === null) throw new MarkerNotFoundError(page.marker);
    qb.andWhere(`(${alias}.name > :pageName OR (${alias}.name = :pageName AND ${alias}.id > :pageId))`, { pageName: name, pageId: page.marker });
  }
  qb.orderBy(`${alias}.name`, 'ASC').addOrderBy(`${alias}.id`, 'ASC');
  if (page.limit !== undefined) qb.limit(page.limit + 1);
  return pageFrom(await qb.getMany(), page.limit);
}
