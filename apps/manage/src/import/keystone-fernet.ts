import { createDecipheriv, createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Keystone's credential encryption, read side: every credential blob is a Fernet token
 * (https://github.com/fernet/spec, "Token Format") made with the primary key of Keystone's
 * credential key repository (`[credential] key_repository`, `/etc/keystone/credential-keys`),
 * and the row's `key_hash` is the SHA-1 of that key file's text. Keystone itself also tries an
 * all-zero "null key", which it encrypts with when no repository was ever set up.
 */

const VERSION = 0x80;
const HEADER = 1 + 8 + 16;
const MAC = 32;

/** Opens one Fernet token with one 32-byte key; null when the key does not authenticate it. */
export function fernetDecrypt(token: string, key: Buffer): Buffer | null {
  if (!/^[A-Za-z0-9_-]+=*$/.test(token)) return null;
  const data = Buffer.from(token, 'base64url');
  if (data.length < HEADER + 16 + MAC || data[0] !== VERSION || (data.length - HEADER - MAC) % 16 !== 0) return null;
  const signed = data.subarray(0, data.length - MAC);
  const expected = createHmac('sha256', key.subarray(0, 16)).update(signed).digest();
  if (!timingSafeEqual(expected, data.subarray(data.length - MAC))) return null;
  try {
    const d = createDecipheriv('aes-128-cbc', key.subarray(16, 32), data.subarray(9, HEADER));
    return Buffer.concat([d.update(data.subarray(HEADER, data.length - MAC)), d.final()]);
  } catch {
    return null;
  }
}

interface FernetKey {
  name: string;
  key: Buffer;
  /** SHA-1 of the key file's text, which Keystone stores next to what the key encrypted. */
  hash: string;
}

export class FernetKeyError extends Error {}

/** A directory of Keystone credential keys (files `0`, `1`, ...: base64url of 32 bytes each). */
export class KeystoneCredentialKeys {
  private readonly keys: FernetKey[];

  constructor(readonly dir: string) {
    if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new FernetKeyError(`--credential-keys: ${dir} is not a directory`);
    this.keys = readdirSync(dir).filter((f) => /^\d+$/.test(f)).sort((a, b) => Number(b) - Number(a)).flatMap((name) => {
      const text = readFileSync(join(dir, name), 'utf8');
      if (!text.length) return [];
      const key = Buffer.from(text.trim(), 'base64url');
      if (key.length !== 32) throw new FernetKeyError(`--credential-keys: ${join(dir, name)} is not a Fernet key (base64 of 32 bytes)`);
      return [{ name, key, hash: createHash('sha1').update(text, 'utf8').digest('hex') }];
    });
    if (!this.keys.length) throw new FernetKeyError(`--credential-keys: ${dir} holds no key files (0, 1, ...)`);
    this.keys.push({ name: 'null key', key: Buffer.alloc(32), hash: createHash('sha1').update(Buffer.alloc(32).toString('base64url') + '=').digest('hex') });
  }

  get count(): number {
    return this.keys.length - 1;
  }

  /**
   * The plaintext of a credential blob: the key the row's hash names first, then every other key
   * (newest first), as Keystone's MultiFernet does. Null when none opens it.
   */
  decrypt(blob: string | Buffer, keyHash: string | null): string | null {
    const token = (Buffer.isBuffer(blob) ? blob.toString('ascii') : blob).trim();
    const ordered = [...this.keys.filter((k) => k.hash === keyHash), ...this.keys.filter((k) => k.hash !== keyHash)];
    for (const k of ordered) {
      const plain = fernetDecrypt(token, k.key);
      if (plain) return plain.toString('utf8');
    }
    return null;
  }
}
