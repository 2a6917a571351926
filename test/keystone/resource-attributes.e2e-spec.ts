import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, call, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/** User and service attributes as Keystone shows them (docs/keystone-resources-parity.md, "Users", "Services"). */
for (const kind of databaseKinds()) {
  describe(`Keystone user and service attributes (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    const { api, created } = adminCalls(ctx);

    before(() => {
      h = ctx.h;
    });

    describe('users', () => {
      test('"password": null creates a user without a password; options are {} until set, null takes one away', async () => {
        const u = await created('/v3/users', { user: { name: 'no-password', password: null } });
        assert.deepEqual(u.options, {});
        assert.equal('password' in u, false);
        keystoneError(await call(h.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'no-password' }, 'anything') }), 401);
        const set = await api('PATCH', `/v3/users/${u.id}`, { user: { options: { ignore_password_expiry: true } } });
        assert.deepEqual(set.body.user.options, { ignore_password_expiry: true });
        const unset = await api('PATCH', `/v3/users/${u.id}`, { user: { options: { ignore_password_expiry: null } } });
        assert.deepEqual(unset.body.user.options, {});
        assert.deepEqual((await api('GET', `/v3/users/${u.id}`)).body.user.options, {});
        assert.deepEqual((await created('/v3/users', { user: { name: 'null-option', options: { lock_password: null } } })).options, {});
        assert.equal(keystoneError(await api('PATCH', `/v3/users/${u.id}`, { user: { options: { lock_password: 'yes' } } }), 400).message,
          "Invalid input for field 'options/lock_password': 'yes' is not of type 'boolean', 'null'");
      });

      test('default_project_id: any id but a domain\'s (400), as Keystone', async () => {
        assert.equal(keystoneError(await api('POST', '/v3/users', { user: { name: 'dp-domain', default_project_id: 'default' } }), 400).message,
          "User's default project ID cannot be a domain ID: default");
        const u = await created('/v3/users', { user: { name: 'dp-missing', default_project_id: 'no-such-project' } });
        assert.equal(u.default_project_id, 'no-such-project');
        assert.equal(keystoneError(await api('PATCH', `/v3/users/${u.id}`, { user: { default_project_id: 'default' } }), 400).message,
          "User's default project ID cannot be a domain ID: default");
        const fixed = await api('PATCH', `/v3/users/${u.id}`, { user: { default_project_id: h.adminProjectId } });
        assert.equal(fixed.body.user.default_project_id, h.adminProjectId);
        assert.equal('default_project_id' in (await api('PATCH', `/v3/users/${u.id}`, { user: { default_project_id: null } })).body.user, false);
        assert.equal((await api('GET', '/v3/users?name=dp-domain')).body.users.length, 0);
      });
    });

    test('a service created without a description has no description key', async () => {
      const s = await created('/v3/services', { service: { type: 'parity', name: 'parity-svc' } });
      assert.equal('description' in s, false);
      assert.equal('description' in (await api('GET', `/v3/services/${s.id}`)).body.service, false);
      const d = await created('/v3/services', { service: { type: 'parity', description: 'with' } });
      assert.equal(d.description, 'with');
    });
  });
}
