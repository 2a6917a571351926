import { createHmac, timingSafeEqual } from 'node:crypto';

/** RFC 6238 as Keystone's `totp` method uses it: HMAC-SHA1, 30-second steps, 6 digits. */
export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
/** Keystone's TOTP library refuses shorter keys (128 bits); such a credential never matches. */
export const TOTP_MIN_KEY_BYTES = 16;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
/** Padding lengths a base32 quantum may end with (RFC 4648 §6): 0, 1, 3, 4 or 6 `=`. */
const VALID_PADDING = new Set([0, 1, 3, 4, 6]);

/**
 * The key of a TOTP credential blob, decoded the way Keystone decodes it: the blob is padded with
 * `=` to a multiple of 8 characters, then read as strict RFC 4648 base32 (upper case only, no
 * white space). Undefined when the blob is not such text or the key is shorter than 128 bits:
 * Keystone skips those credentials, it never errs on them (docs/keystone-totp-mfa.md).
 */
export function totpKey(blob: string): Buffer | undefined {
  let s = blob;
  while (s.length % 8 !== 0) s += '=';
  const body = s.replace(/=+$/, '');
  if (!VALID_PADDING.has(s.length - body.length) || !/^[A-Z2-7]*$/.test(body)) return undefined;
  const out: number[] = [];
  let acc = 0;
  let bits = 0;
  for (const ch of body) {
    acc = ((acc << 5) | ALPHABET.indexOf(ch)) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >> bits) & 0xff);
    }
  }
  return out.length >= TOTP_MIN_KEY_BYTES ? Buffer.from(out) : undefined;
}

/** The passcode of `key` for one time step (RFC 4226 dynamic truncation). */
export function hotp(key: Buffer, counter: number): string {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', key).update(msg).digest();
  const offset = h[h.length - 1]! & 0x0f;
  const code = (h.readUInt32BE(offset) & 0x7fffffff) % 10 ** TOTP_DIGITS;
  return String(code).padStart(TOTP_DIGITS, '0');
}

/** The passcode of `key` at `atMs` (milliseconds since the epoch). */
export function totp(key: Buffer, atMs: number): string {
  return hotp(key, Math.floor(atMs / 1000 / TOTP_PERIOD_SECONDS));
}

/**
 * Whether `passcode` is the key's passcode for the current step or one of the `previousWindows`
 * steps before it (never a later one), as Keystone checks it. Every candidate is compared, in
 * constant time, so the answer's timing tells nothing about which window matched.
 */
export function totpMatches(key: Buffer, passcode: string, previousWindows: number, nowMs = Date.now()): boolean {
  const given = Buffer.from(passcode, 'utf8');
  if (given.length !== TOTP_DIGITS) return false;
  const step = Math.floor(nowMs / 1000 / TOTP_PERIOD_SECONDS);
  let ok = false;
  for (let i = 0; i <= previousWindows; i++) {
    if (step - i < 0) break;
    if (timingSafeEqual(Buffer.from(hotp(key, step - i)), given)) ok = true;
  }
  return ok;
}
