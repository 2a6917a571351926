import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import aws4 from 'aws4';
import { amzDate, signOsc4 } from '@lintel/credentials';
import { AssignmentService, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { OutscaleSettings } from '../../apps/multicloud/src/outscale/outscale-settings.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { eventually } from '../helpers/wait.js';

const PW = 'outscale-password-1';
const REGION = 'eu-west-2';
const OSC_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Polls `probe` until it returns `want` or 2 s pass; returns the last value. */
const becomes = <T>(probe: () => Promise<T>, want: T): Promise<T> => eventually(probe, (v) => v === want, { timeoutMs: 2000, intervalMs: 100 });

type Auth = { ak: string; sk: string; osc4?: boolean; at?: Date } | { login: string; password: string; at?: Date } | undefined;

/** Outscale OAPI: osc-sdk-js's AWS4 signing (the aws4 package, service "api"), osc-cli's OSC4 and Basic login. */
for (const kind of databaseKinds()) {
  describe(`Outscale /api/v1 (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let host: string;
    let admin: string;
    let p: string;
    const users: Record<string, string> = {};
    const keys: Record<string, { ak: string; sk: string }> = {};

    /** Calls an action as a genuine client would: body text signed over its exact bytes. */
    async function osc(action: string, body: unknown, auth: Auth, o: { raw?: string; method?: string; headers?: Record<string, string> } = {}): Promise<Res> {
      const text = o.raw ?? JSON.stringify(body ?? {});
      const path = `/api/v1/${action}`;
      let headers: Record<string, string> = { 'Content-Type': 'application/json', ...o.headers };
      if (auth && 'ak' in auth && auth.osc4) {
        headers = { ...headers, ...signOsc4({ host, path, body: text, accessKey: auth.ak, secret: auth.sk, region: REGION, date: auth.at }) };
      } else if (auth && 'ak' in auth) {
        const signed = aws4.sign({ host, path, method: 'POST', body: text, service: 'api', region: REGION, headers: { ...headers, ...(auth.at ? { 'X-Amz-Date': amzDate(auth.at) } : {}) } }, { accessKeyId: auth.ak, secretAccessKey: auth.sk });
        headers = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([k]) => !/^(host|content-length)$/i.test(k)).map(([k, v]) => [k, String(v)]));
      } else if (auth) {
        headers = { ...headers, 'X-Osc-Date': amzDate(auth.at ?? new Date()), Authorization: `Basic ${Buffer.from(`${auth.login}:${auth.password}`).toString('base64')}` };
      }
      const r = await fetch(`${h.multicloudUrl}${path}`, { method: o.method ?? 'POST', headers, body: o.method === 'GET' ? undefined : text });
      const t = await r.text();
      let parsed: any;
      try {
        parsed = t ? JSON.parse(t) : undefined;
      } catch {
        parsed = undefined;
      }
      return { status: r.status, headers: r.headers, body: parsed, text: t };
    }
    const ok = (r: Res) => {
      assert.equal(r.status, 200, r.text);
      assert.match(r.body.ResponseContext.RequestId, UUID);
      return r.body;
    };
    const oscError = (r: Res, status: number, code: string, type?: string) => {
      assert.equal(r.status, status, r.text);
      assert.deepEqual(Object.keys(r.body).sort(), ['Errors', 'ResponseContext']);
      assert.equal(r.body.Errors.length, 1);
      assert.deepEqual(Object.keys(r.body.Errors[0]).sort(), ['Code', 'Details', 'Type']);
      assert.equal(r.body.Errors[0].Code, code, r.text);
      if (type) assert.equal(r.body.Errors[0].Type, type);
      assert.match(r.body.ResponseContext.RequestId, UUID);
    };
    const basic = (login: string) => ({ login, password: PW });
    const count = async (userId: string) => (await h.multicloud.get(CredentialService).list({ userId })).length;

    before(async () => {
      h = ctx.h;
      host = new URL(h.multicloudUrl).host;
      admin = (await issue(h.url, adminProjectAuth())).id;
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const role = async (n: string) => (await assignments.findGlobalRole(n))!.id;
      p = (await h.get(ResourceService).createProject({ name: 'osc-p', domainId: DEFAULT_DOMAIN_ID })).id;
      for (const [name, r] of [['alice', 'member'], ['bob', 'member'], ['padmin', 'admin'], ['carl', 'member']] as const) {
        users[name] = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
        await assignments.grant({ type: 'UserProject', actorId: users[name]!, targetId: p, roleId: await role(r) });
      }
      // an admin of domain Default who holds no role on the project
      users.dadmin = (await identity.createUser({ name: 'dadmin', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      await assignments.grant({ type: 'UserDomain', actorId: users.dadmin, targetId: DEFAULT_DOMAIN_ID, roleId: await role('admin') });
    });

    test('Basic login bootstraps the first key (ExpirationDate as a date); the secret is shown once', async () => {
      const b = ok(await osc('CreateAccessKey', { ExpirationDate: '2063-04-05' }, basic('alice')));
      const k = b.AccessKey;
      assert.deepEqual(Object.keys(k).sort(), ['AccessKeyId', 'CreationDate', 'ExpirationDate', 'LastModificationDate', 'SecretKey', 'State']);
      assert.match(k.AccessKeyId, /^[A-Z0-9]{20}$/);
      assert.match(k.SecretKey, /^[A-Z0-9]{40}$/);
      assert.equal(k.State, 'ACTIVE');
      assert.equal(k.ExpirationDate, '2063-04-05T00:00:00.000+0000');
      assert.match(k.CreationDate, OSC_DATE);
      assert.match(k.LastModificationDate, OSC_DATE);
      keys.alice = { ak: k.AccessKeyId, sk: k.SecretKey };
      const listed = ok(await osc('ReadAccessKeys', {}, keys.alice)).AccessKeys;
      assert.equal(listed.length, 1);
      assert.equal(listed[0].AccessKeyId, k.AccessKeyId);
      assert.ok(!('SecretKey' in listed[0]));
      // the same credential for Keystone, owned by the user's default project
      const cred = (await call(h.url, 'GET', `/v3/credentials/${sha256(k.AccessKeyId)}`, { token: admin })).body.credential;
      assert.equal(cred.type, 'ec2');
      assert.equal(cred.project_id, p);
      assert.equal(cred.user_id, users.alice);
    });

    test('OSC4 (osc-cli / osc-sdk-python) and AWS4 (osc-sdk-js) signatures both work; Filters and Tag', async () => {
      const b = ok(await osc('CreateAccessKey', { ExpirationDate: '2070-01-01T10:00:00.000+02:00', Tag: 'Group1' }, { ...keys.alice!, osc4: true })).AccessKey;
      assert.equal(b.ExpirationDate, '2070-01-01T08:00:00.000+0000');
      assert.equal(b.Tag, 'Group1');
      const all = ok(await osc('ReadAccessKeys', {}, { ...keys.alice!, osc4: true })).AccessKeys;
      assert.equal(all.length, 2);
      const byId = ok(await osc('ReadAccessKeys', { Filters: { AccessKeyIds: [b.AccessKeyId, 'NOPE'] } }, keys.alice)).AccessKeys;
      assert.deepEqual(byId.map((x: any) => x.AccessKeyId), [b.AccessKeyId]);
      assert.deepEqual(ok(await osc('ReadAccessKeys', { Tag: 'Group1' }, keys.alice)).AccessKeys.map((x: any) => x.AccessKeyId), [b.AccessKeyId]);
      assert.deepEqual(ok(await osc('ReadAccessKeys', { Filters: { States: ['INACTIVE'] } }, keys.alice)).AccessKeys, []);
      const used = await h.multicloud.get(CredentialService);
      await used.flushUse();
      assert.equal((await used.findByAccessKey(keys.alice!.ak))?.lastUsedService, 'outscale');
    });

    test('UpdateAccessKey: INACTIVE fails signatures here and in ec2tokens; ACTIVE again works; expiry and tag', async () => {
      const second = ok(await osc('CreateAccessKey', {}, keys.alice)).AccessKey;
      const k2 = { ak: second.AccessKeyId, sk: second.SecretKey };
      assert.equal((await ec2tokens(h.url, admin, k2.ak, k2.sk)).status, 200);
      const upd = ok(await osc('UpdateAccessKey', { AccessKeyId: k2.ak, State: 'INACTIVE' }, keys.alice)).AccessKey;
      assert.equal(upd.State, 'INACTIVE');
      assert.ok(!('SecretKey' in upd));
      oscError(await osc('ReadAccessKeys', {}, k2), 401, '1', 'AccessDenied');
      // The identity app is another process in production: it sees the change within its 1 s cache.
      assert.equal(await becomes(async () => (await ec2tokens(h.url, admin, k2.ak, k2.sk)).status, 401), 401);
      assert.deepEqual(ok(await osc('ReadAccessKeys', { Filters: { States: ['INACTIVE'] } }, keys.alice)).AccessKeys.map((x: any) => x.AccessKeyId), [k2.ak]);
      const back = ok(await osc('UpdateAccessKey', { AccessKeyId: k2.ak, State: 'ACTIVE', ExpirationDate: '2064-01-01', Tag: 't' }, keys.alice)).AccessKey;
      assert.equal(back.ExpirationDate, '2064-01-01T00:00:00.000+0000');
      assert.equal(back.Tag, 't');
      ok(await osc('ReadAccessKeys', {}, k2));
      const untagged = ok(await osc('UpdateAccessKey', { AccessKeyId: k2.ak, ClearTag: true }, keys.alice)).AccessKey;
      assert.ok(!('Tag' in untagged), 'ClearTag removes the tag');
      assert.equal(untagged.ExpirationDate, '2064-01-01T00:00:00.000+0000', 'no ExpirationDate leaves it as it is (L3)');
      // the owner may not lift an expiry (docs/access-keys.md); its project's admin may
      oscError(await osc('UpdateAccessKey', { AccessKeyId: k2.ak, ClearExpirationDate: true }, keys.alice), 401, '4', 'AccessDenied');
      const cleared = ok(await osc('UpdateAccessKey', { UserName: 'alice', AccessKeyId: k2.ak, ClearExpirationDate: true }, basic('padmin'))).AccessKey;
      assert.ok(!('ExpirationDate' in cleared) && !('Tag' in cleared));
      assert.equal(cleared.State, 'ACTIVE', 'State omitted keeps the state');
      // an expired key fails too (expiry set behind the API's back: the API refuses past dates)
      await h.multicloud.get(CredentialService).update(sha256(k2.ak), { expiresAt: new Date(Date.now() - 1000) });
      oscError(await osc('ReadAccessKeys', {}, k2), 401, '1');
      ok(await osc('DeleteAccessKey', { AccessKeyId: k2.ak }, keys.alice));
    });

    test('DeleteAccessKey removes the key everywhere; deleting elsewhere removes it here', async () => {
      const k = ok(await osc('CreateAccessKey', {}, keys.alice)).AccessKey;
      assert.deepEqual(Object.keys(ok(await osc('DeleteAccessKey', { AccessKeyId: k.AccessKeyId }, keys.alice))), ['ResponseContext']);
      assert.equal(await h.multicloud.get(CredentialService).findByAccessKey(k.AccessKeyId), null);
      assert.equal((await call(h.url, 'GET', `/v3/credentials/${sha256(k.AccessKeyId)}`, { token: admin })).status, 404);
      oscError(await osc('ReadAccessKeys', {}, { ak: k.AccessKeyId, sk: k.SecretKey }), 401, '1');
      // a key made through Keystone's OS-EC2 API is an Outscale key too: listed, usable, deletable
      const bobToken = (await issue(h.url, passwordAuth({ name: 'bob' }, PW, { project: { id: p } }))).id;
      const ec2 = (await call(h.url, 'POST', `/v3/users/${users.bob}/credentials/OS-EC2`, { token: bobToken, body: { tenant_id: p } })).body.credential;
      const bobKey = { ak: ec2.access, sk: ec2.secret };
      assert.deepEqual(ok(await osc('ReadAccessKeys', {}, bobKey)).AccessKeys.map((x: any) => x.AccessKeyId), [ec2.access]);
      ok(await osc('DeleteAccessKey', { AccessKeyId: ec2.access }, basic('bob')));
      assert.equal((await call(h.url, 'GET', `/v3/users/${users.bob}/credentials/OS-EC2/${ec2.access}`, { token: bobToken })).status, 404);
      // and one deleted through Keystone is gone from Outscale
      const k3 = ok(await osc('CreateAccessKey', {}, basic('bob'))).AccessKey;
      assert.equal((await call(h.url, 'DELETE', `/v3/credentials/${sha256(k3.AccessKeyId)}`, { token: admin })).status, 204);
      assert.deepEqual(ok(await osc('ReadAccessKeys', {}, basic('bob'))).AccessKeys, []);
      oscError(await osc('ReadAccessKeys', {}, { ak: k3.AccessKeyId, sk: k3.SecretKey }), 401, '1');
    });

    test('an Edgio key pair signs Outscale requests: one store, every dialect', async () => {
      const rpc = async (method: string, params: unknown[]) => (await call(h.multicloudUrl, 'POST', '/jsonrpc2', { body: { jsonrpc: '2.0', method, params, id: 1 } })).body.result;
      const [token] = await rpc('login', ['carl', PW]);
      const pair = await rpc('initKeyPair', [token]);
      const edgioKey = { ak: pair.access_key, sk: pair.secret_key };
      const listed = ok(await osc('ReadAccessKeys', {}, { ...edgioKey, osc4: true })).AccessKeys;
      assert.deepEqual(listed.map((x: any) => x.AccessKeyId), [pair.access_key]);
      ok(await osc('UpdateAccessKey', { AccessKeyId: pair.access_key, State: 'INACTIVE' }, basic('carl')));
      oscError(await osc('ReadAccessKeys', {}, edgioKey), 401, '1');
      ok(await osc('DeleteAccessKey', { AccessKeyId: pair.access_key }, basic('carl')));
      assert.equal(await count(users.carl!), 0);
    });

    test('concurrent creates never pass the ten-key limit', async () => {
      const rs = await Promise.all(Array.from({ length: 14 }, () => osc('CreateAccessKey', {}, basic('padmin'))));
      assert.equal(rs.filter((r) => r.status === 200).length, 10, rs.map((r) => r.status).join(','));
      for (const r of rs.filter((x) => x.status !== 200)) oscError(r, 400, '10005');
      assert.equal(await count(users.padmin!), 10);
    });

    test('DryRun checks and changes nothing', async () => {
      const before_ = await count(users.alice!);
      assert.deepEqual(Object.keys(ok(await osc('CreateAccessKey', { DryRun: true }, keys.alice))), ['ResponseContext']);
      ok(await osc('DeleteAccessKey', { AccessKeyId: keys.alice!.ak, DryRun: true }, keys.alice));
      assert.equal(await count(users.alice!), before_);
      oscError(await osc('DeleteAccessKey', { AccessKeyId: 'NOSUCHKEY', DryRun: true }, keys.alice), 400, '4000');
      oscError(await osc('CreateAccessKey', { DryRun: true }, { ...keys.alice!, sk: 'wrong' }), 401, '1');
    });

    test('UserName: an admin of the keys\' project or of the user\'s domain manages their keys; a member may not; an unknown user looks forbidden', async () => {
      const made = ok(await osc('CreateAccessKey', { UserName: 'carl' }, basic('padmin'))).AccessKey;
      assert.equal((await h.multicloud.get(CredentialService).findByAccessKey(made.AccessKeyId))?.userId, users.carl);
      assert.deepEqual(ok(await osc('ReadAccessKeys', { UserName: 'carl' }, basic('padmin'))).AccessKeys.map((x: any) => x.AccessKeyId), [made.AccessKeyId]);
      oscError(await osc('ReadAccessKeys', { UserName: 'carl' }, keys.alice), 401, '4', 'AccessDenied');
      oscError(await osc('DeleteAccessKey', { UserName: 'carl', AccessKeyId: made.AccessKeyId }, keys.alice), 401, '4');
      oscError(await osc('DeleteAccessKey', { AccessKeyId: made.AccessKeyId }, keys.alice), 400, '4000', 'InvalidParameterValue');
      // an unknown user is answered as one the caller may not manage (no enumeration: L4)
      oscError(await osc('ReadAccessKeys', { UserName: 'nobody' }, basic('padmin')), 401, '4', 'AccessDenied');
      ok(await osc('UpdateAccessKey', { UserName: 'carl', AccessKeyId: made.AccessKeyId, State: 'INACTIVE' }, basic('padmin')));
      const byDomainAdmin = ok(await osc('CreateAccessKey', { UserName: 'carl' }, basic('dadmin'))).AccessKey;
      ok(await osc('DeleteAccessKey', { UserName: 'carl', AccessKeyId: byDomainAdmin.AccessKeyId }, basic('dadmin')));
      oscError(await osc('ReadAccessKeys', { UserName: 'padmin' }, basic('carl')), 401, '4');
      ok(await osc('DeleteAccessKey', { UserName: 'carl', AccessKeyId: made.AccessKeyId }, basic('padmin')));
      assert.equal(await count(users.carl!), 0);
    });

    test('ten keys per user: the eleventh is refused with 10005, nothing written', async () => {
      const n = (await h.multicloud.get(CredentialService).list({ userId: users.bob })).filter((c) => c.issuer === 'outscale').length;
      for (let i = n; i < 10; i++) ok(await osc('CreateAccessKey', {}, basic('bob')));
      oscError(await osc('CreateAccessKey', {}, basic('bob')), 400, '10005', 'TooManyResources');
      assert.equal(await count(users.bob!), 10);
    });

    test('ReadSecretAccessKey: an unknown action unless switched on', async () => {
      oscError(await osc('ReadSecretAccessKey', { AccessKeyId: keys.alice!.ak }, keys.alice), 400, '0', 'DefaultError');
      const settings = h.multicloud.get(OutscaleSettings);
      settings.readSecretAccessKey = true;
      try {
        const k = ok(await osc('ReadSecretAccessKey', { AccessKeyId: keys.alice!.ak }, keys.alice)).AccessKey;
        assert.equal(k.SecretKey, keys.alice!.sk);
      } finally {
        settings.readSecretAccessKey = false;
      }
    });

    test('authentication failures: 401 code 1 for each, the same body', async () => {
      const cases: Array<[string, Res]> = [
        ['none', await osc('ReadAccessKeys', {}, undefined)],
        ['wrong secret', await osc('ReadAccessKeys', {}, { ...keys.alice!, sk: 'X'.repeat(40) })],
        ['wrong secret OSC4', await osc('ReadAccessKeys', {}, { ...keys.alice!, sk: 'X'.repeat(40), osc4: true })],
        ['unknown key', await osc('ReadAccessKeys', {}, { ak: 'AAAAAAAAAAAAAAAAAAAA', sk: 'X'.repeat(40) })],
        ['stale', await osc('ReadAccessKeys', {}, { ...keys.alice!, at: new Date(Date.now() - 20 * 60_000) })],
        ['stale OSC4', await osc('ReadAccessKeys', {}, { ...keys.alice!, osc4: true, at: new Date(Date.now() - 20 * 60_000) })],
        ['wrong password', await osc('ReadAccessKeys', {}, { login: 'alice', password: 'nope' })],
        ['unknown login', await osc('ReadAccessKeys', {}, { login: 'nobody', password: PW })],
        ['stale basic', await osc('ReadAccessKeys', {}, { login: 'alice', password: PW, at: new Date(Date.now() - 20 * 60_000) })],
        ['garbage', await osc('ReadAccessKeys', {}, undefined, { headers: { Authorization: 'OSC4-HMAC-SHA256 nonsense' } })],
      ];
      const details = new Set<string>();
      for (const [name, r] of cases) {
        oscError(r, 401, '1', 'AccessDenied');
        details.add(r.body.Errors[0].Details);
        assert.ok(!r.text.includes(keys.alice!.sk), name);
      }
      assert.equal(details.size, 1, 'nothing tells the failures apart');
      // a body changed after signing
      const signed = aws4.sign({ host, path: '/api/v1/ReadAccessKeys', method: 'POST', body: '{}', service: 'api', region: REGION, headers: { 'Content-Type': 'application/json' } }, { accessKeyId: keys.alice!.ak, secretAccessKey: keys.alice!.sk });
      const hdrs = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([k]) => !/^(host|content-length)$/i.test(k)).map(([k, v]) => [k, String(v)]));
      const r = await fetch(`${h.multicloudUrl}/api/v1/ReadAccessKeys`, { method: 'POST', headers: hdrs, body: '{"DryRun":true}' });
      assert.equal(r.status, 401);
    });

    test('bad input: the documented code, never a 500, nothing written', async () => {
      const before_ = await count(users.alice!);
      const a = keys.alice!;
      oscError(await osc('CreateAccessKeyz', {}, a), 400, '0', 'DefaultError');
      oscError(await osc('ReadAccessKeys', {}, a, { method: 'GET' }), 405, '2');
      oscError(await osc('CreateAccessKey', undefined, a, { raw: '{"ExpirationDate": ' }), 400, '4108');
      oscError(await osc('CreateAccessKey', undefined, a, { raw: '[1]' }), 400, '4108');
      oscError(await osc('CreateAccessKey', { Expiration: '2063-01-01' }, a), 400, '4045', 'InvalidParameter');
      oscError(await osc('CreateAccessKey', { ExpirationDate: 20630101 }, a), 400, '4108');
      oscError(await osc('CreateAccessKey', { DryRun: 'false' }, a), 400, '4108');
      oscError(await osc('CreateAccessKey', { ExpirationDate: '2020-06-14' }, a), 400, '4047', 'InvalidParameterValue');
      oscError(await osc('CreateAccessKey', { ExpirationDate: '2020-06-14T00:00:00.000Z' }, a), 400, '4047');
      oscError(await osc('CreateAccessKey', { ExpirationDate: '2063-02-30' }, a), 400, '4047');
      oscError(await osc('CreateAccessKey', { ExpirationDate: 'tomorrow' }, a), 400, '4047');
      oscError(await osc('UpdateAccessKey', { State: 'ACTIVE' }, a), 400, '7000', 'MissingParameter');
      oscError(await osc('UpdateAccessKey', { AccessKeyId: a.ak, State: 'DISABLED' }, a), 400, '4047');
      oscError(await osc('UpdateAccessKey', { AccessKeyId: a.ak, ExpirationDate: '2063-01-01', ClearExpirationDate: true }, a), 400, '4047');
      oscError(await osc('UpdateAccessKey', { AccessKeyId: 'NOPE', State: 'ACTIVE' }, a), 400, '4000');
      oscError(await osc('ReadAccessKeys', { Filters: { States: ['ON'] } }, a), 400, '4047');
      oscError(await osc('ReadAccessKeys', { Filters: { Ids: [] } }, a), 400, '4045');
      oscError(await osc('ReadAccessKeys', { Filters: { AccessKeyIds: 'X' } }, a), 400, '4108');
      oscError(await osc('CreateAccessKey', { Tag: 'x'.repeat(300) }, a), 400, '4047');
      const big = await osc('CreateAccessKey', { Tag: 'x'.repeat(70 * 1024) }, a);
      assert.equal(big.status, 413, big.text);
      assert.equal(big.body.Errors[0].Code, '4108');
      oscError(await osc('CreateAccessKey', undefined, a, { raw: 'Tag=x', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 400, '4108');
      oscError(await osc('nope/deeper', {}, a), 400, '0');
      assert.equal(await count(users.alice!), before_);
      const v = await call(h.url, 'GET', `/v3/credentials?user_id=${users.alice}`, { token: admin });
      assert.equal(v.body.credentials.length, before_);
    });

    test('no leak: Outscale error bodies carry no other dialect\'s envelope', async () => {
      const bodies = [
        await osc('ReadAccessKeys', {}, undefined), await osc('Nope', {}, undefined), await osc('ReadAccessKeys', {}, undefined, { method: 'GET' }),
        await osc('CreateAccessKey', undefined, keys.alice, { raw: '{' }), await osc('CreateAccessKey', { X: 1 }, keys.alice),
      ];
      for (const r of bodies) {
        assert.deepEqual(Object.keys(r.body).sort(), ['Errors', 'ResponseContext'], r.text);
        assert.doesNotMatch(r.text, /"error"|"jsonrpc"|"title"|"Code":\d/, r.text);
        assert.ok(!r.text.includes(PW) && !r.text.includes(keys.alice!.sk));
      }
    });
  });
}
