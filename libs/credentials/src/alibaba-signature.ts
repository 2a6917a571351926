import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { SignatureFormatError } from './sigv4.js';

/**
 * Alibaba Cloud's two request signatures (docs/alibaba.md, "Authentication"): the classic RPC signature
 * (V1, HMAC-SHA1, what `@alicloud/pop-core` and the aliyun CLI send) and ACS3-HMAC-SHA256 (V3,
 * the default of `@alicloud/openapi-client` / `@alicloud/ims20190815`). node:crypto only.
 */

/** RFC 3986 percent-encoding as Alibaba's SDKs write it: `encodeURIComponent`, then `!'()*` too. */
export function alibabaPercentEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** V1: `METHOD&%2F&percentEncode(sorted k=v&...)` over every parameter but `Signature`. */
export function alibabaRpcStringToSign(method: string, params: Record<string, string>): string {
  const pairs = Object.entries(params)
    .filter(([k]) => k !== 'Signature')
    .map(([k, v]) => [alibabaPercentEncode(k), alibabaPercentEncode(v)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const canonical = pairs.map(([k, v]) => `${k}=${v}`).join('&');
  return `${method.toUpperCase()}&${alibabaPercentEncode('/')}&${alibabaPercentEncode(canonical)}`;
}

/** V1 signature: base64(HMAC-SHA1(secret + "&", StringToSign)). */
export function alibabaRpcSignature(method: string, params: Record<string, string>, secret: string): string {
  return createHmac('sha1', `${secret}&`).update(alibabaRpcStringToSign(method, params), 'utf8').digest('base64');
}

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
};

/** Checks a V1 signature (`params.Signature`) in constant time. */
export function verifyAlibabaRpcSignature(method: string, params: Record<string, string>, secret: string): boolean {
  const given = params.Signature;
  return typeof given === 'string' && same(alibabaRpcSignature(method, params, secret), given);
}

/** The parts of an `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..` header. */
export interface Acs3Authorization {
  accessKey: string;
  signedHeaders: string[];
  signature: string;
}

export const ACS3_ALGORITHM = 'ACS3-HMAC-SHA256';

/** Parses a V3 Authorization header. @throws SignatureFormatError */
export function parseAcs3Authorization(header: string): Acs3Authorization {
  const h = header.trim();
  if (!h.startsWith(`${ACS3_ALGORITHM} `)) throw new SignatureFormatError('not an ACS3-HMAC-SHA256 authorization');
  const fields = new Map<string, string>();
  for (const part of h.slice(ACS3_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new SignatureFormatError('malformed authorization field');
    const name = part.slice(0, eq).trim();
    if (fields.has(name)) throw new SignatureFormatError('repeated authorization field');
    fields.set(name, part.slice(eq + 1).trim());
  }
  const accessKey = fields.get('Credential');
  const signed = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (!accessKey || !signed || !signature || fields.size !== 3) throw new SignatureFormatError('Credential, SignedHeaders and Signature are required');
  if (!/^[0-9a-f]{64}$/.test(signature)) throw new SignatureFormatError('the signature is not 64 lower-case hex digits');
  const signedHeaders = signed.split(';');
  if (signedHeaders.some((n) => !n || n !== n.toLowerCase())) throw new SignatureFormatError('bad SignedHeaders');
  return { accessKey, signedHeaders, signature };
}

/** What a V3 signature covers. Header names lower-case; query values decoded. */
export interface Acs3Request {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string | string[] | undefined>;
  /** hex SHA-256 of the body (`x-acs-content-sha256`). */
  payloadHash: string;
}

/** `METHOD\npath\ncanonical query\ncanonical headers\nsigned headers\npayload hash` (docs/alibaba.md, "Authentication"). */
export function acs3CanonicalRequest(r: Acs3Request, signedHeaders: string[]): string {
  const query = Object.keys(r.query)
    .sort()
    .map((k) => `${k}=${alibabaPercentEncode(r.query[k]!)}`)
    .join('&');
  const names = [...signedHeaders].sort();
  const headers = names
    .map((n) => {
      const v = r.headers[n];
      const values = (Array.isArray(v) ? v : [v ?? '']).map((x) => x.trim()).sort();
      return `${n}:${values.join(',')}\n`;
    })
    .join('');
  const path = r.path.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  return `${r.method.toUpperCase()}\n${path}\n${query}\n${headers}\n${names.join(';')}\n${r.payloadHash}`;
}

/** V3 signature: hex(HMAC-SHA256(secret, "ACS3-HMAC-SHA256\n" + hex(SHA-256(canonical request)))). */
export function acs3Signature(r: Acs3Request, signedHeaders: string[], secret: string): string {
  const canonical = acs3CanonicalRequest(r, signedHeaders);
  const stringToSign = `${ACS3_ALGORITHM}\n${createHash('sha256').update(canonical, 'utf8').digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('hex');
}

/** Checks a V3 signature in constant time. */
export function verifyAcs3Signature(r: Acs3Request, auth: Acs3Authorization, secret: string): boolean {
  return same(acs3Signature(r, auth.signedHeaders, secret), auth.signature);
}

/** Alibaba's timestamps: `YYYY-MM-DDThh:mm:ssZ` (milliseconds tolerated); undefined when malformed. */
export function parseAlibabaTimestamp(v: string): Date | undefined {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?Z$/.exec(v);
  if (!m) return undefined;
  const [y, mo, d, hh, mi, ss] = m.slice(1).map(Number) as [number, number, number, number, number, number];
  const t = new Date(Date.UTC(y, mo - 1, d, hh, mi, ss));
  if (t.getUTCMonth() !== mo - 1 || t.getUTCDate() !== d || hh > 23 || mi > 59 || ss > 59) return undefined;
  return t;
}

/** `YYYY-MM-DDThh:mm:ssZ`, as Alibaba writes dates. */
export const alibabaDate = (d: Date): string => `${d.toISOString().slice(0, 19)}Z`;
