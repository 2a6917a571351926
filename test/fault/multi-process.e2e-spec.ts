import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMariaDb, type TestDatabase } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, testEnv } from '../helpers/lintel.js';
import { freePort, runNode, scripts, startNode, waitForHttp, type Proc } from '../helpers/processes.js';

const mysqlUrl = process.env.LINTEL_TEST_MYSQL_URL;

/**
 * Two real identity processes on one MariaDB and one key repository, set up with the manage
 * CLI as an operator would: a revocation made through one is honoured by the other within 2 s,
 * and a key rotation keeps every live token valid on both.
 */
describe('two identity processes on one MariaDB', { skip: mysqlUrl ? false : 'LINTEL_TEST_MYSQL_URL not set' }, () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  const procs: Proc[] = [];
  let a: string;
  let b: string;

  before(async () => {
    db = await createMariaDb(mysqlUrl!);
    env = testEnv(db, { LINTEL_REVOCATION_REFRESH_MS: '500', LINTEL_LOG_LEVEL: 'info' });
    for (const args of [['db', 'migrate'], ['token-keys', 'setup'], ['credential-keys', 'setup'], ['bootstrap']]) {
      const r = await runNode(scripts.manage, args, env);
      assert.equal(r.code, 0, `manage ${args.join(' ')} failed: ${r.output}`);
    }
    const ports = [await freePort(), await freePort()];
    for (const port of ports) procs.push(startNode(scripts.identity, [], { ...env, LINTEL_IDENTITY_PORT: String(port) }));
    [a, b] = ports.map((p) => `http://127.0.0.1:${p}`) as [string, string];
    await Promise.all([waitForHttp(`${a}/v3`), waitForHttp(`${b}/v3`)]);
  });

  after(async () => {
    await Promise.all(procs.map((p) => p.stop()));
    await db?.drop();
  });

  test('manage commands are idempotent', async () => {
    for (const args of [['db', 'migrate'], ['token-keys', 'setup'], ['bootstrap']]) {
      const r = await runNode(scripts.manage, args, env);
      assert.equal(r.code, 0, r.output);
    }
  });

  test('a token revoked on A is refused by B within 2 seconds', async () => {
    const admin = (await issue(a, adminProjectAuth())).id;
    const victim = (await issue(a, passwordAuth({ name: 'admin' }, ADMIN_PASSWORD))).id;
    assert.equal((await call(b, 'GET', '/v3/auth/tokens', { token: admin, subject: victim })).status, 200);
    assert.equal((await call(a, 'DELETE', '/v3/auth/tokens', { token: admin, subject: victim })).status, 204);
    const revokedAt = Date.now();
    let status = 200;
    while (status === 200 && Date.now() - revokedAt < 2000) {
      status = (await call(b, 'GET', '/v3/auth/tokens', { token: admin, subject: victim })).status;
      if (status === 200) await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(status, 404, 'B still accepted the revoked token after 2 s');
    assert.equal((await call(b, 'GET', '/v3/auth/projects', { token: victim })).status, 401);
  });

  test('key rotation by the CLI keeps live tokens valid on both processes and new tokens verify on both', async () => {
    const before_ = (await issue(a, adminProjectAuth())).id;
    const r = await runNode(scripts.manage, ['token-keys', 'rotate'], env);
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
    await new Promise((res) => setTimeout(res, 200));
    assert.ok(procs[0]!.output().includes('authentication failed'), `the failure is logged: ${procs[0]!.output().slice(-600)}`);
    for (const p of procs) {
      const out = p.output();
      assert.ok(!out.includes(ADMIN_PASSWORD) && !out.includes('wrong-password-xyz'), 'a password reached the log');
      assert.ok(!out.includes(admin.split('.')[2]!), 'a token reached the log');
      for (const line of out.trim().split('\n')) if (line.startsWith('{')) assert.doesNotThrow(() => JSON.parse(line));
    }
  });
});
