import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mariadbKind, skipWithoutMariaDb } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, logCaughtUp, useIdentityProcesses } from '../helpers/lintel.js';
import { runNode, scripts } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';

/**
 * Two real identity processes on one MariaDB and one key repository, set up with the manage
 * CLI as an operator would: a revocation made through one is honoured by the other within 2 s,
 * and a key rotation keeps every live token valid on both.
 */
describe('two identity processes on one MariaDB', { skip: skipWithoutMariaDb }, () => {
  const ctx = useIdentityProcesses(mariadbKind(), 2, { LINTEL_REVOCATION_REFRESH_MS: '500', LINTEL_LOG_LEVEL: 'info' });
  let a: string;
  let b: string;
  before(() => {
    [a, b] = ctx.procs.map((p) => p.url) as [string, string];
  });

  test('manage commands are idempotent', async () => {
    for (const args of [['db', 'migrate'], ['token-keys', 'setup'], ['bootstrap']]) {
      const r = await runNode(scripts.manage, args, ctx.env);
      assert.equal(r.code, 0, r.output);
    }
  });

  test('a token revoked on A is refused by B within 2 seconds', async () => {
    const admin = (await issue(a, adminProjectAuth())).id;
    const victim = (await issue(a, passwordAuth({ name: 'admin' }, ADMIN_PASSWORD))).id;
    assert.equal((await call(b, 'GET', '/v3/auth/tokens', { token: admin, subject: victim })).status, 200);
    assert.equal((await call(a, 'DELETE', '/v3/auth/tokens', { token: admin, subject: victim })).status, 204);
    const status = await eventually(async () => (await call(b, 'GET', '/v3/auth/tokens', { token: admin, subject: victim })).status, (s) => s !== 200, { timeoutMs: 2000 });
    assert.equal(status, 404, 'B still accepted the revoked token after 2 s');
    assert.equal((await call(b, 'GET', '/v3/auth/projects', { token: victim })).status, 401);
  });

  test('key rotation by the CLI keeps live tokens valid on both processes and new tokens verify on both', async () => {
    const before_ = (await issue(a, adminProjectAuth())).id;
    const r = await runNode(scripts.manage, ['token-keys', 'rotate'], ctx.env);
    assert.equal(r.code, 0, r.output);
    // B has not reloaded yet: it still signs with the old primary, A may too; all must verify everywhere.
    const fromB = (await issue(b, adminProjectAuth())).id;
    for (const host of [a, b]) {
      for (const t of [before_, fromB]) assert.equal((await call(host, 'GET', '/v3/auth/tokens', { token: t, subject: t })).status, 200);
    }
  });

  test('no password or token in either process\'s log', async () => {
    const admin = (await issue(a, adminProjectAuth())).id;
    await call(b, 'GET', '/v3/auth/tokens', { token: admin, subject: 'garbage' });
    await call(a, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, 'wrong-password-xyz') });
    const r = await call(a, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, 'wrong-password-xyz') });
    assert.equal(r.status, 401);
    assert.ok((await logCaughtUp(ctx.procs[0]!)).includes('authentication failed'), 'the failure is logged');
    for (const p of ctx.procs) {
      const out = await logCaughtUp(p);
      assert.ok(!out.includes(ADMIN_PASSWORD) && !out.includes('wrong-password-xyz'), 'a password reached the log');
      assert.ok(!out.includes(admin.split('.')[2]!), 'a token reached the log');
      for (const line of out.trim().split('\n')) if (line.startsWith('{')) assert.doesNotThrow(() => JSON.parse(line));
    }
  });
});
