import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createMariaDb, type TestDatabase } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, startIdentity, type Harness } from '../helpers/lintel.js';
import { freePort } from '../helpers/processes.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const mysqlUrl = process.env.LINTEL_TEST_MYSQL_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The identity app talks to MariaDB through a proxy the test cuts: while the database is away
 * every answer is a Keystone 503 (never a 500, never a stale token accepted past the bound), and
 * service comes back by itself once the database returns.
 */
describe('database outage (MariaDB behind a TCP proxy)', { skip: mysqlUrl ? false : 'LINTEL_TEST_MYSQL_URL not set' }, () => {
  let db: TestDatabase;
  let h: Harness;
  let proxy: TcpProxy;

  before(async () => {
    db = await createMariaDb(mysqlUrl!);
    const target = new URL(db.url);
    proxy = new TcpProxy(await freePort(), target.hostname, Number(target.port || 3306));
    await proxy.start();
    const viaProxy = new URL(db.url);
    viaProxy.port = String(proxy.port);
    h = await startIdentity({ ...db, url: viaProxy.toString() }, { LINTEL_REVOCATION_REFRESH_MS: '200' });
  });

  after(async () => {
    await proxy?.cut();
    await h?.close().catch(() => undefined);
    await db?.drop();
  });

  test('503 in Keystone format while the database is down, recovery within 5 s of its return', async () => {
    const admin = (await issue(h.url, adminProjectAuth())).id;
    await proxy.cut();
    const statuses = new Set<number>();
    const until = Date.now() + 3000;
    let sawOutage = false;
    while (Date.now() < until) {
      for (const r of [
        await call(h.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, ADMIN_PASSWORD) }),
        await call(h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: admin }),
      ]) {
        statuses.add(r.status);
        assert.notEqual(r.status, 500, `a 500 during the outage: ${r.text}`);
        if (r.status === 503) {
          sawOutage = true;
          assert.deepEqual(Object.keys(r.body), ['error']);
          assert.equal(r.body.error.code, 503);
          assert.equal(r.body.error.title, 'Service Unavailable');
        }
      }
      await sleep(100);
    }
    assert.ok(sawOutage, `no 503 seen: ${[...statuses]}`);
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
    const back = Date.now();
    let ok = false;
    while (!ok && Date.now() - back < 5000) {
      const r = await call(h.url, 'POST', '/v3/auth/tokens', { body: adminProjectAuth() });
      assert.notEqual(r.status, 500, r.text);
      ok = r.status === 201;
      if (!ok) await sleep(100);
    }
    assert.ok(ok, 'service did not resume within 5 s of the database returning');
    assert.equal((await call(h.url, 'GET', '/v3/auth/tokens', { token: admin, subject: admin })).status, 200);
  });
});
