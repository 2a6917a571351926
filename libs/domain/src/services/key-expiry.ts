import { DomainError } from '../errors.js';

/** What is wrong with an expiry a client asked for. */
export type ExpiryProblem = 'format' | 'past' | 'too-far';

/** An expiry input the core refuses; each dialect words it its own way (docs/access-keys.md). */
export class InvalidExpiryError extends DomainError {
  constructor(
    readonly problem: ExpiryProblem,
    message: string,
  ) {
    super('InvalidInput', message);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/** Minutes east of UTC of a zone designator (`Z`, `+02:00`, `-0130`), or undefined when impossible. */
function offsetMinutes(zone: string | undefined): number | undefined {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const hours = Number(digits.slice(0, 2));
  const minutes = Number(digits.slice(2));
  if (hours > 23 || minutes > 59) return undefined;
  return (zone[0] === '-' ? -1 : 1) * (hours * 60 + minutes);
}

/** An ISO 8601 date or date-time as an instant; a text without a zone is UTC. Undefined when malformed or impossible. */
export function parseIsoInstant(text: string): Date | undefined {
  const d = DATE.exec(text);
  const t = d ? undefined : DATE_TIME.exec(text);
  const m = d ?? t;
  if (!m) return undefined;
  const [year, month, day] = [Number(m[1]), Number(m[2]) - 1, Number(m[3])];
  const [hh, mi, ss] = t ? [Number(t[4]), Number(t[5]), Number(t[6] ?? 0)] : [0, 0, 0];
  const ms = t?.[7] ? Math.floor(Number(`0.${t[7]}`) * 1000) : 0;
  if (hh > 23 || mi > 59 || ss > 59) return undefined;
  const utc = Date.UTC(year, month, day, hh, mi, ss, ms);
  const check = new Date(utc);
  // Date.UTC rolls 30 February over into March: an impossible day is malformed.
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month || check.getUTCDate() !== day) return undefined;
  const offset = offsetMinutes(t?.[8]);
  return offset === undefined ? undefined : new Date(utc - offset * 60_000);
}

/**
 * The one parser of every dialect's key expiry input (docs/access-keys.md, "Expiry"): an ISO 8601
 * date (`2063-04-05`, midnight UTC) or date-time (`2063-04-05T10:00`, seconds and fractions
 * optional); a date-time without a zone designator is UTC, never the server's local time. The
 * instant must lie in the future, and no further ahead than `maxLifetimeMs` when the dialect sets
 * one.
 *
 * @throws InvalidExpiryError
 */
export function parseKeyExpiry(text: string, o: { now?: number; maxLifetimeMs?: number } = {}): Date {
  const now = o.now ?? Date.now();
  const at = text.length <= 64 ? parseIsoInstant(text) : undefined;
  if (!at) throw new InvalidExpiryError('format', `'${text.slice(0, 40)}' is not an ISO 8601 date or date-time`);
  if (at.getTime() <= now) throw new InvalidExpiryError('past', 'the expiration must be in the future');
  if (o.maxLifetimeMs !== undefined && at.getTime() > now + o.maxLifetimeMs) {
    throw new InvalidExpiryError('too-far', `the expiration must be within ${Math.round(o.maxLifetimeMs / (365 * 86_400_000))} years`);
  }
  return at;
}
