import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { loadConfig } from '@lintel/config';
import { CredentialService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, keystoneError } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { keyOwner, type KeyOwner } from './fixtures.js';

const KIB = 1024;

/**
 * L6 (docs/security.md): `/v3/credentials` bounds a credential's blob and its extra attributes at
 * 16 KiB each (UTF-8 bytes, as every other resource's extras), on create and after a PATCH merges
 * extras; and a user holds at most LINTEL_CREDENTIAL_USER_LIMIT credentials, 500 unless set.
 */
describe('security L6: the default per-user credential limit', () => {
  test('500 unless set; -1 turns it off as Keystone\'s user_limit does', () => {
    assert.equal(loadConfig({}).credential.userLimit, 500);
    assert.equal(loadConfig({ LINTEL_CREDENTIAL_USER_LIMIT: '20' }).credential.userLimit, 20);
    assert.equal(loadConfig({ LINTEL_CREDENTIAL_USER_LIMIT: '-1' }).credential.userLimit, undefined);
    assert.throws(() => loadConfig({ LINTEL_CREDENTIAL_USER_LIMIT: '0' }), /LINTEL_CREDENTIAL_USER_LIMIT/);
  });
});

for (const kind of databaseKinds()) {
  describe(`security L6: credential sizes and count are bounded (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { api, adminToken } = adminCalls(ctx);
    let key: KeyOwner;

    before(async () => {
      key = await keyOwner(ctx.h, adminToken(), 'l6-owner');
    });

    const cert = (extra: Record<string, unknown> = {}, blob = 'x') => ({ credential: { type: 'cert', user_id: key.userId, blob, ...extra } });

    test('a 60 KB extra attribute is a 400; 15 KiB passes', async () => {
      const e = keystoneError(await api('POST', '/v3/credentials', cert({ notes: 'n'.repeat(60 * KIB) })), 400);
      assert.match(e.message, /16384 bytes/);
      assert.equal((await api('POST', '/v3/credentials', cert({ notes: 'n'.repeat(15 * KIB) }))).status, 201);
    });

    test('a blob over 16 KiB of UTF-8 is a 400, also when it is fewer characters', async () => {
      keystoneError(await api('POST', '/v3/credentials', cert({}, '\u20ac'.repeat(16 * KIB))), 400);
      keystoneError(await api('POST', '/v3/credentials', cert({}, 'b'.repeat(60 * KIB))), 400);
      assert.equal((await api('POST', '/v3/credentials', cert({}, 'b'.repeat(16 * KIB)))).status, 201);
    });

    test('PATCHes cannot grow the extras past the bound', async () => {
      const made = await api('POST', '/v3/credentials', cert());
      assert.equal(made.status, 201, made.text);
      const id = made.body.credential.id;
      assert.equal((await api('PATCH', `/v3/credentials/${id}`, { credential: { a: 'a'.repeat(10 * KIB) } })).status, 200);
      keystoneError(await api('PATCH', `/v3/credentials/${id}`, { credential: { b: 'b'.repeat(10 * KIB) } }), 400);
      const shown = await api('GET', `/v3/credentials/${id}`);
      assert.equal(shown.body.credential.b, undefined);
    });

    test('with no limit configured, the 501st credential of a user is refused (403 CredentialLimitExceeded)', async () => {
      const credentials = ctx.h.get(CredentialService);
      const have = (await credentials.list({ userId: key.userId })).length;
      for (let i = have; i < 500; i++) await credentials.create({ userId: key.userId, projectId: null, type: 'cert', blob: `c${i}`, issuer: 'keystone' });
      const e = keystoneError(await api('POST', '/v3/credentials', cert()), 403);
      assert.equal(e.message, 'Unable to create additional credentials, maximum of 500 already exceeded for user.');
    });
  });
}
