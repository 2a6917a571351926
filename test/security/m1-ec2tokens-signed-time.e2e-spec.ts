import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, keystoneError } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { ec2tokens, HOUR, keyOwner, sigV2Get, sigV4Post, YEAR, type KeyOwner } from './fixtures.js';

/**
 * M1 (docs/security.md): `/v3/ec2tokens` decides freshness on the time that was signed, and only
 * on it; a signature must carry a signed time within LINTEL_CREDENTIAL_AUTH_TTL of now, before
 * or after.
 */
for (const kind of databaseKinds()) {
  describe(`security M1: ec2tokens checks the signed time (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { adminToken } = adminCalls(ctx);
    let key: KeyOwner;

    before(async () => {
      key = await keyOwner(ctx.h, adminToken(), 'm1-owner');
    });

    const exchange = (credentials: unknown) => ec2tokens(ctx.h, adminToken(), credentials);

    test('a fresh SigV4 POST is exchanged (control)', async () => {
      const r = await exchange(await sigV4Post(key, new Date()));
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.token.user.id, key.userId);
    });

    test('a SigV4 POST signed 5 hours ago is refused, also with an unsigned params.Timestamp of now', async () => {
      const old = await sigV4Post(key, new Date(Date.now() - 5 * HOUR));
      keystoneError(await exchange(old), 401);
      keystoneError(await exchange({ ...old, params: { ...old.params, Timestamp: new Date().toISOString() } }), 401);
    });

    test('a SigV4 POST signed 10 years ahead is refused; 5 minutes ahead (clock skew) is not', async () => {
      keystoneError(await exchange(await sigV4Post(key, new Date(Date.now() + 10 * YEAR))), 401);
      keystoneError(await exchange(await sigV4Post(key, new Date(Date.now() + 2 * HOUR))), 401);
      const r = await exchange(await sigV4Post(key, new Date(Date.now() + 5 * 60_000)));
      assert.equal(r.status, 200, r.text);
    });

    test('SignatureVersion 2: Timestamp signed and fresh passes; none, 10 years ahead or 5 hours old does not', async () => {
      const r = await exchange(sigV2Get(key, { Timestamp: new Date().toISOString() }));
      assert.equal(r.status, 200, r.text);
      keystoneError(await exchange(sigV2Get(key, {})), 401);
      keystoneError(await exchange(sigV2Get(key, { Timestamp: new Date(Date.now() + 10 * YEAR).toISOString() })), 401);
      keystoneError(await exchange(sigV2Get(key, { Timestamp: new Date(Date.now() - 5 * HOUR).toISOString() })), 401);
    });

    test('SignatureVersion 2 with only Expires (no signed request time) is refused', async () => {
      keystoneError(await exchange(sigV2Get(key, { Expires: new Date(Date.now() + 10 * YEAR).toISOString() })), 401);
    });
  });
}
