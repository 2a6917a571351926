/**
 * Port for password hashing, implemented by libs/auth (bcrypt off the event loop).
 * The core only asks for hashes and comparisons; it never sees how they are computed.
 */
export abstract class PasswordHasher {
  abstract hash(password: string): Promise<string>;
  abstract verify(password: string, hash: string): Promise<boolean>;
}
