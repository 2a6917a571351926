import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { CredentialService } from '@lintel/domain';
import { createMariaDb, type TestDatabase } from '../helpers/databases.js';
import { startIdentity, type Harness } from '../helpers/lintel.js';
import { freePort } from '../helpers/processes.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

const mysqlUrl = process.env.LINTEL_TEST_MYSQL_URL;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Alibaba's endpoint while MariaDB is away (a TCP proxy the test cuts): answers stay Alibaba
 * errors (503 ServiceUnavailable), never a 500, and service resumes once the database returns.
 */
describe('Alibaba during a database outage (MariaDB behind a TCP proxy)', { skip: mysqlUrl ? false : 'LINTEL_TEST_MYSQL_URL not set' }, () => {
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
    h = await startIdentity({ ...db, url: viaProxy.toString() });
  });

  after(async () => {
    await proxy?.cut();
    await h?.close().catch(() => undefined);
    await db?.drop();
  });

  test('503 ServiceUnavailable in Alibaba\'s shape while the database is down; recovery after', async () => {
    const key = { ak: 'LTAIoutage0000000000000A', sk: 'outage-secret-00000000000000A' };
    await h.multicloud.get(CredentialService).create({ userId: h.adminUserId, projectId: h.adminProjectId, type: 'ec2', issuer: 'alibaba', blob: JSON.stringify({ access: key.ak, secret: key.sk }) });
    const pop = new RPCClient({ accessKeyId: key.ak, accessKeySecret: key.sk, endpoint: h.multicloudUrl, apiVersion: '2019-08-15' });
    const attempt = async (): Promise<{ ok: boolean; code?: string; status?: number }> => {
      try {
        await pop.request('ListAccessKeys', {}, { method: 'POST' });
        return { ok: true };
      } catch (e: any) {
        return { ok: false, code: e.code, status: e.entry?.response?.statusCode };
      }
    };
    assert.deepEqual(await attempt(), { ok: true });
    await proxy.cut();
    let saw503 = false;
    const until = Date.now() + 3000;
    while (Date.now() < until) {
      const r = await attempt();
      assert.notEqual(r.status, 500, `a 500 during the outage: ${r.code}`);
      if (!r.ok) {
        assert.ok(r.code, 'an Alibaba error body');
        if (r.status === 503) {
          assert.equal(r.code, 'ServiceUnavailable');
          saw503 = true;
        }
      }
      await sleep(100);
    }
    assert.ok(saw503, 'no 503 seen');
    await proxy.start();
    const back = Date.now();
    let ok = false;
    while (!ok && Date.now() - back < 5000) {
      const r = await attempt();
      assert.notEqual(r.status, 500);
      ok = r.ok;
      if (!ok) await sleep(100);
    }
    assert.ok(ok, 'service did not resume within 5 s of the database returning');
  });
});
