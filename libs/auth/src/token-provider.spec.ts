import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import type { LintelConfig } from '@lintel/config';
import { TokenKeyRepository } from './token-key-repository.js';
import { TokenFormatError, TokenProvider } from './token-provider.js';
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
