import { createHmac } from 'node:crypto';
import { constantTimeEqual } from './sigv4.js';

/**
 * Edgio (Limelight) Origin Storage request signatures (docs/edgio.md, "Signed requests"): the
 * `X-Agile-Signature` header is `<path>?<sorted terms>&signature=<base64 HMAC-SHA256>`, where the
 * terms are `access_key`, `expiry` (unix seconds) and one `name=value` per `X-Agile-*` header
 * (prefix removed, name lower-cased), and the HMAC (keyed with the secret key) covers everything
 * before `&signature=`.
 */

/** The prefix of the headers Edgio's HTTP interface reads (and signs). */
const AGILE_PREFIX = 'x-agile-';
/** Headers that carry the authentication itself and are never a signed term. */
const UNSIGNED = new Set(['x-agile-signature', 'x-agile-authorization']);

/** Why a signature was refused; for logs and tests, never for the client. */
export type AgileSignatureFailure = 'malformed' | 'path' | 'headers' | 'expired' | 'mismatch';

export interface AgileSignatureParts {
  /** Everything before `&signature=`: what was signed. */
  payload: string;
  path: string;
  accessKey: string;
  /** Unix seconds after which the signature is void. */
  expiry: number;
  /** Signed terms other than access_key and expiry, decoded, by name. */
  terms: Map<string, string>;
  /** The base64 signature as presented. */
  signature: string;
}

/** Form-encoding as Python's `urlencode` does it: RFC 3986 unreserved kept, space as `+`. */
export function agileEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`).replace(/%20/g, '+');
}

function agileDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return undefined;
  }
}

/** The `X-Agile-*` headers of a request as signed terms: prefix removed, names lower-cased. */
export function agileTerms(headers: Record<string, string | string[] | undefined>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (!lower.startsWith(AGILE_PREFIX) || UNSIGNED.has(lower) || value === undefined) continue;
    out.set(lower.slice(AGILE_PREFIX.length), Array.isArray(value) ? value.join(',') : value);
  }
  return out;
}

/**
 * Signs a request the way Edgio's documentation describes (terms URL-encoded, sorted by key) and
 * returns the `X-Agile-Signature` header value.
 */
export function signAgileRequest(o: { path: string; accessKey: string; secret: string; expiry: number; headers?: Record<string, string> }): string {
  const terms = new Map(agileTerms(o.headers ?? {}));
  terms.set('access_key', o.accessKey);
  terms.set('expiry', String(o.expiry));
  const query = [...terms].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${agileEncode(k)}=${agileEncode(v)}`).join('&');
  const payload = `${o.path}?${query}`;
  return `${payload}&signature=${createHmac('sha256', o.secret).update(payload, 'utf8').digest('base64')}`;
}

/**
 * Splits an `X-Agile-Signature` value into its parts.
 *
 * @returns undefined when it is not `<path>?...access_key=...&expiry=...&signature=...`.
 */
export function parseAgileSignature(header: string): AgileSignatureParts | undefined {
  const cut = header.lastIndexOf('&signature=');
  const q = header.indexOf('?');
  if (cut < 0 || q <= 0 || q > cut) return undefined;
  const payload = header.slice(0, cut);
  const rawSig = header.slice(cut + '&signature='.length);
  const signature = rawSig.includes('%') ? agileDecode(rawSig) : rawSig;
  if (!signature) return undefined;
  const terms = new Map<string, string>();
  for (const pair of payload.slice(q + 1).split('&')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) return undefined;
    const k = agileDecode(pair.slice(0, eq));
    const v = agileDecode(pair.slice(eq + 1));
    if (k === undefined || v === undefined || terms.has(k)) return undefined;
    terms.set(k, v);
  }
  const accessKey = terms.get('access_key');
  const expiryText = terms.get('expiry');
  if (!accessKey || !expiryText || !/^\d{1,12}$/.test(expiryText)) return undefined;
  terms.delete('access_key');
  terms.delete('expiry');
  return { payload, path: payload.slice(0, q), accessKey, expiry: Number(expiryText), terms, signature };
}

/**
 * Verifies a parsed signature against the request it came with: same path, exactly the request's
 * `X-Agile-*` headers signed with the same values, not past `expiry`, and the HMAC under `secret`
 * equal to the presented one (compared in constant time). The HMAC is computed over the payload as
 * sent, so both encodings clients use (Edgio's documented URL-encoding and its Python sample's raw
 * values) verify.
 *
 * @returns undefined when valid, else the reason.
 */
export function verifyAgileSignature(
  parts: AgileSignatureParts,
  request: { path: string; headers: Record<string, string | string[] | undefined> },
  secret: string,
  now: Date = new Date(),
): AgileSignatureFailure | undefined {
  if (parts.path !== request.path) return 'path';
  const sent = agileTerms(request.headers);
  if (sent.size !== parts.terms.size) return 'headers';
  for (const [k, v] of sent) if (parts.terms.get(k) !== v) return 'headers';
  if (parts.expiry < Math.floor(now.getTime() / 1000)) return 'expired';
  const expected = createHmac('sha256', secret).update(parts.payload, 'utf8').digest('base64');
  return constantTimeEqual(parts.signature, expected) ? undefined : 'mismatch';
}
