import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';
import { NumberedKeyRepository } from './key-repository.js';

const ALG = 'aes-256-gcm';
const IV_BYTES = 12;
const TAG_BYTES = 16;
/** Format marker of a sealed value, so a future format can be told apart. */
const VERSION = 'v1';

/** A sealed secret as stored: the ciphertext and the hash of the key that sealed it. */
export interface Sealed {
  ciphertext: string;
  keyHash: string;
}

interface CredentialKey {
  index: number;
  key: Buffer;
  hash: string;
}

/** Keystone records which key encrypted a credential by a hash of that key; so do we. */
function keyHash(key: Buffer): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Thrown when a value was sealed by a key the repository no longer holds, or was tampered with. */
export class UnsealError extends Error {}

/**
 * AES-256-GCM envelope for credential secrets, under a rotating key repository
 * (`manage credential-keys setup | rotate | migrate`). New values are sealed with the primary
 * key; any key still in the repository opens them, so rotation needs no downtime, and
 * `migrate` re-seals old rows under the new primary before the old key is pruned.
 */
export class CredentialKeyRing {
  private keys: CredentialKey[] = [];
  private byHash = new Map<string, CredentialKey>();

  constructor(readonly repo: NumberedKeyRepository) {}

  static repository(dir: string, maxActiveKeys: number): NumberedKeyRepository {
    return new NumberedKeyRepository(dir, maxActiveKeys, () => randomBytes(32).toString('base64'));
  }

  /** (Re-)reads the repository. */
  load(): void {
    const keys = this.repo.read().map(({ index, text }) => {
      const key = Buffer.from(text.trim(), 'base64');
      if (key.length !== 32) throw new Error(`credential key ${index} in ${this.repo.dir} is not 32 bytes of base64`);
      return { index, key, hash: keyHash(key) };
    });
    this.keys = keys;
    this.byHash = new Map(keys.map((k) => [k.hash, k]));
  }

  /** Key hash of each key file, by its number (after `load`). */
  hashes(): Map<number, string> {
    return new Map(this.keys.map((k) => [k.index, k.hash]));
  }

  get primaryHash(): string {
    return this.primary().hash;
  }

  seal(plaintext: string): Sealed {
    const k = this.primary();
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv(ALG, k.key, iv);
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const packed = Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64');
    return { ciphertext: `${VERSION}:${packed}`, keyHash: k.hash };
  }

  open(s: Sealed): string {
    const k = this.byHash.get(s.keyHash);
    if (!k) throw new UnsealError(`credential key ${s.keyHash.slice(0, 8)}… is not in the repository`);
    const [version, packed] = s.ciphertext.split(':', 2);
    if (version !== VERSION || !packed) throw new UnsealError('unknown sealed format');
    const raw = Buffer.from(packed, 'base64');
    try {
      const decipher = createDecipheriv(ALG, k.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new UnsealError('sealed value failed authentication');
    }
  }

  private primary(): CredentialKey {
    const p = this.keys.filter((k) => k.index > 0).at(-1);
    if (!p) throw new Error('credential key repository not loaded');
    return p;
  }
}
