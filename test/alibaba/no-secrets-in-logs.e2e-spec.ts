import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import $Ims from '@alicloud/ims20190815';
import $OpenApi from '@alicloud/openapi-client';
import { amzDate } from '@lintel/credentials';
import { call } from '../helpers/keystone.js';
import { logCaughtUp, useLintelProcess } from '../helpers/lintel.js';

const ADMIN_PW = 'alibaba-logs-admin-password-1';
const Ims = $Ims.default;

/**
 * The all-in-one process at log level debug, driven through Alibaba IMS with both genuine clients,
 * good and bad signatures: failures are logged with their reason, and no secret or signature ever
 * reaches the log.
 */
describe('Alibaba never logs secrets', () => {
  const lintel = useLintelProcess({ LINTEL_ADMIN_PASSWORD: ADMIN_PW, LINTEL_LOG_LEVEL: 'debug' });

  test('secrets stay out of the log', async () => {
    const mc = lintel.multicloudUrl;
    // the first key through Outscale's Basic login (Alibaba has no password sign-in)
    const headers = { 'Content-Type': 'application/json', 'X-Osc-Date': amzDate(new Date()), Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PW}`).toString('base64')}` };
    const first = await call(mc, 'POST', '/api/v1/CreateAccessKey', { raw: '{}', headers });
    assert.equal(first.status, 200);
    const osc = { ak: first.body.AccessKey.AccessKeyId as string, sk: first.body.AccessKey.SecretKey as string };

    const pop = new RPCClient({ accessKeyId: osc.ak, accessKeySecret: osc.sk, endpoint: mc, apiVersion: '2019-08-15' });
    const made = (await pop.request('CreateAccessKey', {}, { method: 'POST' })) as any;
    const ali = { ak: made.AccessKey.AccessKeyId as string, sk: made.AccessKey.AccessKeySecret as string };
    const ims = new Ims(new $OpenApi.Config({ accessKeyId: ali.ak, accessKeySecret: ali.sk, endpoint: new URL(mc).host, protocol: 'http' }) as never);
    const listed = await ims.listAccessKeys(new $Ims.ListAccessKeysRequest({}));
    assert.equal(listed.statusCode, 200);
    const bad = new RPCClient({ accessKeyId: ali.ak, accessKeySecret: 'wrong-secret-0000000000000000', endpoint: mc, apiVersion: '2019-08-15' });
    await assert.rejects(bad.request('ListAccessKeys', {}), (e: any) => e.code === 'SignatureDoesNotMatch');

    const out = await logCaughtUp(lintel, mc);
    assert.match(out, /"dialect":"alibaba".*authentication failed|authentication failed.*"dialect":"alibaba"/);
    for (const [what, secret] of [['admin password', ADMIN_PW], ['Outscale secret', osc.sk], ['Alibaba secret', ali.sk]] as const) {
      assert.ok(!out.includes(secret), `the ${what} reached the log`);
    }
    assert.doesNotMatch(out, /Signature=|"Signature"/, 'a signature reached the log');
  });
});
