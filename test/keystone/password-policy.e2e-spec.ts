import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/** Keystone's PCI-DSS password options, each failing with the rule it broke (docs/keystone.md, "Passwords and lockout"). */
for (const kind of databaseKinds()) {
  describe(`password policy (${kind.kind})`, () => {
    const ctx = useLintel(kind, {
      LINTEL_PASSWORD_REGEX: '^(?=.*[a-zA-Z])[^ ]{8,}$',
      LINTEL_PASSWORD_REGEX_DESCRIPTION: 'at least 8 characters, a letter, no spaces',
      LINTEL_UNIQUE_LAST_PASSWORD_COUNT: '3',
      LINTEL_MINIMUM_PASSWORD_AGE: '1',
      LINTEL_PASSWORD_EXPIRES_DAYS: '90',
      LINTEL_CHANGE_PASSWORD_UPON_FIRST_USE: 'true',
      LINTEL_REVOCATION_REFRESH_MS: '100',
    });
    let h: Harness;
    let base: string;
    let admin: string;

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
    });

    const create = (name: string, password: string, options?: object) =>
      call(base, 'POST', '/v3/users', { token: admin, body: { user: { name, password, ...(options ? { options } : {}) } } });

    test('password_regex: the description names the rule', async () => {
      const e = keystoneError(await create('weak', 'short'), 400);
      assert.equal(e.message, 'Password validation error: The password does not match the requirements: at least 8 characters, a letter, no spaces.');
    });

    test('change_password_upon_first_use: an administrator-set password is already expired; the user changes it', async () => {
      const u = (await create('kim', 'first-pass-1')).body.user;
      assert.ok(u.password_expires_at, 'the first password is expired from the start');
      const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'kim' }, 'first-pass-1') }), 401);
      assert.equal(e.message, `The password is expired and needs to be changed for user: ${u.id}.`);
      // The user can get no token, yet changes the password with the expired one (docs/keystone.md, "Users").
      keystoneError(await call(base, 'POST', `/v3/users/${u.id}/password`, { body: { user: { original_password: 'wrong-pass-9', password: 'second-pass-2' } } }), 401);
      const changed = await call(base, 'POST', `/v3/users/${u.id}/password`, { body: { user: { original_password: 'first-pass-1', password: 'second-pass-2' } } });
      assert.equal(changed.status, 204, changed.text);
      assert.equal((await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'kim' }, 'second-pass-2') })).status, 201);
      const opted = (await create('lee', 'lee-pass-1', { ignore_change_password_upon_first_use: true })).body.user;
      const t = await issue(base, passwordAuth({ name: 'lee' }, 'lee-pass-1'));
      assert.ok(t.body.token.user.password_expires_at, 'password_expires_days still applies');
      assert.ok(Date.parse(`${t.body.token.user.password_expires_at}Z`) > Date.now() + 89 * 86400_000);
      assert.equal(opted.options.ignore_change_password_upon_first_use, true);
    });

    test('minimum_password_age and unique_last_password_count on self-service changes', async () => {
      const u = (await create('max', 'max-pass-1', { ignore_change_password_upon_first_use: true })).body.user;
      const token = () => issue(base, passwordAuth({ name: 'max' }, current)).then((t) => t.id);
      let current = 'max-pass-1';
      const change = async (next: string) => call(base, 'POST', `/v3/users/${u.id}/password`, { token: await token(), body: { user: { original_password: current, password: next } } });
      // an administrator-set password may be changed at once
      assert.equal((await change('max-pass-2')).status, 204);
      current = 'max-pass-2';
      const young = keystoneError(await change('max-pass-3'), 400);
      assert.match(young.message, /minimum password age/);
      // an administrator reset lifts the age rule; history still applies to the user's next change
      assert.equal((await call(base, 'PATCH', `/v3/users/${u.id}`, { token: admin, body: { user: { password: 'max-pass-4' } } })).status, 200);
      current = 'max-pass-4';
      const reused = keystoneError(await change('max-pass-2'), 400);
      assert.equal(reused.message, 'Password validation error: The new password cannot be identical to a previous password. The total number which includes the new password must be unique is 3.');
      assert.equal(keystoneError(await change('weak'), 400).message, 'Password validation error: The password does not match the requirements: at least 8 characters, a letter, no spaces.');
    });

    test('user options must be known names with boolean values', async () => {
      const unknown = keystoneError(await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'x1', options: { nope: true } } } }), 400);
      assert.equal(unknown.message, "Invalid input for field 'options': Additional properties are not allowed ('nope' was unexpected)");
      const notBoolean = keystoneError(await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'x2', options: { ignore_password_expiry: 'yes' } } } }), 400);
      assert.equal(notBoolean.message, "Invalid input for field 'options/ignore_password_expiry': 'yes' is not of type 'boolean', 'null'");
    });
  });
}
