import { amzDate, canonicalQueryString, constantTimeEqual, hmacSha256, normalizeHeaders, SignatureFormatError } from './sigv4.js';
import { sha256Hex } from './access-keys.js';
import { parseIso8601 } from './request-time.js';

/**
 * Outscale's request signatures (docs/outscale.md, "Authentication"): AWS SigV4's maths under two names.
 * `OSC4-HMAC-SHA256` (osc-cli, osc-sdk-python) signs `X-Osc-Date` with the key chain
 * `"OSC4" + SK → date → region → service → "osc4_request"`; `AWS4-HMAC-SHA256` (osc-sdk-js via
 * aws4fetch) is plain SigV4 with `X-Amz-Date` and `aws4_request`. The service is `api`.
 */

export type OscAlgorithm = 'OSC4-HMAC-SHA256' | 'AWS4-HMAC-SHA256';

interface Family {
  prefix: 'OSC4' | 'AWS4';
  terminator: 'osc4_request' | 'aws4_request';
  dateHeader: 'x-osc-date' | 'x-amz-date';
}

const FAMILIES: Record<OscAlgorithm, Family> = {
  'OSC4-HMAC-SHA256': { prefix: 'OSC4', terminator: 'osc4_request', dateHeader: 'x-osc-date' },
  'AWS4-HMAC-SHA256': { prefix: 'AWS4', terminator: 'aws4_request', dateHeader: 'x-amz-date' },
};

/** A parsed `Authorization` header of an Outscale signed request. */
export interface OscAuthorization {
  algorithm: OscAlgorithm;
  accessKey: string;
  scope: { date: string; region: string; service: string };
  /** Lower-cased, in the order the client listed them. */
  signedHeaders: string[];
  signature: string;
  /** The request's date-time header, as sent. */
  amzDate: string;
  /** The same, parsed. */
  at: Date;
}

/** A request as the server received it (path and body exactly as sent). */
export interface OscRequest {
  method: string;
  /** Path as sent on the wire, without the query string. */
  path: string;
  query?: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  body: string | Uint8Array;
}

function flatHeaders(headers: OscRequest['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(',') : v;
  return out;
}

/**
 * Parses `<ALGORITHM> Credential=AK/yyyymmdd/region/service/<terminator>, SignedHeaders=..., Signature=...`
 * and the matching date header.
 *
 * @throws SignatureFormatError when any part is absent or malformed.
 */
export function parseOscAuthorization(authorization: string, headers: OscRequest['headers']): OscAuthorization {
  const m = /^(OSC4-HMAC-SHA256|AWS4-HMAC-SHA256)\s+(.*)$/s.exec(authorization.trim());
  if (!m) throw new SignatureFormatError('not an OSC4 / AWS4 Authorization header');
  const algorithm = m[1] as OscAlgorithm;
  const family = FAMILIES[algorithm];
  const fields = new Map<string, string>();
  for (const part of m[2]!.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const parts = (fields.get('Credential') ?? '').split('/');
  const [accessKey, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKey || !/^\d{8}$/.test(date!) || !region || !service || terminator !== family.terminator) {
    throw new SignatureFormatError('malformed Credential');
  }
  const signedHeaders = (fields.get('SignedHeaders') ?? '').split(';').map((s) => s.trim().toLowerCase()).filter(Boolean);
  const signature = fields.get('Signature') ?? '';
  if (!signedHeaders.length || !/^[0-9a-f]{64}$/.test(signature)) throw new SignatureFormatError('malformed SignedHeaders or Signature');
  const h = normalizeHeaders(flatHeaders(headers));
  // The date travels in the family's header; clients of either family may use the other one.
  const dateHeader = h.has(family.dateHeader) ? family.dateHeader : h.has('x-osc-date') ? 'x-osc-date' : 'x-amz-date';
  const sent = h.get(dateHeader);
  const at = sent && /^\d{8}T\d{6}Z$/.test(sent) ? parseIso8601(sent) : undefined;
  if (!sent || !at) throw new SignatureFormatError('missing or malformed X-Osc-Date / X-Amz-Date');
  if (sent.slice(0, 8) !== date) throw new SignatureFormatError('credential date differs from the request date');
  if (!signedHeaders.includes('host') || !signedHeaders.includes(dateHeader)) throw new SignatureFormatError('host and the date header must be signed');
  return { algorithm, accessKey, scope: { date: date!, region, service }, signedHeaders, signature, amzDate: sent, at };
}

/** The signing key: HMAC-SHA256 chain from `prefix + secret` through date, region, service and terminator. */
export function oscSigningKey(algorithm: OscAlgorithm, secret: string, scope: OscAuthorization['scope']): Buffer {
  const f = FAMILIES[algorithm];
  return hmacSha256(hmacSha256(hmacSha256(hmacSha256(`${f.prefix}${secret}`, scope.date), scope.region), scope.service), f.terminator);
}

/** The hex signature of a request under `secret` (what both signing and verification compute). */
export function oscSignature(auth: Omit<OscAuthorization, 'signature' | 'at' | 'accessKey'>, req: OscRequest, secret: string): string {
  const f = FAMILIES[auth.algorithm];
  const h = normalizeHeaders(flatHeaders(req.headers));
  const block = auth.signedHeaders.map((n) => `${n}:${h.get(n) ?? ''}\n`).join('');
  const canonical = [req.method.toUpperCase(), req.path || '/', canonicalQueryString(req.query ?? {}), block, auth.signedHeaders.join(';'), sha256Hex(req.body)].join('\n');
  const scope = `${auth.scope.date}/${auth.scope.region}/${auth.scope.service}/${f.terminator}`;
  const toSign = [auth.algorithm, auth.amzDate, scope, sha256Hex(canonical)].join('\n');
  return hmacSha256(oscSigningKey(auth.algorithm, secret, auth.scope), toSign).toString('hex');
}

/**
 * Verifies a parsed signature against the request: every signed header must be present, and the
 * signature recomputed over the exact body must match (constant-time compare). Freshness, region,
 * service and key state are the caller's checks.
 */
export function verifyOscSignature(auth: OscAuthorization, req: OscRequest, secret: string): boolean {
  const h = normalizeHeaders(flatHeaders(req.headers));
  if (!auth.signedHeaders.every((n) => h.has(n))) return false;
  return constantTimeEqual(auth.signature, oscSignature(auth, req, secret));
}

/**
 * Signs a request as osc-sdk-python and osc-cli do (OSC4, `content-type;host;x-osc-date`) and
 * returns the headers to send. For tests and tools.
 */
export function signOsc4(o: { host: string; path: string; body: string; accessKey: string; secret: string; region: string; service?: string; date?: Date; contentType?: string }): Record<string, string> {
  const xOscDate = amzDate(o.date ?? new Date());
  const headers = { 'content-type': o.contentType ?? 'application/json; charset=utf-8', host: o.host, 'x-osc-date': xOscDate };
  const auth = { algorithm: 'OSC4-HMAC-SHA256' as const, scope: { date: xOscDate.slice(0, 8), region: o.region, service: o.service ?? 'api' }, signedHeaders: ['content-type', 'host', 'x-osc-date'], amzDate: xOscDate };
  const signature = oscSignature(auth, { method: 'POST', path: o.path, headers, body: o.body }, o.secret);
  const authorization = `OSC4-HMAC-SHA256 Credential=${o.accessKey}/${auth.scope.date}/${o.region}/${auth.scope.service}/osc4_request, SignedHeaders=content-type;host;x-osc-date, Signature=${signature}`;
  return { 'Content-Type': headers['content-type'], 'X-Osc-Date': xOscDate, Authorization: authorization };
}
