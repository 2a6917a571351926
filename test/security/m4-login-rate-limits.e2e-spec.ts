import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DEFAULT_DOMAIN_ID, IdentityService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, call, keystoneError, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { edgioHttpLogin, edgioRpc, keyOwner, keystoneLogin, outscaleBasic, rpcCall } from './fixtures.js';

const PW = 'm4-password-1';
const WRONG = 'not-the-password';

/** Whether an answer is the rate limit of its dialect. */
const limited = {
  keystone: (r: Res) => r.status === 429 && r.body?.error?.code === 429 && !!r.headers.get('retry-after'),
  rpc: (x: any) => !!x.error && x.error.code === -32000 && /too many authentication attempts/i.test(x.error.message),
  agile: (r: Res) => r.status === 429 && r.headers.get('x-agile-status') === '-10001' && !!r.headers.get('retry-after'),
  outscale: (r: Res) => r.status === 429 && r.body?.Errors?.[0]?.Code === '24' && !!r.headers.get('retry-after'),
};

async function user(h: Harness, name: string): Promise<string> {
  return (await h.get(IdentityService).createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
}

/**
 * M4 (docs/security.md): the authentication rate limits (per source and per account, per minute)
 * count every login path: Keystone's password method, Edgio's `login`, `authenticate` and
 * `/account/login` (each call of a JSON-RPC batch), Outscale Basic and the console's password
 * confirmation; an account is the user, whichever name or id a path reaches it by.
 */
for (const kind of databaseKinds()) {
  describe(`security M4: per-account rate limit on every login path (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_AUTH_RATE_LIMIT_PER_USER: '5' });
    const { adminToken } = adminCalls(ctx);

    test('one Edgio batch of 20 logins gets 5 password checks, then the limit; the right password is limited too', async () => {
      await user(ctx.h, 'm4-batch');
      const r = await edgioRpc(ctx.h, Array.from({ length: 20 }, (_, i) => rpcCall('login', { username: 'm4-batch', password: `${WRONG}-${i}` }, i)));
      assert.equal(r.status, 200, r.text);
      const checked = r.body.filter((x: any) => Array.isArray(x.result));
      assert.equal(checked.length, 5, r.text);
      assert.equal(r.body.length, 20, 'an answer per call');
      assert.ok(r.body.slice(5).every(limited.rpc), r.text);
      const right = await edgioRpc(ctx.h, rpcCall('login', { username: 'm4-batch', password: PW }));
      assert.ok(limited.rpc(right.body), right.text);
      const auth = await edgioRpc(ctx.h, rpcCall('authenticate', { username: 'm4-batch', password: PW }));
      assert.ok(limited.rpc(auth.body), auth.text);
    });

    test('Edgio /account/login: the 6th attempt is a 429', async () => {
      await user(ctx.h, 'm4-agile');
      for (let i = 0; i < 5; i++) assert.equal((await edgioHttpLogin(ctx.h, 'm4-agile', WRONG)).status, 400);
      assert.ok(limited.agile(await edgioHttpLogin(ctx.h, 'm4-agile', PW)));
    });

    test('Outscale Basic: the 6th attempt is a 429 in Outscale\'s format', async () => {
      await user(ctx.h, 'm4-osc');
      for (let i = 0; i < 5; i++) assert.equal((await outscaleBasic(ctx.h, 'ReadAccessKeys', 'm4-osc', WRONG)).status, 401);
      const r = await outscaleBasic(ctx.h, 'ReadAccessKeys', 'm4-osc', PW);
      assert.ok(limited.outscale(r), r.text);
    });

    test('the account is the user: Keystone by name and by id, Edgio and Outscale share one count', async () => {
      const id = await user(ctx.h, 'm4-shared');
      keystoneError(await keystoneLogin(ctx.h, { name: 'm4-shared', domain: { id: 'default' } }, WRONG), 401);
      keystoneError(await keystoneLogin(ctx.h, { name: 'm4-shared', domain: { name: 'Default' } }, WRONG), 401);
      keystoneError(await keystoneLogin(ctx.h, { id }, WRONG), 401);
      assert.equal((await edgioHttpLogin(ctx.h, 'm4-shared', WRONG)).status, 400);
      assert.equal((await outscaleBasic(ctx.h, 'ReadAccessKeys', 'm4-shared', WRONG)).status, 401);
      assert.ok(limited.keystone(await keystoneLogin(ctx.h, { id }, PW)));
    });

    test('the console\'s password confirmation counts towards the same account', async () => {
      const owner = await keyOwner(ctx.h, adminToken(), 'm4-console', { password: PW });
      const token = (await keystoneLogin(ctx.h, { id: owner.userId }, PW)).headers.get('x-subject-token')!;
      const scoped = await call(ctx.h.url, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: token } }, scope: { project: { id: owner.projectId } } } } });
      assert.equal(scoped.status, 201, scoped.text);
      const projectToken = scoped.headers.get('x-subject-token')!;
      const confirm = (password: string) => call(ctx.h.url, 'POST', `/v3/OS-LINTEL/projects/${owner.projectId}/access_keys`, { token: projectToken, body: { access_key: {}, password } });
      for (let i = 0; i < 2; i++) keystoneError(await confirm(WRONG), 401);
      assert.equal((await edgioHttpLogin(ctx.h, 'm4-console', WRONG)).status, 400);
      keystoneError(await keystoneLogin(ctx.h, { id: owner.userId }, WRONG), 401);
      assert.ok(limited.keystone(await confirm(PW)));
    });
  });

  describe(`security M4: per-source rate limit on every login path (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_AUTH_RATE_LIMIT_PER_SOURCE: '12' });
    adminCalls(ctx);

    test('a batch of 20 Edgio logins for 20 accounts gets checked only up to the source\'s limit, then every path is limited', async () => {
      // The admin's login in the suite's set-up was the first attempt of this source.
      const r = await edgioRpc(ctx.h, Array.from({ length: 20 }, (_, i) => rpcCall('login', { username: `m4-nobody-${i}`, password: WRONG }, i)));
      assert.equal(r.status, 200, r.text);
      const checked = r.body.filter((x: any) => Array.isArray(x.result));
      assert.equal(checked.length, 11, r.text);
      assert.equal(r.body.length, 20, 'an answer per call');
      assert.ok(r.body.slice(11).every(limited.rpc), r.text);
      assert.ok(limited.agile(await edgioHttpLogin(ctx.h, 'm4-someone', WRONG)));
      assert.ok(limited.outscale(await outscaleBasic(ctx.h, 'ReadAccessKeys', 'm4-someone', WRONG)));
      assert.ok(limited.keystone(await keystoneLogin(ctx.h, { name: 'admin', domain: { id: 'default' } }, WRONG)));
    });
  });
}
