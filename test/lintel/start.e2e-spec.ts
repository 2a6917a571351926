import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { call, passwordAuth } from '../helpers/keystone.js';
import { freePort, runNode, scripts, startNode, waitForHttp } from '../helpers/processes.js';

/** `npm start`'s process as a new user runs it: first start, restart, bad configuration. */
describe('all-in-one process (npm start)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-start-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const env = async () => ({
    LINTEL_DATA_DIR: dir,
    LINTEL_DATABASE_URL: `sqlite:${join(dir, 'lintel.sqlite')}`,
    LINTEL_IDENTITY_PORT: String(await freePort()),
    LINTEL_MULTICLOUD_PORT: String(await freePort()),
    LINTEL_BCRYPT_ROUNDS: '4',
  });

  test('first start migrates, bootstraps, saves a generated admin password 0600 and never logs it; a restart keeps it', async () => {
    for (let run = 0; run < 2; run++) {
      const e = await env();
      const p = startNode(scripts.lintel, [], e);
      const identity = `http://127.0.0.1:${e.LINTEL_IDENTITY_PORT}`;
      try {
        await waitForHttp(`${identity}/v3`);
        await waitForHttp(`http://127.0.0.1:${e.LINTEL_MULTICLOUD_PORT}/healthz`);
        const file = join(dir, 'admin-password');
        assert.equal(statSync(file).mode & 0o777, 0o600);
        const password = readFileSync(file, 'utf8').trim();
        assert.ok(password.length >= 16);
        const r = await call(identity, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, password, { project: { name: 'admin', domain: { id: 'default' } } }) });
        assert.equal(r.status, 201);
        const out = p.output();
        if (run === 0) assert.ok(out.includes(file), 'the log says where the password is');
        assert.ok(!out.includes(password), 'the admin password reached the log');
        assert.ok(!out.includes(r.headers.get('x-subject-token')!.split('.')[2]!), 'a token reached the log');
      } finally {
        assert.equal(await p.stop('SIGTERM'), 0, 'SIGTERM ends the process cleanly');
      }
    }
  });

  test('a bad variable stops the start with a message naming it, and no stack trace', async () => {
    const r = await runNode(scripts.lintel, [], { ...(await env()), LINTEL_IDENTITY_PORT: 'five-thousand' });
    assert.equal(r.code, 2);
    assert.match(r.output, /LINTEL_IDENTITY_PORT/);
    assert.doesNotMatch(r.output, /\n\s+at /);
  });
});
