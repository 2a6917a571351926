import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import aws4 from 'aws4';
import { amzDate } from '@lintel/credentials';
import { call } from '../helpers/keystone.js';
import { logCaughtUp, useLintelProcess } from '../helpers/lintel.js';

const ADMIN_PW = 'logs-admin-password-1';
const WRONG_PW = 'logs-wrong-password-2';

/**
 * The all-in-one process at log level debug, driven through Edgio and Outscale with good and bad
 * credentials: failures are logged with their reason, and no password, session token, secret key
 * or signature ever reaches the log.
 */
describe('Edgio and Outscale never log secrets', () => {
  const lintel = useLintelProcess({ LINTEL_ADMIN_PASSWORD: ADMIN_PW, LINTEL_LOG_LEVEL: 'debug' });

  test('secrets stay out of the log', async () => {
    const mc = lintel.multicloudUrl;
    const rpc = async (method: string, params: unknown[]) => (await call(mc, 'POST', '/jsonrpc2', { body: { jsonrpc: '2.0', method, params, id: 1 } })).body.result;
    assert.deepEqual(await rpc('login', ['admin', WRONG_PW]), [null, null]);
    const [token] = await rpc('login', ['admin', ADMIN_PW]);
    const pair = await rpc('initKeyPair', [token]);
    assert.equal(pair.code, 0);
    await rpc('logout', [token]);

    const basic = (pw: string) => ({ 'Content-Type': 'application/json', 'X-Osc-Date': amzDate(new Date()), Authorization: `Basic ${Buffer.from(`admin:${pw}`).toString('base64')}` });
    assert.equal((await call(mc, 'POST', '/api/v1/CreateAccessKey', { raw: '{}', headers: basic(WRONG_PW) })).status, 401);
    const created = await call(mc, 'POST', '/api/v1/CreateAccessKey', { raw: '{}', headers: basic(ADMIN_PW) });
    assert.equal(created.status, 200, created.text);
    const { AccessKeyId: ak, SecretKey: sk } = created.body.AccessKey;
    const host = new URL(mc).host;
    const signed = aws4.sign({ host, path: '/api/v1/ReadAccessKeys', method: 'POST', body: '{}', service: 'api', region: 'eu-west-2', headers: { 'Content-Type': 'application/json' } }, { accessKeyId: ak, secretAccessKey: sk });
    const headers = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([k]) => !/^(host|content-length)$/i.test(k)).map(([k, v]) => [k, String(v)]));
    assert.equal((await call(mc, 'POST', '/api/v1/ReadAccessKeys', { raw: '{}', headers })).status, 200);
    assert.equal((await call(mc, 'POST', '/api/v1/ReadAccessKeys', { raw: '{"DryRun":true}', headers })).status, 401, 'body changed after signing');

    const out = await logCaughtUp(lintel, mc);
    assert.match(out, /"dialect":"edgio".*authentication failed|authentication failed.*"dialect":"edgio"/);
    assert.match(out, /"dialect":"outscale".*authentication failed|authentication failed.*"dialect":"outscale"/);
    const signature = String(headers.Authorization).split('Signature=')[1]!;
    for (const [what, secret] of [['admin password', ADMIN_PW], ['wrong password', WRONG_PW], ['session token', token], ['Edgio secret', pair.secret_key],
      ['Outscale secret', sk], ['signature', signature], ['Basic credentials', basic(ADMIN_PW).Authorization.slice(6)]] as const) {
      assert.ok(!out.includes(secret), `the ${what} reached the log`);
    }
  });
});
