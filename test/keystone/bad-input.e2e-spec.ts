import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/** Every admin route: unknown ids 404, wrong types 400, broken JSON 400, 413 over 64 KiB, duplicates 409. */
for (const kind of databaseKinds()) {
  describe(`admin API bad input (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let admin: string;

    before(async () => {
      h = ctx.h;
      admin = (await issue(h.url, adminProjectAuth())).id;
    });

    const collections: Array<[string, string, Record<string, unknown>]> = [
      ['users', 'user', { name: 'dup-user' }], ['projects', 'project', { name: 'dup-project' }], ['domains', 'domain', { name: 'dup-domain' }],
      ['roles', 'role', { name: 'dup-role' }], ['groups', 'group', { name: 'dup-group' }],
    ];

    test('creates: wrong types, missing name, broken JSON, oversized, duplicates', async () => {
      for (const [path, member, good] of collections) {
        const post = (body: unknown) => call(h.url, 'POST', `/v3/${path}`, { token: admin, body });
        for (const body of [{ [member]: { name: 7 } }, { [member]: {} }, { [member]: [] }, { [member]: { name: 'x', description: 5 } }, { other: {} }]) {
          keystoneError(await post(body), 400);
        }
        keystoneError(await call(h.url, 'POST', `/v3/${path}`, { token: admin, raw: `{"${member}": {`, headers: { 'Content-Type': 'application/json' } }), 400);
        keystoneError(await post({ [member]: { name: 'big', description: 'x'.repeat(70 * 1024) } }), 413);
        assert.equal((await post({ [member]: good })).status, 201, path);
        keystoneError(await post({ [member]: good }), 409);
      }
    });

    test('unknown ids: 404 on get, patch and delete of every collection', async () => {
      for (const [path, member] of collections) {
        for (const [method, body] of [['GET', undefined], ['PATCH', { [member]: { description: 'x' } }], ['DELETE', undefined]] as const) {
          const e = keystoneError(await call(h.url, method, `/v3/${path}/ffffffffffffffffffffffffffffffff`, { token: admin, body }), 404);
          assert.equal(e.message, `Could not find ${member}: ffffffffffffffffffffffffffffffff.`);
        }
      }
      keystoneError(await call(h.url, 'PUT', `/v3/groups/nope/users/${h.adminUserId}`, { token: admin }), 404);
      keystoneError(await call(h.url, 'PUT', `/v3/domains/nope/users/${h.adminUserId}/roles/nope`, { token: admin }), 404);
      keystoneError(await call(h.url, 'GET', '/v3/users/nope/groups', { token: admin }), 404);
    });

    test('patches: wrong types, empty bodies, changed ids', async () => {
      const u = (await call(h.url, 'POST', '/v3/users', { token: admin, body: { user: { name: 'patchy' } } })).body.user;
      for (const body of [{ user: {} }, { user: { enabled: 'no' } }, { user: { id: 'other' } }, { user: { name: '' } }, { user: { options: { x: true } } }]) {
        keystoneError(await call(h.url, 'PATCH', `/v3/users/${u.id}`, { token: admin, body }), 400);
      }
      assert.equal((await call(h.url, 'GET', `/v3/users/${u.id}`, { token: admin })).body.user.name, 'patchy', 'nothing was written');
    });
  });
}
