import { createHash, createHmac, pbkdf2Sync, scryptSync, timingSafeEqual } from 'node:crypto';
import bcrypt from 'bcrypt';

/**
 * Verification of the password hashes Keystone writes (through passlib, or since 2024.1 its own
 * passlib-compatible code) and older Keystones left behind, so that users imported from Keystone
 * log in with their old passwords (docs/migrating-from-keystone.md, "Passwords"):
 *
 * | prefix              | scheme                    | written by Keystone 22 when `password_hash_algorithm =` |
 * | ------------------- | ------------------------- | ------------------------------------------------------- |
 * | `$2a$` `$2b$` `$2y$` | bcrypt                    | `bcrypt` (the default)                                  |
 * | `$bcrypt-sha256$`   | bcrypt over HMAC-SHA256    | (`bcrypt_sha256`, Keystone 2024.1 and later)            |
 * | `$scrypt$`          | scrypt                    | `scrypt`                                                |
 * | `$pbkdf2-sha512$`   | PBKDF2-HMAC-SHA512        | `pbkdf2_sha512`                                         |
 * | `$6$`               | SHA-512 crypt             | (Keystone before Pike; Keystone 22 still verifies it)   |
 *
 * Everything is computed with node:crypto and the bcrypt binding; nothing here hashes new
 * passwords (Lintel's own format stays bcrypt).
 */

/** Upper bounds on the cost parameters a stored hash may ask for (far above what Keystone writes). */
const MAX_SCRYPT_LOG_N = 22;
const MAX_PBKDF2_ROUNDS = 50_000_000;
const MAX_SHA_CRYPT_ROUNDS = 999_999_999;

/**
 * Verifies `password` against a hash in one of the formats above. Returns undefined when the
 * hash is in none of them (the caller decides), false for a malformed one or a mismatch.
 */
export function verifyPasslib(password: string, hash: string): boolean | undefined {
  try {
    if (/^\$2[aby]\$/.test(hash)) return verifyBcrypt(Buffer.from(password, 'utf8'), hash);
    if (hash.startsWith('$bcrypt-sha256$')) return verifyBcryptSha256(password, hash);
    if (hash.startsWith('$scrypt$')) return verifyScrypt(password, hash);
    if (hash.startsWith('$pbkdf2-sha512$')) return verifyPbkdf2Sha512(password, hash);
    if (hash.startsWith('$6$')) return verifySha512Crypt(password, hash);
  } catch {
    return false;
  }
  return undefined;
}

/** True for a hash this module can verify (a format Keystone writes or wrote). */
export function isPasslibHash(hash: string): boolean {
  return /^\$(2[aby]|bcrypt-sha256|scrypt|pbkdf2-sha512|6)\$/.test(hash);
}

/** `$2y$` is PHP's name for the same algorithm as `$2b$`, which the binding does not accept. */
function verifyBcrypt(password: Buffer | string, hash: string): boolean {
  return bcrypt.compareSync(password as string, hash.replace(/^\$2y\$/, '$2b$'));
}

/**
 * passlib's unpadded base64: the standard alphabet (scrypt) or its "adapted" one with `.` in
 * place of `+` (pbkdf2). Undefined for text that is neither.
 */
function b64(s: string): Buffer | undefined {
  if (!/^[A-Za-z0-9+/.]*$/.test(s) || s.length % 4 === 1) return undefined;
  return Buffer.from(s.replaceAll('.', '+'), 'base64');
}

function sameBytes(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/** `key=value,key=value` parameters of a modular crypt hash. */
function params(s: string): Map<string, string> {
  return new Map(s.split(',').map((kv) => {
    const i = kv.indexOf('=');
    return i < 0 ? [kv, ''] : [kv.slice(0, i), kv.slice(i + 1)];
  }));
}

/**
 * bcrypt_sha256: the password is first reduced to 44 characters of base64 so bcrypt's 72-byte
 * limit never truncates it, then bcrypt runs on that with the stored salt and cost.
 *  - version 2, `$bcrypt-sha256$v=2,t=2b,r=12$<salt>$<digest>`: HMAC-SHA256 keyed with the salt text;
 *  - version 1, `$bcrypt-sha256$2b,12$<salt>$<digest>`: plain SHA-256.
 */
function verifyBcryptSha256(password: string, hash: string): boolean {
  const parts = hash.slice('$bcrypt-sha256$'.length).split('$');
  if (parts.length !== 3) return false;
  const [head, salt, digest] = parts as [string, string, string];
  if (!/^[./A-Za-z0-9]{22}$/.test(salt) || !/^[./A-Za-z0-9]{31}$/.test(digest)) return false;
  let ident: string | undefined;
  let rounds: number;
  let key: string;
  if (head.startsWith('v=')) {
    const p = params(head);
    if (p.get('v') !== '2') return false;
    ident = p.get('t');
    rounds = Number(p.get('r'));
    key = createHmac('sha256', Buffer.from(salt, 'ascii')).update(password, 'utf8').digest('base64');
  } else {
    const [t, r] = head.split(',');
    ident = t;
    rounds = Number(r);
    key = createHash('sha256').update(password, 'utf8').digest('base64');
  }
  if ((ident !== '2a' && ident !== '2b') || !Number.isInteger(rounds) || rounds < 4 || rounds > 31) return false;
  return verifyBcrypt(key, `$${ident}$${String(rounds).padStart(2, '0')}$${salt}${digest}`);
}

/** `$scrypt$ln=<log2 N>,r=<block size>,p=<parallelism>$<salt>$<digest>`. */
function verifyScrypt(password: string, hash: string): boolean {
  const parts = hash.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'scrypt') return false;
  const p = params(parts[2]!);
  const [ln, r, par] = [Number(p.get('ln')), Number(p.get('r')), Number(p.get('p'))];
  const salt = b64(parts[3]!);
  const digest = b64(parts[4]!);
  if (!salt || !digest || !digest.length) return false;
  if (![ln, r, par].every((n) => Number.isInteger(n) && n >= 1) || ln > MAX_SCRYPT_LOG_N || r * par >= 2 ** 30) return false;
  const N = 2 ** ln;
  const derived = scryptSync(Buffer.from(password, 'utf8'), salt, digest.length, { N, r, p: par, maxmem: 128 * N * r * 2 + (1 << 20) });
  return sameBytes(derived, digest);
}

/** `$pbkdf2-sha512$<rounds>$<salt>$<digest>`, salt and digest in adapted base64. */
function verifyPbkdf2Sha512(password: string, hash: string): boolean {
  const parts = hash.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== 'pbkdf2-sha512') return false;
  const rounds = Number(parts[2]);
  const salt = b64(parts[3]!);
  const digest = b64(parts[4]!);
  if (!salt || !digest || !digest.length || !Number.isInteger(rounds) || rounds < 1 || rounds > MAX_PBKDF2_ROUNDS) return false;
  return sameBytes(pbkdf2Sync(Buffer.from(password, 'utf8'), salt, rounds, digest.length, 'sha512'), digest);
}

const CRYPT64 = './0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/**
 * SHA-512 crypt (`$6$[rounds=<n>$]<salt>$<86 characters>`), as specified by Ulrich Drepper's
 * "Unix crypt using SHA-256 and SHA-512" (glibc's `crypt`, passlib's `sha512_crypt`).
 */
function verifySha512Crypt(password: string, hash: string): boolean {
  const m = /^\$6\$(?:rounds=(\d{1,9})\$)?([^$]{0,16})\$([./0-9A-Za-z]{86})$/.exec(hash);
  if (!m) return false;
  const rounds = m[1] === undefined ? 5000 : Math.min(Math.max(Number(m[1]), 1000), MAX_SHA_CRYPT_ROUNDS);
  const computed = sha512Crypt(Buffer.from(password, 'utf8'), Buffer.from(m[2]!, 'utf8'), rounds);
  return sameBytes(Buffer.from(computed, 'ascii'), Buffer.from(m[3]!, 'ascii'));
}

const sha512 = (...parts: Buffer[]): Buffer => {
  const h = createHash('sha512');
  for (const p of parts) h.update(p);
  return h.digest();
};

/** `count` bytes of `block` repeated (the P and S sequences of the specification). */
function stretch(block: Buffer, count: number): Buffer {
  const out = Buffer.alloc(count);
  for (let i = 0; i < count; i += block.length) block.copy(out, i, 0, Math.min(block.length, count - i));
  return out;
}

/** The 86-character digest of SHA-512 crypt for a password, salt and round count. */
export function sha512Crypt(pw: Buffer, salt: Buffer, rounds: number): string {
  const b = sha512(pw, salt, pw);
  const a = createHash('sha512').update(pw).update(salt);
  a.update(stretch(b, pw.length));
  for (let n = pw.length; n > 0; n >>= 1) a.update(n & 1 ? b : pw);
  let c = a.digest();
  const dp = createHash('sha512');
  for (let i = 0; i < pw.length; i++) dp.update(pw);
  const p = stretch(dp.digest(), pw.length);
  const ds = createHash('sha512');
  for (let i = 0; i < 16 + c[0]!; i++) ds.update(salt);
  const s = stretch(ds.digest(), salt.length);
  for (let i = 0; i < rounds; i++) {
    const h = createHash('sha512');
    h.update(i & 1 ? p : c);
    if (i % 3) h.update(s);
    if (i % 7) h.update(p);
    h.update(i & 1 ? c : p);
    c = h.digest();
  }
  let out = '';
  const put = (w: number, n: number) => {
    for (let i = 0; i < n; i++, w >>= 6) out += CRYPT64[w & 63];
  };
  for (let k = 0; k < 21; k++) {
    const [x, y, z] = [k, k + 21, k + 42];
    const [b2, b1, b0] = k % 3 === 0 ? [x, y, z] : k % 3 === 1 ? [y, z, x] : [z, x, y];
    put((c[b2]! << 16) | (c[b1]! << 8) | c[b0]!, 4);
  }
  put(c[63]!, 2);
  return out;
}
