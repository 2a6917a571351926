import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';

export const TOKEN_ALG = 'ES256';

export interface LoadedKey {
  index: number;
  kid: string;
  publicKey: CryptoKey;
  privateKey: CryptoKey;
}

export interface KeyRing {
  /** Signs new tokens: the highest-numbered key. */
  primary: LoadedKey;
  /** Every key a token may be signed with (staged, primary, retired), by kid. */
  byKid: Map<string, LoadedKey>;
}

/**
 * A JWS signing-key repository laid out like Keystone's Fernet/JWS ones: files named by number,
 * `0` is the staged key (verifies, never signs), the highest number is the primary (signs),
 * everything between is retired (verifies until pruned). Rotation promotes the staged key, so a
 * replica that loaded the repository before a rotation already trusts the new primary.
 */
export class TokenKeyRepository {
  constructor(
    readonly dir: string,
    private readonly maxActiveKeys: number,
  ) {}

  exists(): boolean {
    return existsSync(this.dir) && this.indexes().includes(0) && this.indexes().length >= 2;
  }

  /** Creates the repository with a staged and a primary key; leaves an existing one alone. */
  async setup(): Promise<boolean> {
    if (this.exists()) return false;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    if (!this.indexes().includes(0)) await this.writeNewKey(0);
    if (this.indexes().length < 2) await this.writeNewKey(1);
    return true;
  }

  /** Staged becomes primary, a new staged key is made, the oldest retired keys are pruned. */
  async rotate(): Promise<{ primary: number; removed: number[] }> {
    if (!this.exists()) await this.setup();
    const idx = this.indexes();
    const next = Math.max(...idx) + 1;
    renameSync(this.file(0), this.file(next));
    await this.writeNewKey(0);
    const removed: number[] = [];
    const active = this.indexes().filter((i) => i !== 0).sort((a, b) => a - b);
    while (active.length + 1 > this.maxActiveKeys) {
      const old = active.shift()!;
      rmSync(this.file(old));
      removed.push(old);
    }
    return { primary: next, removed };
  }

  async load(): Promise<KeyRing> {
    const idx = this.indexes();
    if (!idx.length || Math.max(...idx) === 0) {
      throw new Error(`no token signing keys in ${this.dir}: run "npm run manage -- token-keys setup"`);
    }
    const byKid = new Map<string, LoadedKey>();
    let primary: LoadedKey | undefined;
    for (const index of idx) {
      const jwk = JSON.parse(readFileSync(this.file(index), 'utf8')) as JWK;
      const { d: _d, ...pub } = jwk;
      const kid = await calculateJwkThumbprint(pub);
      const key: LoadedKey = {
        index,
        kid,
        privateKey: (await importJWK({ ...jwk, alg: TOKEN_ALG }, TOKEN_ALG)) as CryptoKey,
        publicKey: (await importJWK({ ...pub, alg: TOKEN_ALG }, TOKEN_ALG)) as CryptoKey,
      };
      byKid.set(kid, key);
      if (index !== 0 && (!primary || index > primary.index)) primary = key;
    }
    return { primary: primary!, byKid };
  }

  /** Public keys as a JWKS document (so other services can verify tokens offline). */
  async jwks(): Promise<{ keys: JWK[] }> {
    const ring = await this.load();
    const keys: JWK[] = [];
    for (const k of ring.byKid.values()) keys.push({ ...(await exportJWK(k.publicKey)), kid: k.kid, alg: TOKEN_ALG, use: 'sig' });
    return { keys };
  }

  private indexes(): number[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((f) => /^\d+$/.test(f)).map(Number).sort((a, b) => a - b);
  }

  private file(index: number): string {
    return join(this.dir, String(index));
  }

  private async writeNewKey(index: number): Promise<void> {
    const { privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
    const tmp = join(this.dir, `.tmp-${index}-${process.pid}`);
    writeFileSync(tmp, JSON.stringify(await exportJWK(privateKey)), { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file(index));
  }
}
