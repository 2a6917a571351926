import { createHmac, randomBytes } from 'node:crypto';
import { constantTimeEqual } from './sigv4.js';

/**
 * OAuth 1.0a request signatures (RFC 5849), as Keystone's OS-OAUTH1 extension checks them
 * (docs/keystone-oauth1.md, "Signatures"): the OAuth parameters travel in the `Authorization:
 * OAuth ...` header, the signature is an HMAC over the signature base string of RFC 5849 §3.4.1 keyed with
 * the consumer secret and the token secret.
 */

/** The signature methods Lintel verifies. PLAINTEXT (secrets in the clear) and RSA are refused. */
export const OAUTH1_SIGNATURE_METHODS = ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512'] as const;
export type OAuth1SignatureMethod = (typeof OAUTH1_SIGNATURE_METHODS)[number];

const DIGESTS: Record<OAuth1SignatureMethod, string> = { 'HMAC-SHA1': 'sha1', 'HMAC-SHA256': 'sha256', 'HMAC-SHA512': 'sha512' };

export const isOAuth1SignatureMethod = (m: string | undefined): m is OAuth1SignatureMethod =>
  (OAUTH1_SIGNATURE_METHODS as readonly string[]).includes(m ?? '');

/** RFC 5849 §3.6: UTF-8, then every octet but the RFC 3986 unreserved set as `%XX` (upper-case hex). */
export function oauthEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function percentDecode(s: string): string | undefined {
  try {
    return decodeURIComponent(s);
  } catch {
    return undefined;
  }
}

/**
 * The parameters of an `Authorization: OAuth ...` header (RFC 5849 §3.5.1), values decoded, in order;
 * `realm` included. Undefined when the header is not of the OAuth scheme or is malformed.
 */
export function parseOAuthHeader(header: string | undefined): Array<[string, string]> | undefined {
  if (!header) return undefined;
  const m = /^\s*OAuth(?:\s+(.*))?$/is.exec(header);
  if (!m) return undefined;
  const rest = (m[1] ?? '').trim();
  const out: Array<[string, string]> = [];
  if (!rest) return out;
  // name="value" pairs separated by commas (and optional white space); values may not hold a quote.
  const pair = /\s*([A-Za-z0-9_.~%-]+)\s*=\s*"([^"]*)"\s*(?:,|$)/y;
  let at = 0;
  while (at < rest.length) {
    pair.lastIndex = at;
    const p = pair.exec(rest);
    if (!p) return undefined;
    const name = percentDecode(p[1]!);
    const value = percentDecode(p[2]!);
    if (name === undefined || value === undefined) return undefined;
    out.push([name, value]);
    at = pair.lastIndex;
  }
  return out;
}

/** The query parameters of a URL, form-decoded (RFC 5849 §3.4.1.3.1), in order. */
export function queryParameters(url: string): Array<[string, string]> {
  const q = url.indexOf('?');
  if (q < 0) return [];
  return [...new URLSearchParams(url.slice(q + 1).split('#')[0])];
}

/**
 * RFC 5849 §3.4.1.2: scheme and host in lower case, the default port left out, the path as sent (`/` when
 * empty), no query or fragment.
 */
export function baseStringUri(url: string): string {
  const u = new URL(url);
  return `${u.protocol}//${u.host}${u.pathname || '/'}`;
}

/** RFC 5849 §3.4.1.3.2: every name and value encoded, sorted by name then value, `name=value` joined with `&`. */
export function normalizeParameters(params: ReadonlyArray<readonly [string, string]>): string {
  return params
    .filter(([k]) => k !== 'oauth_signature' && k !== 'realm')
    .map(([k, v]) => [oauthEncode(k), oauthEncode(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

/**
 * RFC 5849 §3.4.1: `METHOD&encoded base string URI&encoded normalized parameters`. `params` are the
 * request's protocol parameters (the header's, `realm` and `oauth_signature` are dropped here);
 * the URL's query parameters are added from `url`.
 */
export function signatureBaseString(method: string, url: string, params: ReadonlyArray<readonly [string, string]>): string {
  const all = [...queryParameters(url), ...params];
  return `${oauthEncode(method.toUpperCase())}&${oauthEncode(baseStringUri(url))}&${oauthEncode(normalizeParameters(all))}`;
}

/** RFC 5849 §3.4.2: base64 HMAC of the base string keyed with `encode(consumer secret)&encode(token secret)`. */
export function oauthSignature(method: OAuth1SignatureMethod, baseString: string, consumerSecret: string, tokenSecret = ''): string {
  const key = `${oauthEncode(consumerSecret)}&${oauthEncode(tokenSecret)}`;
  return createHmac(DIGESTS[method], key).update(baseString, 'utf8').digest('base64');
}

/** Compares a presented signature with the one the secrets give, in constant time. */
export function verifyOAuthSignature(method: OAuth1SignatureMethod, baseString: string, presented: string, consumerSecret: string, tokenSecret?: string): boolean {
  return constantTimeEqual(presented, oauthSignature(method, baseString, consumerSecret, tokenSecret));
}

export interface OAuth1SignInput {
  method: string;
  url: string;
  consumerKey: string;
  consumerSecret: string;
  token?: string;
  tokenSecret?: string;
  verifier?: string;
  callback?: string;
  signatureMethod?: OAuth1SignatureMethod;
  /** Defaults: 20 random digits, now. */
  nonce?: string;
  timestamp?: string;
  realm?: string;
  /** Emit `oauth_version="1.0"` (as oauthlib does); default true. */
  version?: boolean;
}

/** Signs a request as an OAuth 1.0a client would and returns its `Authorization` header value. */
export function signOAuth1Request(o: OAuth1SignInput): string {
  const params: Array<[string, string]> = [
    ['oauth_nonce', o.nonce ?? BigInt(`0x${randomBytes(8).toString('hex')}`).toString().padStart(20, '0')],
    ['oauth_timestamp', o.timestamp ?? String(Math.floor(Date.now() / 1000))],
  ];
  if (o.version !== false) params.push(['oauth_version', '1.0']);
  params.push(['oauth_signature_method', o.signatureMethod ?? 'HMAC-SHA1'], ['oauth_consumer_key', o.consumerKey]);
  if (o.token !== undefined) params.push(['oauth_token', o.token]);
  if (o.verifier !== undefined) params.push(['oauth_verifier', o.verifier]);
  if (o.callback !== undefined) params.push(['oauth_callback', o.callback]);
  const base = signatureBaseString(o.method, o.url, params);
  params.push(['oauth_signature', oauthSignature(o.signatureMethod ?? 'HMAC-SHA1', base, o.consumerSecret, o.tokenSecret)]);
  const realm = o.realm !== undefined ? [`realm="${oauthEncode(o.realm)}"`] : [];
  return `OAuth ${[...realm, ...params.map(([k, v]) => `${oauthEncode(k)}="${oauthEncode(v)}"`)].join(', ')}`;
}
