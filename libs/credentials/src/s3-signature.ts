import { createHmac } from 'node:crypto';
import { parseHttpDate, parseIso8601, type SignedTime } from './request-time.js';
import { SIGV4_ALGORITHM, SignatureFormatError, constantTimeEqual, signatureV4, type CredentialScope } from './sigv4.js';

/** Services Keystone accepts in the scope of an S3 SigV4 string to sign (docs/keystone.md, "Signatures"). */
export const S3_V4_SERVICES: readonly string[] = ['s3', 'iam', 'sts'];

/**
 * Checks the signature of a `POST /v3/s3tokens` request (docs/keystone.md, "Signatures"). `token` is the
 * URL-safe base64 of the exact AWS string to sign (swift's s3token middleware sends it; the
 * standard alphabet is accepted too, as Python's `urlsafe_b64decode` does).
 *
 * - A string to sign starting with `AWS4` is SigV4: exactly 4 lines, the first
 *   `AWS4-HMAC-SHA256`, the third a scope `yyyymmdd/region/service/aws4_request` with service
 *   `s3`, `iam` or `sts`; the expected signature is the hex SigV4 signature for that scope.
 * - Anything else is SigV2: base64 HMAC-SHA1 of the string to sign.
 *
 * Compared in constant time; a malformed token is simply not verified.
 */
export function verifyS3Token(secret: string, token: string, signature: string): boolean {
  if (typeof signature !== 'string' || signature === '') return false;
  let expected: string;
  try {
    expected = expectedS3Signature(secret, decodeToken(token));
  } catch (e) {
    if (e instanceof SignatureFormatError) return false;
    throw e;
  }
  return constantTimeEqual(signature, expected);
}

/**
 * The time an s3tokens string to sign carries, for the freshness check against replay
 * (docs/security.md, "M2"): the timestamp line of a SigV4 string to sign; for SigV2 the
 * `x-amz-date:` header line when present (it overrides `Date` in S3), else the Date line. A
 * presigned SigV2 URL signs its `Expires` (epoch seconds) in the Date line: that is an expiry,
 * not a signing time, and is returned as such.
 *
 * @returns undefined when the string to sign carries no time (a SigV2 string with an empty Date
 *   line and no x-amz-date, or one that is not a SigV2 string to sign at all): the caller refuses it.
 * @throws SignatureFormatError when the token does not decode or the time in it is unreadable.
 */
export function s3TokenTime(token: string): SignedTime | undefined {
  const lines = decodeToken(token).toString('utf8').split('\n');
  if (lines[0]!.startsWith('AWS4')) return { at: readable(parseIso8601(lines[1] ?? '')), kind: 'signed' };
  // SigV2: verb, Content-MD5, Content-Type, Date, canonical x-amz-* headers..., resource.
  if (lines.length < 5) return undefined;
  const amzDate = lines.slice(4, -1).find((l) => l.startsWith('x-amz-date:'));
  if (amzDate !== undefined) {
    const v = amzDate.slice('x-amz-date:'.length);
    return { at: readable(parseHttpDate(v) ?? parseIso8601(v)), kind: 'signed' };
  }
  const date = lines[3]!;
  if (date === '') return undefined;
  if (/^\d{1,12}$/.test(date)) return { at: new Date(Number(date) * 1000), kind: 'expires' };
  return { at: readable(parseHttpDate(date) ?? parseIso8601(date)), kind: 'signed' };
}

function readable(d: Date | undefined): Date {
  if (!d) throw new SignatureFormatError('unreadable request time in the string to sign');
  return d;
}

function decodeToken(token: string): Buffer {
  if (typeof token !== 'string' || !/^[A-Za-z0-9+/_-]+={0,2}$/.test(token)) throw new SignatureFormatError('token is not base64');
  return Buffer.from(token, 'base64');
}

function expectedS3Signature(secret: string, stringToSign: Buffer): string {
  // Keystone tests the raw bytes for the `AWS4` prefix; so do we.
  if (stringToSign.subarray(0, 4).toString('latin1') !== 'AWS4') {
    return createHmac('sha1', secret).update(stringToSign).digest('base64');
  }
  const lines = stringToSign.toString('utf8').split('\n');
  if (lines.length !== 4 || lines[0] !== SIGV4_ALGORITHM) throw new SignatureFormatError('malformed SigV4 string to sign');
  const [date, region, service, terminator, ...rest] = lines[2].split('/');
  if (rest.length || !date || region === undefined || !S3_V4_SERVICES.includes(service) || terminator !== 'aws4_request') {
    throw new SignatureFormatError('malformed SigV4 scope');
  }
  const scope: CredentialScope = { date, region, service };
  // The signature is over the exact bytes the client signed, not a re-encoding of them.
  return signatureV4(secret, scope, stringToSign);
}
