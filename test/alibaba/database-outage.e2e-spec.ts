import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import { CredentialService } from '@lintel/domain';
import { mariadbBehindProxy, skipWithoutMariaDb } from '../helpers/databases.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import type { TcpProxy } from '../helpers/tcp-proxy.js';
import { eventually } from '../helpers/wait.js';

/**
 * Alibaba's endpoint while MariaDB is away (a TCP proxy the test cuts): answers stay Alibaba
 * errors (503 ServiceUnavailable), never a 500, and service resumes once the database returns.
 */
describe('Alibaba during a database outage (MariaDB behind a TCP proxy)', { skip: skipWithoutMariaDb }, () => {
  const ctx = useLintel(mariadbBehindProxy());
  let h: Harness;
  let proxy: TcpProxy;
  before(() => {
    ({ h, db: { proxy } } = ctx);
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
    const probe = async () => {
      const r = await attempt();
      assert.notEqual(r.status, 500, `a 500: ${r.code}`);
      if (!r.ok) assert.ok(r.code, 'an Alibaba error body');
      return r;
    };
    const down = await eventually(probe, (r) => r.status === 503, { timeoutMs: 5000, intervalMs: 100 });
    assert.deepEqual(down, { ok: false, code: 'ServiceUnavailable', status: 503 });
    await proxy.start();
    const up = await eventually(probe, (r) => r.ok, { timeoutMs: 5000, intervalMs: 100 });
    assert.deepEqual(up, { ok: true }, 'service did not resume within 5 s of the database returning');
  });
});
