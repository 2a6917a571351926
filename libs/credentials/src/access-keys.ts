import { hash, randomInt } from 'node:crypto';

const ALPHANUMERIC = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ';

/**
 * A random string over `0-9a-zA-Z`, e.g. for access key ids and secrets.
 *
 * Each character is drawn with `crypto.randomInt`, which rejects out-of-range samples instead
 * of reducing a random byte modulo 62, so every character is equally likely.
 *
 * @throws RangeError when `length` is not a non-negative safe integer.
 */
export function randomAlphanumeric(length: number): string {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`length must be a non-negative integer, got ${length}`);
  let out = '';
  for (let i = 0; i < length; i++) out += ALPHANUMERIC[randomInt(ALPHANUMERIC.length)];
  return out;
}

/** Lower-case hex SHA-256 of a string (hashed as UTF-8) or of raw bytes. */
export function sha256Hex(s: string | Uint8Array): string {
  // One-shot: no Hash object per call (a SigV4 check hashes its canonical request every time).
  return hash('sha256', s, 'hex');
}

/**
 * Keystone's id for an `ec2` credential: the hex SHA-256 of the UTF-8 access key. Both
 * `/v3/ec2tokens` and the OS-EC2 routes look credentials up by this id (docs/keystone.md, "OS-EC2", "EC2 tokens"),
 * so it must stay byte-for-byte what Keystone computes.
 */
export function ec2CredentialId(access: string): string {
  return sha256Hex(access);
}
