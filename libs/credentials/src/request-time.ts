// Parsers for the timestamps signed requests carry, for the replay (freshness) checks of
// docs/keystone.md, "Signatures". Both return undefined rather than guessing: a timestamp that is
// present but unreadable must fail closed in the caller.

/**
 * A time a signature covers: when the request was signed, or (a presigned S3 SigV2 URL) when it
 * stops being valid.
 */
export interface SignedTime {
  at: Date;
  kind: 'signed' | 'expires';
}

/** The longest a presigned URL may be valid for ahead (AWS's own limit for SigV4, 7 days). */
export const MAX_PRESIGNED_SECONDS = 7 * 24 * 3600;

/**
 * Whether a signed time is within the freshness window (docs/security.md, "M1", "M2"): a signing
 * time at most `ttlSeconds` away from now, before or after (a signature from the future is a
 * replay waiting to happen); an expiry not passed yet and at most {@link MAX_PRESIGNED_SECONDS}
 * ahead.
 */
export function withinWindow(t: SignedTime, ttlSeconds: number, now = Date.now()): boolean {
  const at = t.at.getTime();
  if (t.kind === 'expires') return at >= now && at - now <= MAX_PRESIGNED_SECONDS * 1000;
  return Math.abs(now - at) <= ttlSeconds * 1000;
}

const ISO_EXTENDED = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?::?\d{2})?)?$/i;
const ISO_BASIC = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})(?:[.,](\d+))?(Z|[+-]\d{2}(?:\d{2})?)?$/i;
const HTTP_DATE = /^(?:[A-Za-z]{3},\s*)?(\d{1,2})\s+([A-Za-z]{3})\s+(\d{4})\s+(\d{2}):(\d{2}):(\d{2})\s*(GMT|UTC|UT|Z|[+-]\d{4})$/i;
const SIGV4_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];

/**
 * Parses an ISO 8601 date-time in extended (`2026-07-18T10:15:02.5Z`) or basic
 * (`20260718T101502Z`, SigV4's X-Amz-Date) form. Without a zone it is UTC, as oslo's
 * `parse_isotime` (Keystone) assumes.
 *
 * @returns undefined when `s` is not such a date-time or names an impossible date.
 */
export function parseIso8601(s: string): Date | undefined {
  // SigV4's X-Amz-Date exactly (nearly every signed request): one anchored match, no trimming.
  const sigv4 = SIGV4_DATE.exec(s);
  if (sigv4) return build(+sigv4[1]!, +sigv4[2]! - 1, +sigv4[3]!, +sigv4[4]!, +sigv4[5]!, +sigv4[6]!, 0, 'Z');
  const m = ISO_EXTENDED.exec(s.trim()) ?? ISO_BASIC.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, sec, frac, zone] = m;
  const ms = frac ? Math.floor(Number(`0.${frac}`) * 1000) : 0;
  return build(+y, +mo - 1, +d, +h, +mi, +sec, ms, zone);
}

/**
 * Parses an HTTP/RFC 2822 date as S3 SigV2 clients put in `Date` or `x-amz-date`
 * (`Tue, 27 Mar 2007 19:36:42 +0000`, `Tue, 11 Dec 2012 21:41:41 GMT`).
 *
 * @returns undefined when `s` is not such a date or names an impossible date.
 */
export function parseHttpDate(s: string): Date | undefined {
  const m = HTTP_DATE.exec(s.trim());
  if (!m) return undefined;
  const [, d, mon, y, h, mi, sec, zone] = m;
  const month = MONTHS.indexOf(mon.toLowerCase());
  if (month < 0) return undefined;
  return build(+y, month, +d, +h, +mi, +sec, 0, /^[+-]/.test(zone) ? zone : 'Z');
}

function build(y: number, month: number, d: number, h: number, mi: number, sec: number, ms: number, zone: string | undefined): Date | undefined {
  const utc = Date.UTC(y, month, d, h, mi, sec, ms);
  const check = new Date(utc);
  // Date.UTC rolls 30 February over into March; such a value is malformed, not a time.
  if (check.getUTCMonth() !== month || check.getUTCDate() !== d || h > 23 || mi > 59 || sec > 59) return undefined;
  return new Date(utc - zoneOffsetMs(zone));
}

function zoneOffsetMs(zone: string | undefined): number {
  if (!zone || zone.toUpperCase() === 'Z') return 0;
  const digits = zone.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  return (zone[0] === '-' ? -1 : 1) * minutes * 60_000;
}
