import { Inject, Injectable, Logger, type OnModuleDestroy, type OnModuleInit } from '@nestjs/common';
import { sign } from 'node:crypto';
import { compactVerify, decodeProtectedHeader } from 'jose';
import { LINTEL_CONFIG, type LintelConfig } from '@lintel/config';
import type { ScopeTarget } from '@lintel/domain';
import { TOKEN_ALG, TokenKeyRepository, type KeyRing, type LoadedKey } from './token-key-repository.js';
import type { TokenClaims } from './token-claims.js';

/** Why a token string could not be turned into claims. */
export class TokenFormatError extends Error {}

interface Payload {
  sub: string;
  iat: number;
  exp: number;
  openstack_methods: string[];
  openstack_audit_ids: string[];
  openstack_project_id?: string;
  openstack_domain_id?: string;
  openstack_system?: 'all';
  openstack_app_cred_id?: string;
  openstack_trust_id?: string;
  openstack_access_token_id?: string;
}

const decoder = new TextDecoder();
/** The `typ` of a token's protected header; anything else signed with the token keys is not a token. */
const TOKEN_TYP = 'JWT';

/**
 * P-256's group order n, big-endian. An ECDSA signature (r, s) has a twin (r, n - s) that verifies
 * just as well; tokens are accepted only with s <= n/2 (low-S), so each token has one spelling
 * (docs/security.md, "I1").
 */
const P256_ORDER = Buffer.from('ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551', 'hex');
const P256_HALF_ORDER = Buffer.from('7fffffff800000007fffffffffffffffde737d56d38bcf4279dce5617e3192a8', 'hex');
const RELOAD_INTERVAL_MS = 10_000;
const MIN_RELOAD_GAP_MS = 1_000;

/**
 * Mints and verifies compact ES256 JWS tokens with the key repository. Verification needs no
 * database: the signature, then the claims. Keys are re-read periodically and whenever a token
 * names an unknown `kid`, so a rotation done by another process is picked up without a restart.
 */
@Injectable()
export class TokenProvider implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TokenProvider.name);
  private readonly repo: TokenKeyRepository;
  private ring: KeyRing | undefined;
  private lastLoad = 0;
  private timer: NodeJS.Timeout | undefined;
  /** Called after the key set changes (verified-token caches must be dropped). */
  onKeysChanged: (() => void) | undefined;

  constructor(@Inject(LINTEL_CONFIG) cfg: LintelConfig) {
    this.repo = new TokenKeyRepository(cfg.token.keysDir, cfg.token.maxActiveKeys);
  }

  async onModuleInit(): Promise<void> {
    await this.reload();
    this.timer = setInterval(() => void this.reload().catch((e) => this.logger.error(`token key reload failed: ${e.message}`)), RELOAD_INTERVAL_MS);
    this.timer.unref();
  }

  onModuleDestroy(): void {
    clearInterval(this.timer);
  }

  get loaded(): boolean {
    return this.ring !== undefined;
  }

  async reload(): Promise<void> {
    this.lastLoad = Date.now();
    const ring = await this.repo.load();
    const before = this.ring ? [...this.ring.byKid.keys()].sort().join() : '';
    this.ring = ring;
    if (before && before !== [...ring.byKid.keys()].sort().join()) this.onKeysChanged?.();
  }

  async mint(c: TokenClaims): Promise<string> {
    const ring = this.ring!;
    const payload: Payload = {
      sub: c.userId,
      iat: c.issuedAt / 1000,
      exp: Math.floor(c.expiresAt / 1000),
      openstack_methods: c.methods,
      openstack_audit_ids: c.auditIds,
    };
    if (c.scope && 'project' in c.scope) payload.openstack_project_id = c.scope.project;
    else if (c.scope && 'domain' in c.scope) payload.openstack_domain_id = c.scope.domain;
    else if (c.scope) payload.openstack_system = 'all';
    if (c.appCredId) payload.openstack_app_cred_id = c.appCredId;
    if (c.trustId) payload.openstack_trust_id = c.trustId;
    if (c.oauthAccessTokenId) payload.openstack_access_token_id = c.oauthAccessTokenId;
    const input = `${protectedHeader(ring.primary)}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    // A compact JWS (RFC 7515 §7.1) signed by node:crypto: ES256 is ECDSA P-256 over SHA-256 with
    // the signature as r||s (IEEE P1363), not DER. jose's WebCrypto signing took ~155 µs, this ~26.
    const signature = lowS(sign('sha256', Buffer.from(input), { key: ring.primary.privateKey, dsaEncoding: 'ieee-p1363' }));
    return `${input}.${signature.toString('base64url')}`;
  }

  /** Verifies the signature and decodes the claims; expiry and revocation are the caller's to check. */
  async verify(token: string): Promise<TokenClaims> {
    return toClaims((await this.verifiedPayload(token, TOKEN_TYP)) as unknown as Payload);
  }

  /**
   * The payload object of a compact JWS signed with one of the token keys, with the `typ` asked
   * for and a low-S signature (one spelling per signature: docs/security.md, "I1"). Only that
   * type: a JWS of another type signed with these keys (an auth receipt) is never a token, nor a
   * token a receipt (docs/keystone-totp-mfa.md, "Receipts"). Anything else is a TokenFormatError.
   */
  private async verifiedPayload(jws: string, typ: string): Promise<Record<string, unknown>> {
    if (jws.length > 2048 || !/^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/.test(jws)) throw new TokenFormatError('not a compact JWS');
    let kid: string | undefined;
    try {
      const header = decodeProtectedHeader(jws);
      if (header.alg !== TOKEN_ALG) throw new TokenFormatError('unexpected algorithm');
      kid = header.kid;
    } catch (e) {
      throw e instanceof TokenFormatError ? e : new TokenFormatError('undecodable header');
    }
    if (!kid) throw new TokenFormatError('no kid');
    let key = this.ring?.byKid.get(kid);
    if (!key && Date.now() - this.lastLoad > MIN_RELOAD_GAP_MS) {
      await this.reload().catch(() => undefined);
      key = this.ring?.byKid.get(kid);
    }
    if (!key) throw new TokenFormatError('unknown signing key');
    if (!isLowS(jws)) throw new TokenFormatError('high-S signature');
    let payload: unknown;
    try {
      const r = await compactVerify(jws, key.publicKey, { algorithms: [TOKEN_ALG] });
      if (r.protectedHeader.typ !== typ) throw new TokenFormatError('unexpected type');
      payload = JSON.parse(decoder.decode(r.payload));
    } catch {
      throw new TokenFormatError('bad signature, type or payload');
    }
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) throw new TokenFormatError('payload not an object');
    return payload as Record<string, unknown>;
  }

  /**
   * Signs a compact JWS of another type than tokens (`typ`, never `JWT`) with the primary token
   * key: something short-lived the server hands out and takes back itself (auth receipts).
   */
  signTyped(typ: string, payload: object): string {
    if (typ === TOKEN_TYP) throw new Error('signTyped is not for tokens');
    const key = this.ring!.primary;
    const header = Buffer.from(JSON.stringify({ alg: TOKEN_ALG, kid: key.kid, typ })).toString('base64url');
    const input = `${header}.${Buffer.from(JSON.stringify(payload)).toString('base64url')}`;
    const signature = lowS(sign('sha256', Buffer.from(input), { key: key.privateKey, dsaEncoding: 'ieee-p1363' }));
    return `${input}.${signature.toString('base64url')}`;
  }

  /**
   * Verifies a JWS made by signTyped with the same `typ` and returns its payload (the caller
   * checks its fields and expiry). A token, or anything else, is a TokenFormatError.
   */
  verifyTyped(jws: string, typ: string): Promise<Record<string, unknown>> {
    return this.verifiedPayload(jws, typ);
  }
}

/** An r||s signature with s replaced by n - s when s > n/2 (in place). */
function lowS(signature: Buffer): Buffer {
  const s = signature.subarray(32);
  if (Buffer.compare(s, P256_HALF_ORDER) <= 0) return signature;
  let borrow = 0;
  for (let i = 31; i >= 0; i--) {
    let d = P256_ORDER[i]! - s[i]! - borrow;
    borrow = d < 0 ? 1 : 0;
    if (d < 0) d += 256;
    s[i] = d;
  }
  return signature;
}

/** base64url digit values by character code (-1: not a digit). */
const B64URL = new Int8Array(128).fill(-1);
for (const [i, c] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_'].entries()) B64URL[c.charCodeAt(0)] = i;

/**
 * Whether the compact JWS's signature is 64 bytes (86 base64url digits) with s <= n/2. Read
 * from the text: s's first byte is the low 2 bits of digit 42 and all of digit 43; only when it
 * is 0x7f (one token in 256) is the signature decoded and compared in full. ~25 ns, against
 * ~1.5 µs for decoding every time.
 */
export function isLowS(token: string): boolean {
  const at = token.length - 86;
  if (at < 1 || token.charCodeAt(at - 1) !== 46 /* . */) return false;
  const first = ((B64URL[token.charCodeAt(at + 42)]! & 0x03) << 6) | B64URL[token.charCodeAt(at + 43)]!;
  if (first !== 0x7f) return first < 0x7f;
  return Buffer.compare(Buffer.from(token.slice(at), 'base64url').subarray(32), P256_HALF_ORDER) <= 0;
}

const headers = new WeakMap<LoadedKey, string>();

/** The encoded protected header of tokens signed with `key`, as jose's CompactSign wrote it. */
function protectedHeader(key: LoadedKey): string {
  let h = headers.get(key);
  if (!h) headers.set(key, (h = Buffer.from(JSON.stringify({ alg: TOKEN_ALG, kid: key.kid, typ: TOKEN_TYP })).toString('base64url')));
  return h;
}

function toClaims(p: Payload): TokenClaims {
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (typeof p.sub !== 'string' || typeof p.iat !== 'number' || typeof p.exp !== 'number'
    || !strings(p.openstack_methods) || !strings(p.openstack_audit_ids)) {
    throw new TokenFormatError('claims missing');
  }
  let scope: ScopeTarget | undefined;
  if (p.openstack_project_id) scope = { project: p.openstack_project_id };
  else if (p.openstack_domain_id) scope = { domain: p.openstack_domain_id };
  else if (p.openstack_system === 'all') scope = { system: true };
  const claims: TokenClaims = {
    userId: p.sub,
    methods: p.openstack_methods,
    auditIds: p.openstack_audit_ids,
    issuedAt: Math.round(p.iat * 1000),
    expiresAt: p.exp * 1000,
    scope,
  };
  if (typeof p.openstack_app_cred_id === 'string') claims.appCredId = p.openstack_app_cred_id;
  if (typeof p.openstack_trust_id === 'string') claims.trustId = p.openstack_trust_id;
  if (typeof p.openstack_access_token_id === 'string') claims.oauthAccessTokenId = p.openstack_access_token_id;
  return claims;
}
