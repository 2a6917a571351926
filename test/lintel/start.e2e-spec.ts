import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { call, passwordAuth } from '../helpers/keystone.js';
import { startLintelProcess } from '../helpers/lintel.js';
import { runNode, scripts } from '../helpers/processes.js';

/** `npm start`'s process as a new user runs it: first start, restart, bad configuration. */
describe('all-in-one process (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-start-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  // As a new user starts it: no admin password given (the first start makes one).
  const env = { LINTEL_DATA_DIR: dir, LINTEL_DATABASE_URL: `sqlite:${join(dir, 'lintel.sqlite')}`, LINTEL_BCRYPT_ROUNDS: '4' };

  test('first start migrates, bootstraps, saves a generated admin password 0600 and never logs it; a restart keeps it', async () => {
    for (let run = 0; run < 2; run++) {
      const { proc: p, url: identity } = await startLintelProcess(env);
      try {
        const file = join(dir, 'admin-password');
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const password = readFileSync(file, 'utf8').trim();
        assert.ok(password.length >= 16);
        const r = await call(identity, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, password, { project: { name: 'admin', domain: { id: 'default' } } }) });
        assert.equal(r.status, 201);
        // The log says where the password is.
        if (run === 0) await p.waitForOutput(file);
        const out = p.output();
        assert.ok(!out.includes(password), 'the admin password reached the log');
        assert.ok(!out.includes(r.headers.get('x-subject-token')!.split('.')[2]!), 'a token reached the log');
      } finally {
        assert.equal(await p.stop('SIGTERM'), 0, 'SIGTERM ends the process cleanly');
      }
    }
  });

  test('a bad variable stops the start with a message naming it, and no stack trace', async () => {
    const r = await runNode(scripts.lintel, [], { ...env, LINTEL_IDENTITY_PORT: 'five-thousand' });
    assert.equal(r.code, 2);
    assert.match(r.output, /LINTEL_IDENTITY_PORT/);
    assert.doesNotMatch(r.output, /\n\s+at /);
  });

  test('a bad policy file stops the start naming each bad rule, its line and the character', async () => {
    const file = join(dir, 'policy.yaml');
    writeFileSync(file, '"identity:get_user": "role:admin or"\n"identity:list_users": "rule:no_such_rule"\n');
    const r = await runNode(scripts.lintel, [], { ...env, LINTEL_POLICY_FILE: file });
    assert.equal(r.code, 2);
    assert.match(r.output, /rule "identity:get_user" \(line 1\): the rule ends where a check was expected at character 14 of its check string/);
    assert.doesNotMatch(r.output, /\n\s+at /);
    writeFileSync(file, '"identity:list_users": "rule:no_such_rule"\n');
    const r2 = await runNode(scripts.lintel, [], { ...env, LINTEL_POLICY_FILE: file });
    assert.equal(r2.code, 2);
    assert.match(r2.output, /rule "identity:list_users" \(line 1\): rule:no_such_rule at character 1 names no rule/);
  });

  test('a policy file is enforced: an operator\'s rule replaces Keystone\'s default of the same name', async () => {
    const file = join(dir, 'policy-ok.yaml');
    writeFileSync(file, '# only system readers list domains\n"identity:list_domains": "role:reader and system_scope:all"\n');
    const { proc: p, url: identity } = await startLintelProcess({ ...env, LINTEL_POLICY_FILE: file, LINTEL_ADMIN_PASSWORD: 'policy-admin-pw-1' });
    try {
      const login = await call(identity, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, 'policy-admin-pw-1', { project: { name: 'admin', domain: { id: 'default' } } }) });
      const token = login.headers.get('x-subject-token')!;
      const r = await call(identity, 'GET', '/v3/domains', { token });
      assert.equal(r.status, 403, 'the project admin passes Keystone\'s default but not the file\'s rule');
      assert.equal(r.body.error.message, 'You are not authorized to perform the requested action: identity:list_domains.');
      assert.equal((await call(identity, 'GET', '/v3/projects', { token })).status, 200, 'other rules keep their defaults');
    } finally {
      assert.equal(await p.stop('SIGTERM'), 0);
    }
  });
});
