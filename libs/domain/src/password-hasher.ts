/**
 * Port for password hashing, implemented by libs/auth (bcrypt off the event loop).
 * The core only asks for hashes and comparisons; it never sees how they are computed.
 *
 * New hashes are Lintel's bcrypt. `verify` also accepts every format Keystone writes or wrote
 * (bcrypt, bcrypt_sha256, scrypt, pbkdf2_sha512, sha512_crypt), so users imported from a Keystone
 * database keep their passwords; such a hash stays as it is until the password is next set, as
 * Keystone itself never rehashes on login (docs/migrating-from-keystone.md, "Passwords").
 */
export abstract class PasswordHasher {
  abstract hash(password: string): Promise<string>;
  abstract verify(password: string, hash: string): Promise<boolean>;
}

/** The hash formats `PasswordHasher.verify` knows, by their modular-crypt prefix. */
const VERIFIABLE = /^\$(2[aby]|bcrypt-sha256|scrypt|pbkdf2-sha512|6)\$/;

/** Whether `verify` can check passwords against this stored hash. */
export function isVerifiableHash(hash: string): boolean {
  return VERIFIABLE.test(hash);
}

/** bcrypt looks at 72 bytes only; longer passwords are refused rather than silently truncated. */
export const MAX_PASSWORD_BYTES = 72;
/** Keystone's `max_password_length` default, for the formats that hash a password whole. */
export const MAX_PREHASHED_PASSWORD_BYTES = 4096;

/**
 * The longest password worth checking against a stored hash: 72 bytes for bcrypt (and for no
 * hash at all); Keystone's 4096 for the imported formats that hash every byte (bcrypt_sha256,
 * scrypt, pbkdf2_sha512, sha512_crypt), where a longer password may really have been set.
 */
export function maxVerifiedPasswordBytes(hash: string | undefined): number {
  return hash && VERIFIABLE.test(hash) && !hash.startsWith('$2') ? MAX_PREHASHED_PASSWORD_BYTES : MAX_PASSWORD_BYTES;
}
