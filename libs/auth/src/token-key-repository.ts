import { createPrivateKey, type JsonWebKeyInput, type KeyObject } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, generateKeyPair, importJWK, type CryptoKey, type JWK } from 'jose';
import { NumberedKeyRepository } from '@lintel/credentials';

export const TOKEN_ALG = 'ES256';

export interface LoadedKey {
  index: number;
  kid: string;
  publicKey: CryptoKey;
  /** The private key as node:crypto signs with it (WebCrypto's sign costs several times more). */
  privateKey: KeyObject;
}

export interface KeyRing {
  /** Signs new tokens: the highest-numbered key. */
  primary: LoadedKey;
  /** Every key a token may be signed with (staged, primary, retired), by kid. */
  byKid: Map<string, LoadedKey>;
}

async function newKeyFile(): Promise<string> {
  const { privateKey } = await generateKeyPair(TOKEN_ALG, { extractable: true });
  return JSON.stringify(await exportJWK(privateKey));
}

/**
 * The JWS signing-key repository: ES256 private JWKs in a numbered key directory (staged `0`,
 * primary = highest, retired between), like Keystone's JWS key repository. The `kid` of a key
 * is its JWK thumbprint.
 */
export class TokenKeyRepository extends NumberedKeyRepository {
  constructor(dir: string, maxActiveKeys: number) {
    super(dir, maxActiveKeys, newKeyFile);
  }

  async load(): Promise<KeyRing> {
    const byKid = new Map<string, LoadedKey>();
    let primary: LoadedKey | undefined;
    for (const { index, text } of this.read()) {
      const jwk = JSON.parse(text) as JWK;
      const { d: _private, ...pub } = jwk;
      const key: LoadedKey = {
        index,
        kid: await calculateJwkThumbprint(pub),
        privateKey: createPrivateKey({ key: jwk as JsonWebKeyInput['key'], format: 'jwk' }),
        publicKey: (await importJWK({ ...pub, alg: TOKEN_ALG }, TOKEN_ALG)) as CryptoKey,
      };
      byKid.set(key.kid, key);
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
}
