import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { mariadbBehindProxy, skipWithoutMariaDb } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, useLintel, type Harness } from '../helpers/lintel.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually } from '../helpers/wait.js';

/**
 * The identity app talks to MariaDB through a proxy the test cuts: while the database is away
 * every answer is a Keystone 503 (never a 500, never a stale token accepted past the bound), and
 * service comes back by itself once the database returns.
 */
describe('database outage (MariaDB behind a TCP proxy)', { skip: skipWithoutMariaDb }, () => {
  const ctx = useLintel(mariadbBehindProxy(), { LINTEL_REVOCATION_REFRESH_MS: '200' });
  let h: Harness;
  let proxy: TcpProxy;
  before(() => {
    ({ h, db: { proxy } } = ctx);
  });

  test('503 in Keystone format while the database is down, recovery within 5 s of its return', async () => {
    const admin = (await issue(h.url, adminProjectAuth())).id;
    await proxy.cut();
    const statuses = new Set<number>();
    // Until both a login and a validation of a cached token are refused (past the revocation
    // bound, the cache must not answer for the database); never a 500 meanwhile.
    const outage = await eventually(async () => {
      const rs = [
        await call(h.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, ADMIN_PASSWORD) }),
        await call(h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: admin }),
      ];
      for (const r of rs) {
        statuses.add(r.status);
        assert.notEqual(r.status, 500, `a 500 during the outage: ${r.text}`);
      }
      return rs;
    }, (rs) => rs.every((r) => r.status === 503), { timeoutMs: 5000, intervalMs: 100 });
    assert.deepEqual(outage.map((r) => r.status), [503, 503], `statuses seen: ${[...statuses]}`);
    for (const r of outage) assert.deepEqual(r.body, { error: { code: 503, title: 'Service Unavailable', message: r.body.error.message } });
    assert.ok(outage[0]!.body.error.message, 'a message');
    const ready = await call(h.url, 'GET', '/readyz');
    assert.equal(ready.status, 503, 'not ready while the database is away');
    assert.equal(ready.body.checks.database, false);
    // Every multicloud dialect answers in its own format, never a 500.
    const soda = await call(h.multicloudUrl, 'GET', `/v1/${h.adminProjectId}/aksks/${h.adminUserId}`, { token: admin });
    assert.equal(soda.status, 503, soda.text);
    assert.match(soda.headers.get('content-type') ?? '', /^text\/plain/);
    const edgio = await call(h.multicloudUrl, 'POST', '/jsonrpc2', { body: { jsonrpc: '2.0', id: 7, method: 'login', params: ['admin', ADMIN_PASSWORD] } });
    assert.notEqual(edgio.status, 500, edgio.text);
    assert.equal(edgio.body.jsonrpc, '2.0');
    assert.equal(edgio.body.id, 7);
    assert.ok(edgio.body.error, edgio.text);
    const osc = await call(h.multicloudUrl, 'POST', '/api/v1/ReadAccessKeys', {
      body: {}, headers: { Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`, 'X-Osc-Date': new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '') },
    });
    assert.notEqual(osc.status, 500, osc.text);
    assert.ok(Array.isArray(osc.body?.Errors), osc.text);
    // Past the revocation bound, a cached token must not validate any more.
    const stale = await call(h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: admin });
    assert.equal(stale.status, 503);

    await proxy.start();
    const resumed = await eventually(async () => {
      const r = await call(h.url, 'POST', '/v3/auth/tokens', { body: adminProjectAuth() });
      assert.notEqual(r.status, 500, r.text);
      return r.status;
    }, (status) => status === 201, { timeoutMs: 5000, intervalMs: 100 });
    assert.equal(resumed, 201, 'service did not resume within 5 s of the database returning');
    assert.equal((await call(h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: admin })).status, 200);
  });
});
