import { hash, timingSafeEqual } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { sha256Hex } from './access-keys.js';

/** The algorithm name of AWS Signature Version 4, the only one AWS and Keystone accept. */
export const SIGV4_ALGORITHM = 'AWS4-HMAC-SHA256';

/** Payload hash of a presigned URL: the signer never saw the body, so none is signed. */
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';

/**
 * The signing fields of a request are absent or malformed (unknown signature version, no
 * X-Amz-Date, a Credential that is not `AK/yyyymmdd/region/service/aws4_request`, ...), as opposed
 * to present but wrong. Callers answer both with the same generic 401 (docs/keystone.md, "EC2 tokens");
 * the distinction only serves logs and tests.
 */
export class SignatureFormatError extends Error {
  override name = 'SignatureFormatError';
}

/** The credential scope of a SigV4 signature: what the signing key is derived for. */
export interface CredentialScope {
  /** `yyyymmdd`, UTC. */
  date: string;
  region: string;
  service: string;
}

/** A parsed `Credential` field: `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`. */
export interface SigV4Credential {
  accessKey: string;
  scope: CredentialScope;
}

/** `yyyymmdd/region/service/aws4_request`, the scope line of the string to sign. */
export function formatScope(scope: CredentialScope): string {
  return `${scope.date}/${scope.region}/${scope.service}/aws4_request`;
}

const SHA256_BLOCK = 64;

/**
 * HMAC-SHA256 of `data` under `key` (strings are taken as UTF-8): RFC 2104's
 * `H((K ^ opad) || H((K ^ ipad) || data))` over one-shot `crypto.hash` calls. `createHmac` gives
 * every call an OpenSSL context whose release falls to the garbage collector; under load on the
 * signature-checking routes those releases made young-generation collections ten times longer,
 * costing more than the hashing. sigv4.spec.ts checks it against `createHmac`.
 */
export function hmacSha256(key: string | Uint8Array, data: string | Uint8Array): Buffer {
  return hash('sha256', new PreparedHmacKey(key).outerBlock(data), 'buffer');
}

/** {@link hmacSha256} as lower-case hex, without a Buffer for the result. */
export function hmacSha256Hex(key: string | Uint8Array, data: string | Uint8Array): string {
  return new PreparedHmacKey(key).hex(data);
}

/**
 * An HMAC-SHA256 key with its two padded blocks (`K ^ ipad`, `K ^ opad`) worked out once: a
 * derived signing key signs many requests.
 */
class PreparedHmacKey {
  private readonly ipad = Buffer.alloc(SHA256_BLOCK, 0x36);
  private readonly opad = Buffer.alloc(SHA256_BLOCK, 0x5c);

  constructor(key: string | Uint8Array) {
    let k = typeof key === 'string' ? Buffer.from(key, 'utf8') : key;
    if (k.length > SHA256_BLOCK) k = hash('sha256', k, 'buffer');
    for (let i = 0; i < k.length; i++) {
      this.ipad[i]! ^= k[i]!;
      this.opad[i]! ^= k[i]!;
    }
  }

  /** Lower-case hex HMAC of `data` (strings as UTF-8). */
  hex(data: string | Uint8Array): string {
    return hash('sha256', this.outerBlock(data), 'hex');
  }

  /** `(K ^ opad) || H((K ^ ipad) || data)`: what the outer hash of the HMAC runs over. */
  outerBlock(data: string | Uint8Array): Buffer {
    const length = typeof data === 'string' ? Buffer.byteLength(data, 'utf8') : data.length;
    const inner = Buffer.allocUnsafe(SHA256_BLOCK + length);
    this.ipad.copy(inner, 0);
    // The message goes straight into the block, not through a Buffer of its own.
    if (typeof data === 'string') inner.write(data, SHA256_BLOCK, 'utf8');
    else inner.set(data, SHA256_BLOCK);
    const outer = Buffer.allocUnsafe(SHA256_BLOCK + 32);
    this.opad.copy(outer, 0);
    // The inner digest as a 'binary' (latin1) string, one char per byte, is written into the
    // block directly: a Buffer result would be one more ArrayBuffer for the collector.
    outer.write(hash('sha256', inner, 'binary'), SHA256_BLOCK, 'latin1');
    return outer;
  }
}

interface DerivedKey extends CredentialScope {
  key: Buffer;
  hmac: PreparedHmacKey;
}

/**
 * The SigV4 signing key: HMAC-SHA256 chain `"AWS4" + secret` → date → region → service →
 * `aws4_request`.
 */
export function signingKey(secret: string, scope: CredentialScope): Buffer {
  return derivedKey(secret, scope).key;
}

/**
 * Derived keys change once a day per key and scope, as AWS's own SDKs cache them; four HMACs per
 * request were most of a signature check. Looked up by the secret alone, then the scope compared
 * field by field: no key string is built and hashed per request.
 */
function derivedKey(secret: string, scope: CredentialScope): DerivedKey {
  const known = derivedKeys.get(secret);
  if (known) {
    for (const d of known) if (d.date === scope.date && d.region === scope.region && d.service === scope.service) return d;
  }
  const kDate = hmacSha256(`AWS4${secret}`, scope.date);
  const kRegion = hmacSha256(kDate, scope.region);
  const kService = hmacSha256(kRegion, scope.service);
  const key = hmacSha256(kService, 'aws4_request');
  const entry: DerivedKey = { date: scope.date, region: scope.region, service: scope.service, key, hmac: new PreparedHmacKey(key) };
  // A few scopes per secret (yesterday's and today's date, a region or two); beyond that the oldest goes.
  if (!known) derivedKeys.set(secret, [entry]);
  else if (known.unshift(entry) > SCOPES_PER_SECRET) known.pop();
  return entry;
}

/** Secrets whose derived keys are kept; beyond it the least recently used secret goes. */
export const MAX_DERIVED_KEYS = 4096;
const derivedKeys = new LRUCache<string, DerivedKey[]>({ max: MAX_DERIVED_KEYS });
const SCOPES_PER_SECRET = 4;

/** A date in SigV4's basic ISO 8601 form, `yyyymmddThhmmssZ` (what X-Amz-Date carries). */
export function amzDate(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
}

/**
 * Percent-encodes everything but RFC 3986's unreserved characters `A-Za-z0-9-_.~`, as SigV4 and
 * SigV2 require (`encodeURIComponent` alone leaves `!'()*` alone).
 *
 * @throws SignatureFormatError for strings that are not valid UTF-16 (lone surrogates), which
 * have no UTF-8 encoding and so cannot have been signed.
 */
export function rfc3986Encode(s: string): string {
  // Most names and values (Action, Version, dates, ids) need no encoding at all.
  if (UNRESERVED.test(s)) return s;
  try {
    return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  } catch {
    throw new SignatureFormatError('value is not encodable as UTF-8');
  }
}

const UNRESERVED = /^[A-Za-z0-9\-_.~]*$/;

/**
 * Encodes each segment of a decoded path (`/photos/my puppy.jpg` → `/photos/my%20puppy.jpg`),
 * for callers of {@link signV4} that hold a decoded path.
 */
export function encodePath(decodedPath: string): string {
  return decodedPath.split('/').map(rfc3986Encode).join('/');
}

/**
 * SigV4's canonical query string: names and values RFC 3986-encoded, pairs sorted by encoded name
 * then encoded value, joined with `&`. Encoded strings are ASCII, so `<` is byte order. A parameter
 * named `omit` is left out (a presigned URL's own `X-Amz-Signature`).
 */
export function canonicalQueryString(params: Record<string, string>, omit?: string): string {
  const pairs: Array<[string, string]> = [];
  for (const k in params) if (k !== omit && Object.hasOwn(params, k)) pairs.push([rfc3986Encode(k), rfc3986Encode(String(params[k]))]);
  if (pairs.length > 1) pairs.sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0));
  let out = '';
  for (let i = 0; i < pairs.length; i++) out += `${i ? '&' : ''}${pairs[i]![0]}=${pairs[i]![1]}`;
  return out;
}

/** Header names lower-cased and trimmed; values trimmed with inner whitespace runs collapsed. */
export function normalizeHeaders(headers: Record<string, string>): Map<string, string> {
  const out = new Map<string, string>();
  // SigV4 "trimall": AWS's test suite (get-header-value-trim) signs `"a   b   c"` as `"a b c"`.
  for (const k in headers) {
    if (!Object.hasOwn(headers, k)) continue;
    const v = String(headers[k]).trim();
    out.set(k.trim().toLowerCase(), needsTrimAll(v) ? v.replace(/\s+/g, ' ') : v);
  }
  return out;
}

/** Whitespace that trimall collapses: a run of two or more, or any single one but a space. */
const INNER_SPACE = /\s\s|[^\S ]/;

/**
 * Whether {@link INNER_SPACE} matches, answered without the regex for the usual value (printable
 * ASCII, single spaces): a long Authorization header went through the alternation char by char.
 */
function needsTrimAll(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c > 32 && c < 127) continue;
    if (c === 32) {
      const next = v.charCodeAt(i + 1);
      if (next > 32 && next < 127) continue;
    }
    return INNER_SPACE.test(v);
  }
  return false;
}

/**
 * The canonical headers block: `name:value\n` for each signed name, in the order given. Names
 * the request does not carry are skipped, as keystoneclient's `Ec2Signer` does.
 */
export function canonicalHeaderBlock(headers: Map<string, string>, signedNames: string[]): string {
  let block = '';
  for (const name of signedNames) {
    const value = headers.get(name);
    if (value !== undefined) block += `${name}:${value}\n`;
  }
  return block;
}

/** The parts of a SigV4 canonical request, each already in canonical form. */
export interface CanonicalRequestParts {
  /** Upper-case HTTP method. */
  method: string;
  /** Canonical URI: the path as signed (already percent-encoded). */
  path: string;
  /** Canonical query string (see {@link canonicalQueryString}); empty when there is none. */
  query: string;
  /** Canonical headers block (see {@link canonicalHeaderBlock}), each line ending in `\n`. */
  headerBlock: string;
  /** The `SignedHeaders` value, e.g. `host;x-amz-date`. */
  signedHeaders: string;
  /** Hex SHA-256 of the body, or {@link UNSIGNED_PAYLOAD}. */
  payloadHash: string;
}

/** Joins the six parts of a canonical request with `\n`. */
export function canonicalRequest(p: CanonicalRequestParts): string {
  return `${p.method}\n${p.path}\n${p.query}\n${p.headerBlock}\n${p.signedHeaders}\n${p.payloadHash}`;
}

/** `AWS4-HMAC-SHA256\n{X-Amz-Date}\n{scope}\n{hex sha256 of the canonical request}`. */
export function stringToSignV4(date: string, scope: CredentialScope, canonical: string): string {
  return `${SIGV4_ALGORITHM}\n${date}\n${formatScope(scope)}\n${sha256Hex(canonical)}`;
}

/** Hex HMAC-SHA256 of a string to sign (string or raw bytes) under the key derived for `scope`. */
export function signatureV4(secret: string, scope: CredentialScope, stringToSign: string | Uint8Array): string {
  return derivedKey(secret, scope).hmac.hex(stringToSign);
}

/**
 * Parses a `Credential` value.
 *
 * @throws SignatureFormatError unless it is `<access key>/<yyyymmdd>/<region>/<service>/aws4_request`.
 */
export function parseCredential(value: string | undefined): SigV4Credential {
  const parts = (value ?? '').split('/');
  const [accessKey, date, region, service, terminator] = parts;
  if (parts.length !== 5 || !accessKey || !/^\d{8}$/.test(date) || !region || !service || terminator !== 'aws4_request') {
    throw new SignatureFormatError('malformed SigV4 Credential');
  }
  return { accessKey, scope: { date, region, service } };
}

/** The fields of an `Authorization: AWS4-HMAC-SHA256 ...` header; absent ones are undefined. */
export interface SigV4Authorization {
  credential?: string;
  signedHeaders?: string;
  signature?: string;
}

/**
 * Splits `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...` into its fields.
 * Tolerates missing spaces after commas and a trailing comma (keystoneclient's own test vector
 * has both).
 *
 * @throws SignatureFormatError when the value does not start with `AWS4-HMAC-SHA256`.
 */
export function parseAuthorizationV4(value: string): SigV4Authorization {
  const v = value.trim();
  // `AWS4-HMAC-SHA256`, at least one whitespace, then the fields.
  if (!v.startsWith(SIGV4_ALGORITHM) || !/^\s/.test(v.slice(SIGV4_ALGORITHM.length, SIGV4_ALGORITHM.length + 1))) {
    throw new SignatureFormatError('not an AWS4-HMAC-SHA256 Authorization header');
  }
  const out: SigV4Authorization = { credential: undefined, signedHeaders: undefined, signature: undefined };
  // A field named twice counts with its last value.
  for (const part of v.slice(SIGV4_ALGORITHM.length).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) continue;
    const name = part.slice(0, eq).trim();
    if (name === 'Credential') out.credential = part.slice(eq + 1).trim();
    else if (name === 'SignedHeaders') out.signedHeaders = part.slice(eq + 1).trim();
    else if (name === 'Signature') out.signature = part.slice(eq + 1).trim();
  }
  return out;
}

/**
 * Compares a presented signature with an expected one in time independent of where they differ.
 * `timingSafeEqual` needs equal lengths; a length mismatch is answered at once, since the length
 * of a correct signature is public.
 */
export function constantTimeEqual(presented: string, expected: string): boolean {
  const a = Buffer.from(presented, 'utf8');
  const b = Buffer.from(expected, 'utf8');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** What a client needs to sign a request with {@link signV4} or {@link presignV4}. */
export interface SignV4Input {
  method: string;
  /** Host header value, with `:port` when the URL has one. */
  host: string;
  /**
   * Path exactly as sent on the wire (already percent-encoded; see {@link encodePath}). It is
   * signed verbatim, as S3 and Keystone's `Ec2Signer` do; the double encoding other AWS services
   * apply is not done.
   */
  path: string;
  query?: Record<string, string>;
  /** Extra headers to sign and send; names are lower-cased. */
  headers?: Record<string, string>;
  /** Request body; ignored when `bodyHash` is given. */
  body?: string | Uint8Array;
  /** Hex SHA-256 of the body, or {@link UNSIGNED_PAYLOAD}. */
  bodyHash?: string;
  accessKey: string;
  secret: string;
  region: string;
  service: string;
  date: Date;
  /** STS session token, sent and signed as `x-amz-security-token`. */
  sessionToken?: string;
}

/** A request signed with an Authorization header. */
export interface SignedV4 {
  /** The `Authorization` header value. */
  authorization: string;
  /** Every header to send, names lower-cased, `authorization` included. */
  headers: Record<string, string>;
  /** Hex signature (also inside `authorization`). */
  signature: string;
  signedHeaders: string;
  /** `yyyymmdd/region/service/aws4_request`. */
  credentialScope: string;
  /** The X-Amz-Date value. */
  amzDate: string;
  /** The payload hash that was signed (send it as `body_hash` to `/v3/ec2tokens`). */
  bodyHash: string;
}

/** A presigned request: the query to send (signature included), no auth headers. */
export interface PresignedV4 {
  /** The request's own query plus the `X-Amz-*` fields, `X-Amz-Signature` included. */
  query: Record<string, string>;
  signature: string;
  /** Headers that were signed (at least `host`); the client must send them unchanged. */
  headers: Record<string, string>;
}

interface Prepared {
  date: string;
  scope: CredentialScope;
  headers: Map<string, string>;
  signedHeaders: string;
}

function prepare(input: SignV4Input, extra: Record<string, string>): Prepared {
  const date = amzDate(input.date);
  const scope = { date: date.slice(0, 8), region: input.region, service: input.service };
  const headers = normalizeHeaders({ ...input.headers, ...extra, host: input.host });
  const signedHeaders = [...headers.keys()].sort().join(';');
  return { date, scope, headers, signedHeaders };
}

function sign(input: SignV4Input, p: Prepared, query: Record<string, string>, payloadHash: string): string {
  const canonical = canonicalRequest({
    method: input.method.toUpperCase(),
    path: input.path || '/',
    query: canonicalQueryString(query),
    headerBlock: canonicalHeaderBlock(p.headers, p.signedHeaders.split(';')),
    signedHeaders: p.signedHeaders,
    payloadHash,
  });
  return signatureV4(input.secret, p.scope, stringToSignV4(p.date, p.scope, canonical));
}

/**
 * Signs a request with SigV4 in the Authorization-header form: signs every given header plus
 * `host` and `x-amz-date` (and `x-amz-content-sha256` for service `s3`, which S3 requires, and
 * `x-amz-security-token` when a session token is given).
 */
export function signV4(input: SignV4Input): SignedV4 {
  const bodyHash = input.bodyHash ?? sha256Hex(input.body ?? '');
  const extra: Record<string, string> = { 'x-amz-date': amzDate(input.date) };
  if (input.service === 's3') extra['x-amz-content-sha256'] = bodyHash;
  if (input.sessionToken) extra['x-amz-security-token'] = input.sessionToken;
  const p = prepare(input, extra);
  const signature = sign(input, p, input.query ?? {}, bodyHash);
  const credentialScope = formatScope(p.scope);
  const authorization = `${SIGV4_ALGORITHM} Credential=${input.accessKey}/${credentialScope}, SignedHeaders=${p.signedHeaders}, Signature=${signature}`;
  return {
    authorization,
    headers: { ...Object.fromEntries(p.headers), authorization },
    signature,
    signedHeaders: p.signedHeaders,
    credentialScope,
    amzDate: p.date,
    bodyHash,
  };
}

/**
 * Presigns a request (SigV4 query form, as S3 presigned URLs): the auth fields travel as
 * `X-Amz-*` query parameters and the payload is {@link UNSIGNED_PAYLOAD} unless `bodyHash` is
 * given.
 *
 * @param expiresIn seconds the URL stays valid (`X-Amz-Expires`).
 */
export function presignV4(input: SignV4Input, expiresIn: number): PresignedV4 {
  const p = prepare(input, {});
  const query: Record<string, string> = {
    ...input.query,
    'X-Amz-Algorithm': SIGV4_ALGORITHM,
    'X-Amz-Credential': `${input.accessKey}/${formatScope(p.scope)}`,
    'X-Amz-Date': p.date,
    'X-Amz-Expires': String(expiresIn),
    'X-Amz-SignedHeaders': p.signedHeaders,
  };
  if (input.sessionToken) query['X-Amz-Security-Token'] = input.sessionToken;
  const signature = sign(input, p, query, input.bodyHash ?? UNSIGNED_PAYLOAD);
  return { query: { ...query, 'X-Amz-Signature': signature }, signature, headers: Object.fromEntries(p.headers) };
}
