import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { LintelConfig } from '@lintel/config';
import { TokenKeyRepository } from './token-key-repository.js';
import { isLowS, TokenFormatError, TokenProvider } from './token-provider.js';
import type { TokenClaims } from './token-claims.js';

const dir = mkdtempSync(join(tmpdir(), 'lintel-token-provider-'));
const repo = new TokenKeyRepository(dir, 3);
const provider = new TokenProvider({ token: { keysDir: dir, maxActiveKeys: 3 } } as LintelConfig);
const now = Date.now();
const claims: TokenClaims = {
  userId: 'a'.repeat(32), methods: ['password'], auditIds: ['b'.repeat(22)],
  issuedAt: now, expiresAt: Math.floor(now / 1000) * 1000 + 3600_000, scope: { project: 'c'.repeat(32) },
};

before(async () => {
  await repo.setup();
  await provider.reload();
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** What any JWT library holding our published JWKS makes of a token. */
async function verifyWithJose(token: string) {
  return jwtVerify(token, createLocalJWKSet(await repo.jwks()), { algorithms: ['ES256'] });
}

test('tokens signed with node:crypto are compact ES256 JWS that jose verifies, with the primary kid and every claim', async () => {
  const token = await provider.mint(claims);
  const { protectedHeader, payload } = await verifyWithJose(token);
  assert.deepEqual(protectedHeader, { alg: 'ES256', kid: (await repo.load()).primary.kid, typ: 'JWT' });
  assert.deepEqual(payload, {
    sub: claims.userId, iat: now / 1000, exp: Math.floor(claims.expiresAt / 1000), openstack_methods: ['password'],
    openstack_audit_ids: claims.auditIds, openstack_project_id: claims.scope && 'project' in claims.scope ? claims.scope.project : undefined,
  });
  assert.equal(token.split('.')[2]!.length, 86, 'a 64-byte r||s signature, not DER');
  assert.deepEqual(await provider.verify(token), claims);
});

test('a changed payload or signature is refused', async () => {
  const [h, p, s] = (await provider.mint(claims)).split('.');
  const other = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(p!, 'base64url').toString()), sub: 'd'.repeat(32) })).toString('base64url');
  await assert.rejects(provider.verify(`${h}.${other}.${s}`), TokenFormatError);
  const flipped = `${s!.slice(0, 10)}${s![10] === 'A' ? 'B' : 'A'}${s!.slice(11)}`;
  await assert.rejects(provider.verify(`${h}.${p}.${flipped}`), TokenFormatError);
  await assert.rejects(verifyWithJose(`${h}.${p}.${flipped}`));
});

test('after a rotation new tokens carry the new primary kid, and tokens of the old primary still verify', async () => {
  const old = await provider.mint(claims);
  const oldKid = decodeProtectedHeader(old).kid;
  await repo.rotate();
  await provider.reload();
  const fresh = await provider.mint(claims);
  const freshKid = decodeProtectedHeader(fresh).kid;
  assert.notEqual(freshKid, oldKid);
  assert.equal(freshKid, (await repo.load()).primary.kid);
  for (const t of [old, fresh]) {
    assert.deepEqual(await provider.verify(t), claims);
    await verifyWithJose(t);
  }
});

test('a JWS of another type is never a token, and a token never verifies as that type', async () => {
  const typ = 'openstack-auth-receipt+jwt';
  // A payload that would read as a token's, to show that the type alone keeps them apart.
  const asToken = { sub: claims.userId, iat: now / 1000, exp: Math.floor(claims.expiresAt / 1000), openstack_methods: ['password'], openstack_audit_ids: claims.auditIds };
  const typed = provider.signTyped(typ, asToken);
  assert.equal(decodeProtectedHeader(typed).typ, typ);
  assert.deepEqual(await provider.verifyTyped(typed, typ), asToken);
  await assert.rejects(provider.verify(typed), TokenFormatError);
  const token = await provider.mint(claims);
  await assert.rejects(provider.verifyTyped(token, typ), TokenFormatError);
  await assert.rejects(provider.verifyTyped(typed, 'other+jwt'), TokenFormatError);
  assert.throws(() => provider.signTyped('JWT', asToken));
  // The header is signed: relabelling a token's type breaks its signature.
  const [, p, s] = token.split('.');
  const relabelled = Buffer.from(JSON.stringify({ alg: 'ES256', kid: decodeProtectedHeader(token).kid, typ })).toString('base64url');
  await assert.rejects(provider.verifyTyped(`${relabelled}.${p}.${s}`, typ), TokenFormatError);
});

test('signatures are minted low-S (s <= n/2) and still verify anywhere; the high-S twin of a token is refused (I1)', async () => {
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const sOf = (sig: Buffer) => BigInt(`0x${sig.subarray(32).toString('hex')}`);
  for (let i = 0; i < 64; i++) {
    const token = await provider.mint({ ...claims, auditIds: [String(i).padStart(22, 'x')] });
    const [h, p, s] = token.split('.') as [string, string, string];
    const sig = Buffer.from(s, 'base64url');
    assert.ok(sOf(sig) <= n / 2n, 'minted high-S');
    await verifyWithJose(token);
    const twinS = Buffer.from((n - sOf(sig)).toString(16).padStart(64, '0'), 'hex');
    const twin = `${h}.${p}.${Buffer.concat([sig.subarray(0, 32), twinS]).toString('base64url')}`;
    await verifyWithJose(twin); // a valid ECDSA signature to a library that allows malleability
    await assert.rejects(provider.verify(twin), TokenFormatError);
  }
});

test('isLowS reads s from the text: n/2 and below pass, above does not, whatever the first byte', () => {
  const n = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
  const token = (s: bigint) => `h.p.${Buffer.concat([Buffer.alloc(32, 7), Buffer.from(s.toString(16).padStart(64, '0'), 'hex')]).toString('base64url')}`;
  for (const s of [0n, 1n, n / 2n - 1n, n / 2n, 0x7e00n << 240n]) assert.equal(isLowS(token(s)), true, s.toString(16));
  for (const s of [n / 2n + 1n, n - 1n, 0x80n << 248n, (0x7fn << 248n) | ((1n << 248n) - 1n)]) assert.equal(isLowS(token(s)), false, s.toString(16));
  assert.equal(isLowS('h.p.short'), false);
});
