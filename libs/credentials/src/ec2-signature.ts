import { createHmac } from 'node:crypto';
import {
  SIGV4_ALGORITHM,
  SignatureFormatError,
  UNSIGNED_PAYLOAD,
  canonicalHeaderBlock,
  canonicalQueryString,
  canonicalRequest,
  constantTimeEqual,
  normalizeHeaders,
  parseAuthorizationV4,
  parseCredential,
  rfc3986Encode,
  signatureV4,
  stringToSignV4,
} from './sigv4.js';
import { parseIso8601 } from './request-time.js';

/**
 * The `credentials` object of `POST /v3/ec2tokens` (docs/keystone.md, "EC2 tokens"): what an EC2-API
 * service saw of a signed request, relayed for Keystone to check.
 */
export interface Ec2Credentials {
  access: string;
  /** Base64 for SignatureVersion 0/1/2, hex for SigV4. */
  signature?: string;
  /** Host the request was sent to, with `:port` when there was one. */
  host?: string;
  verb?: string;
  path?: string;
  /** Query (or form body) parameters, without `Signature`. */
  params?: Record<string, string>;
  headers?: Record<string, string>;
  /** Hex SHA-256 of the request body (SigV4). */
  body_hash?: string;
}

/**
 * The signatures a request described by `c` must carry to be genuine, following keystoneclient's
 * `Ec2Signer` (docs/keystone.md, "Signatures"): SignatureVersion 0, 1 or 2 from `params`, otherwise SigV4
 * when the Authorization header or `X-Amz-Algorithm` says so. A second candidate is returned when
 * the host has a `:port`, computed without it, because some clients sign the bare host name
 * (Keystone retries the same way).
 *
 * @throws SignatureFormatError for an absent or unknown version or malformed SigV4 fields.
 */
export function ec2ExpectedSignatures(secret: string, c: Ec2Credentials): string[] {
  return candidates(secret, c).map((compute) => compute());
}

/** The candidates of {@link ec2ExpectedSignatures}, each computed only when asked for. */
function candidates(secret: string, c: Ec2Credentials): Array<() => string> {
  const params = c.params ?? {};
  // Strict string comparison, as upstream: SignatureVersion 2 sent as a JSON number is unknown.
  switch (params.SignatureVersion) {
    case '0':
      return [() => signatureV0(secret, params)];
    case '1':
      return [() => signatureV1(secret, params)];
    case '2':
      return signaturesV2(secret, c, params);
  }
  if (isSigV4(c, params)) return signaturesV4(secret, c, params, header(c.headers, 'authorization'));
  // Upstream crashes with a 500 here; Lintel answers 401 (docs/keystone.md, "Where Lintel differs from Keystone").
  throw new SignatureFormatError(
    params.SignatureVersion === undefined ? 'no signature version' : `unknown signature version ${String(params.SignatureVersion)}`,
  );
}

/**
 * True when `c.signature` equals one of {@link ec2ExpectedSignatures}, compared in constant time.
 * False for a missing signature and for any {@link SignatureFormatError}.
 */
export function verifyEc2Signature(secret: string, c: Ec2Credentials): boolean {
  if (typeof c.signature !== 'string' || c.signature === '') return false;
  try {
    // The port-less retry is computed only when the signature did not match as sent: which
    // candidate matched says nothing about the secret.
    for (const compute of candidates(secret, c)) if (constantTimeEqual(c.signature, compute())) return true;
    return false;
  } catch (e) {
    if (e instanceof SignatureFormatError) return false;
    throw e;
  }
}

/**
 * The request time the signature covers, for the freshness check against replay (CVE-2020-12692,
 * docs/keystone.md, "Signatures"; docs/security.md, "M1"): for SignatureVersion 0, 1 and 2,
 * `params.Timestamp` (part of what they sign); for SigV4, the date its string to sign was built
 * with (the `X-Amz-Date` header, else the parameter: the one {@link verifyEc2Signature} uses).
 * Nothing else: a `Timestamp` parameter next to a SigV4 POST is not signed and says nothing
 * (Keystone reads it first, so an old signature with a new Timestamp passed). Any ISO 8601
 * date-time, extended or basic; without a zone it is UTC.
 *
 * @returns undefined when the signature covers no time (the caller refuses it).
 * @throws SignatureFormatError when the signed value cannot be parsed.
 */
export function ec2SignedTime(c: Ec2Credentials): Date | undefined {
  const params = c.params ?? {};
  let raw: string | undefined;
  switch (params.SignatureVersion) {
    case '0':
    case '1':
    case '2':
      raw = params.Timestamp;
      break;
    default:
      if (isSigV4(c, params)) raw = sigV4Date(c, params);
  }
  if (!raw) return undefined;
  const t = parseIso8601(String(raw));
  if (!t) throw new SignatureFormatError('request timestamp is not ISO 8601');
  return t;
}

/** A SigV4 request: the Authorization header or `X-Amz-Algorithm` says so. */
function isSigV4(c: Ec2Credentials, params: Record<string, string>): boolean {
  return !!header(c.headers, 'authorization')?.startsWith(SIGV4_ALGORITHM) || params['X-Amz-Algorithm'] === SIGV4_ALGORITHM;
}

/** The date a SigV4 string to sign is built with: the `X-Amz-Date` header, else the parameter. */
function sigV4Date(c: Ec2Credentials, params: Record<string, string>): string | undefined {
  return header(c.headers, 'x-amz-date') || params['X-Amz-Date'] || undefined;
}

function hmacBase64(alg: 'sha1' | 'sha256', secret: string, data: string): string {
  return createHmac(alg, secret).update(data, 'utf8').digest('base64');
}

function required(value: string | undefined, what: string): string {
  if (typeof value !== 'string') throw new SignatureFormatError(`${what} is required`);
  return value;
}

/** Params as strings, without `Signature` (it is never part of what was signed). */
function signedParams(params: Record<string, string>): Array<[string, string]> {
  return Object.entries(params)
    .filter(([k]) => k !== 'Signature')
    .map(([k, v]) => [k, String(v)]);
}

/** UTF-8 byte order, i.e. code point order (JS `<` compares UTF-16 units, which differs above U+FFFF). */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** v0: base64 HMAC-SHA1 of Action + Timestamp. */
function signatureV0(secret: string, params: Record<string, string>): string {
  return hmacBase64('sha1', secret, required(params.Action, 'Action') + required(params.Timestamp, 'Timestamp'));
}

/** v1: base64 HMAC-SHA1 of every name+value, names sorted case-insensitively (stable for ties). */
function signatureV1(secret: string, params: Record<string, string>): string {
  const pairs = signedParams(params).sort(([a], [b]) => byteOrder(a.toLowerCase(), b.toLowerCase()));
  return hmacBase64('sha1', secret, pairs.map(([k, v]) => k + v).join(''));
}

/**
 * v2: base64 HMAC-SHA256 of `verb\nhost\npath\n` + canonical query. Keystone forces
 * SignatureMethod to HmacSHA256 whatever the client sent, so an HmacSHA1 signature never matches.
 * Names are sorted raw, in byte order, then encoded (AWS's SigV2 rule, and `Ec2Signer`'s).
 */
function signaturesV2(secret: string, c: Ec2Credentials, params: Record<string, string>): Array<() => string> {
  const verb = required(c.verb, 'verb');
  const host = required(c.host, 'host');
  const path = required(c.path, 'path');
  const qs = signedParams({ ...params, SignatureMethod: 'HmacSHA256' })
    .sort(([a], [b]) => byteOrder(a, b))
    .map(([k, v]) => `${rfc3986Encode(k)}=${rfc3986Encode(v)}`)
    .join('&');
  const sign = (h: string): string => hmacBase64('sha256', secret, `${verb}\n${h}\n${path}\n${qs}`);
  const bare = stripPort(host);
  return bare === undefined ? [() => sign(host)] : [() => sign(host), () => sign(bare)];
}

/**
 * SigV4 (docs/keystone.md, "Signatures"). Credential and SignedHeaders come from the Authorization header
 * when it is a SigV4 one, else from the presigned-URL parameters.
 */
function signaturesV4(secret: string, c: Ec2Credentials, params: Record<string, string>, authorization: string | undefined): Array<() => string> {
  const presigned = !authorization?.startsWith(SIGV4_ALGORITHM);
  const fields = presigned
    ? { credential: params['X-Amz-Credential'], signedHeaders: params['X-Amz-SignedHeaders'] }
    : parseAuthorizationV4(authorization!);
  const { accessKey, scope } = parseCredential(fields.credential);
  // A relay that names one key and forwards a request signed for another is confused at best.
  if (accessKey !== c.access) throw new SignatureFormatError('Credential names another access key');
  if (!fields.signedHeaders) throw new SignatureFormatError('SignedHeaders is required');

  const date = sigV4Date(c, params);
  if (!date) throw new SignatureFormatError('X-Amz-Date is required');
  if (!/^\d{8}T\d{6}Z$/.test(date)) throw new SignatureFormatError('X-Amz-Date is not yyyymmddThhmmssZ');
  if (!date.startsWith(scope.date)) throw new SignatureFormatError('X-Amz-Date does not match the credential scope date');

  const payloadHash = c.body_hash || header(c.headers, 'x-amz-content-sha256') || (presigned ? UNSIGNED_PAYLOAD : undefined);
  if (!payloadHash) throw new SignatureFormatError('body_hash is required');

  const verb = required(c.verb, 'verb').toUpperCase();
  // Upstream: an EC2 POST carries its parameters in the form body, so nothing is in the query;
  // a presigned URL's own signature is never part of what was signed.
  const query = verb === 'POST' ? '' : canonicalQueryString(params, 'X-Amz-Signature');
  const path = required(c.path, 'path');
  const names = fields.signedHeaders.split(';').map((n) => n.trim().toLowerCase());

  const sign = (headers: Map<string, string>): string => {
    const canonical = canonicalRequest({
      method: verb,
      path,
      query,
      headerBlock: canonicalHeaderBlock(headers, names),
      signedHeaders: fields.signedHeaders!,
      payloadHash,
    });
    return signatureV4(secret, scope, stringToSignV4(date, scope, canonical));
  };
  const headers = normalizeHeaders(c.headers ?? {});
  const host = headers.get('host');
  const bare = host === undefined || !names.includes('host') ? undefined : stripPort(host);
  // Old boto (< 2.9.3) signed the Host header without its port; keystoneclient special-cases
  // it by User-Agent, we simply also try the bare host.
  return bare === undefined ? [() => sign(headers)] : [() => sign(headers), () => sign(new Map(headers).set('host', bare))];
}

/** Case-insensitive header lookup (relays forward headers in whatever case they received them); the first match counts. */
function header(headers: Record<string, string> | undefined, name: string): string | undefined {
  if (!headers) return undefined;
  for (const k in headers) {
    if (k.length === name.length && Object.hasOwn(headers, k) && k.toLowerCase() === name) return String(headers[k]);
  }
  return undefined;
}

/** `host:8788` → `host`, `[::1]:8788` → `[::1]`; undefined when there is no port. */
function stripPort(host: string): string | undefined {
  const m = /^(.+):\d+$/.exec(host);
  if (!m) return undefined;
  // A bare IPv6 address (colons, no brackets) has no port to strip.
  if (m[1].includes(':') && !m[1].startsWith('[')) return undefined;
  return m[1];
}
