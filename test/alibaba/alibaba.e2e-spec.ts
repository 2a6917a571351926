import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { before, describe, test } from 'node:test';
import RPCClient from '@alicloud/pop-core';
import $Ims from '@alicloud/ims20190815';
import $OpenApi from '@alicloud/openapi-client';
import $Util from '@alicloud/tea-util';
import { acs3Signature, alibabaDate, alibabaRpcSignature, signOsc4 } from '@lintel/credentials';
import { AlibabaKeyService, AssignmentService, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { eventually } from '../helpers/wait.js';

const PW = 'alibaba-password-1';
const VERSION = '2019-08-15';
const REQUEST_ID = /^[0-9A-F]{8}-[0-9A-F]{4}-4[0-9A-F]{3}-[89AB][0-9A-F]{3}-[0-9A-F]{12}$/;
const DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
// CommonJS packages: the default import is `module.exports`, whose `default` is the client class.
const Ims = $Ims.default;
const OpenApi = $OpenApi.default;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

type Key = { ak: string; sk: string };

/** Polls `probe` until it returns `want` or 2 s pass; returns the last value. */
const becomes = <T>(probe: () => Promise<T>, want: T): Promise<T> => eventually(probe, (v) => v === want, { timeoutMs: 2000, intervalMs: 100 });

/** The error a genuine client throws, reduced to what the tests compare. */
async function clientError(p: Promise<unknown>): Promise<{ code: string; status?: number; data: any }> {
  try {
    await p;
  } catch (e: any) {
    return { code: String(e.code ?? e.data?.Code), status: e.statusCode ?? e.data?.statusCode, data: e.data };
  }
  assert.fail('the call succeeded');
}

/**
 * Alibaba Cloud IMS at the multicloud port, driven by both genuine clients: `@alicloud/pop-core`
 * (V1 HMAC-SHA1, GET and POST) and `@alicloud/ims20190815` on `@alicloud/openapi-client`'s Config
 * (ACS3-HMAC-SHA256 by default; `signatureAlgorithm: 'v2'` for V1), plus the generic
 * `@alicloud/openapi-client` for Format=XML.
 */
for (const kind of databaseKinds()) {
  describe(`Alibaba IMS / (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let host: string;
    let admin: string;
    let p: string;
    const users: Record<string, string> = {};
    const keys: Record<string, Key> = {};

    const pop = (k: Key) => new RPCClient({ accessKeyId: k.ak, accessKeySecret: k.sk, endpoint: h.multicloudUrl, apiVersion: VERSION });
    const config = (k: Key, v1 = false) => new $OpenApi.Config({ accessKeyId: k.ak, accessKeySecret: k.sk, endpoint: host, protocol: 'http', ...(v1 ? { signatureAlgorithm: 'v2' } : {}) });
    const ims = (k: Key, v1 = false) => new Ims(config(k, v1) as never);
    /** The generic client (`callApi`), for answers it should hand back unparsed (XML). */
    async function generic(k: Key, action: string, query: Record<string, string>, v1: boolean): Promise<{ status: number; body: string }> {
      const client = new OpenApi(config(k, v1));
      const params = new $OpenApi.Params({ action, version: VERSION, protocol: 'HTTP', pathname: '/', method: 'POST', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'string' });
      const r = await client.callApi(params, new $OpenApi.OpenApiRequest({ query }), new $Util.RuntimeOptions({}));
      return { status: r.statusCode, body: r.body };
    }

    /** A V1 request signed here (for inputs no genuine client would send). */
    async function v1(k: Key | undefined, params: Record<string, string>, o: { method?: string; form?: boolean; omit?: string[]; sign?: (p: Record<string, string>) => void } = {}): Promise<Res> {
      const method = o.method ?? 'GET';
      const all: Record<string, string> = {
        Format: 'JSON', Version: VERSION, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: randomUUID(), Timestamp: alibabaDate(new Date()),
        ...(k ? { AccessKeyId: k.ak } : {}), ...params,
      };
      for (const name of o.omit ?? []) delete all[name];
      if (k) all.Signature = alibabaRpcSignature(method, all, k.sk);
      o.sign?.(all);
      const qs = new URLSearchParams(all).toString();
      const r = o.form
        ? await fetch(`${h.multicloudUrl}/`, { method, headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: qs })
        : await fetch(`${h.multicloudUrl}/?${qs}`, { method });
      const text = await r.text();
      let body: any;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      return { status: r.status, headers: r.headers, body, text };
    }

    /** Asserts Alibaba's JSON error body and code. */
    const aliError = (r: Res, status: number, code: string) => {
      assert.equal(r.status, status, r.text);
      assert.deepEqual(Object.keys(r.body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId'], r.text);
      assert.equal(r.body.Code, code, r.text);
      assert.match(r.body.RequestId, REQUEST_ID);
      assert.equal(r.body.HostId, 'ims.aliyuncs.com');
    };
    const count = async (userId: string) => (await h.multicloud.get(CredentialService).list({ userId })).length;

    before(async () => {
      h = ctx.h;
      host = new URL(h.multicloudUrl).host;
      admin = (await issue(h.url, adminProjectAuth())).id;
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const resources = h.get(ResourceService);
      const role = async (n: string) => (await assignments.findGlobalRole(n))!.id;
      p = (await resources.createProject({ name: 'ali-p', domainId: DEFAULT_DOMAIN_ID })).id;
      for (const [name, r] of [['alice', 'member'], ['bob', 'member'], ['padmin', 'admin'], ['carl', 'member']] as const) {
        users[name] = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
        await assignments.grant({ type: 'UserProject', actorId: users[name]!, targetId: p, roleId: await role(r) });
      }
      users.dadmin = (await identity.createUser({ name: 'dadmin', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      await assignments.grant({ type: 'UserDomain', actorId: users.dadmin, targetId: DEFAULT_DOMAIN_ID, roleId: await role('admin') });
      // user dora of domain "acme", reached as dora@acme
      const acme = await resources.createDomain({ name: 'acme' });
      const ap = (await resources.createProject({ name: 'acme-p', domainId: acme.id })).id;
      users.dora = (await identity.createUser({ name: 'dora', domainId: acme.id, password: PW, defaultProjectId: ap })).id;
      await assignments.grant({ type: 'UserProject', actorId: users.dora, targetId: ap, roleId: await role('member') });
      // Alibaba has no password sign-in: each user's first key comes from Keystone's OS-EC2 API.
      for (const name of ['alice', 'padmin', 'bob']) {
        const token = (await issue(h.url, passwordAuth({ name }, PW, { project: { id: p } }))).id;
        const made = await call(h.url, 'POST', `/v3/users/${users[name]}/credentials/OS-EC2`, { token, body: { tenant_id: p } });
        assert.equal(made.status, 201, made.text);
        keys[name] = { ak: made.body.credential.access, sk: made.body.credential.secret };
      }
      // dadmin holds no project role, so OS-EC2 cannot serve it: a credential straight in the store
      keys.dadmin = { ak: 'DADMINKEY0000000000000001', sk: 'dadmin-secret-0000000000000001' };
      await h.get(CredentialService).create({ userId: users.dadmin, projectId: p, type: 'ec2', issuer: 'keystone', blob: JSON.stringify({ access: keys.dadmin.ak, secret: keys.dadmin.sk }) });
    });

    test('ims20190815 (ACS3-HMAC-SHA256): CreateAccessKey for oneself, the secret once; the key is a Keystone ec2 credential', async () => {
      const r = await ims(keys.alice!).createAccessKey(new $Ims.CreateAccessKeyRequest({}));
      assert.equal(r.statusCode, 200);
      assert.match(r.body!.requestId!, REQUEST_ID);
      const k = r.body!.accessKey!;
      assert.match(k.accessKeyId!, /^LTAI[0-9A-Za-z]{20}$/);
      assert.match(k.accessKeySecret!, /^[0-9A-Za-z]{30}$/);
      assert.equal(k.status, 'Active');
      assert.match(k.createDate!, DATE);
      keys.alice2 = { ak: k.accessKeyId!, sk: k.accessKeySecret! };
      const cred = (await call(h.url, 'GET', `/v3/credentials/${sha256(k.accessKeyId!)}`, { token: admin })).body.credential;
      assert.equal(cred.type, 'ec2');
      assert.equal(cred.user_id, users.alice);
      assert.equal(cred.project_id, p);
      assert.equal((await h.multicloud.get(CredentialService).findByAccessKey(k.accessKeyId!))?.issuer, 'alibaba');
      // the new key signs requests everywhere: Keystone ec2tokens, and Alibaba itself (V3 and V1)
      assert.equal((await ec2tokens(h.url, admin, keys.alice2.ak, keys.alice2.sk)).status, 200);
      const listed = await ims(keys.alice2).listAccessKeys(new $Ims.ListAccessKeysRequest({}));
      const ids = listed.body!.accessKeys!.accessKey!.map((x: any) => x.accessKeyId);
      assert.deepEqual(ids.sort(), [keys.alice!.ak, keys.alice2.ak].sort());
      for (const x of listed.body!.accessKeys!.accessKey!) {
        assert.ok(!('accessKeySecret' in x) || x.accessKeySecret === undefined);
        assert.match(x.createDate!, DATE);
        assert.match(x.updateDate!, DATE);
        assert.equal(x.status, 'Active');
      }
      const v1List = await ims(keys.alice2, true).listAccessKeys(new $Ims.ListAccessKeysRequest({}));
      assert.equal(v1List.body!.accessKeys!.accessKey!.length, 2);
    });

    test('pop-core (V1 HMAC-SHA1), GET and POST: ListAccessKeys, UpdateAccessKey, GetAccessKeyLastUsed; secrets never listed', async () => {
      const get = (await pop(keys.alice!).request('ListAccessKeys', {})) as any;
      assert.match(get.RequestId, REQUEST_ID);
      assert.deepEqual(Object.keys(get).sort(), ['AccessKeys', 'RequestId']);
      assert.equal(get.AccessKeys.AccessKey.length, 2);
      assert.ok(!JSON.stringify(get).includes(keys.alice2!.sk));
      const post = (await pop(keys.alice!).request('ListAccessKeys', {}, { method: 'POST' })) as any;
      assert.equal(post.AccessKeys.AccessKey.length, 2);
      await h.multicloud.get(CredentialService).flushUse();
      const used = (await pop(keys.alice!).request('GetAccessKeyLastUsed', { UserAccessKeyId: keys.alice2!.ak }, { method: 'POST' })) as any;
      assert.match(used.AccessKeyLastUsed.LastUsedDate, DATE);
      assert.equal(used.AccessKeyLastUsed.ServiceName, 'alibaba');
      const upd = (await pop(keys.alice!).request('UpdateAccessKey', { UserAccessKeyId: keys.alice2!.ak, Status: 'Inactive' }, { method: 'POST' })) as any;
      assert.deepEqual(Object.keys(upd), ['RequestId']);
      const after_ = (await pop(keys.alice!).request('ListAccessKeys', {})) as any;
      assert.equal(after_.AccessKeys.AccessKey.find((x: any) => x.AccessKeyId === keys.alice2!.ak).Status, 'Inactive');
      // Inactive: refused by Alibaba (both schemes) and by Keystone's ec2tokens
      assert.equal((await clientError(pop(keys.alice2!).request('ListAccessKeys', {}))).code, 'InvalidAccessKeyId.Inactive');
      const e3 = await clientError(ims(keys.alice2!).listAccessKeys(new $Ims.ListAccessKeysRequest({})));
      assert.equal(e3.code, 'InvalidAccessKeyId.Inactive');
      assert.equal(e3.status, 400);
      assert.equal(await becomes(async () => (await ec2tokens(h.url, admin, keys.alice2!.ak, keys.alice2!.sk)).status, 401), 401);
      await pop(keys.alice!).request('UpdateAccessKey', { UserAccessKeyId: keys.alice2!.ak, Status: 'Active' });
      assert.equal((await ims(keys.alice2!).listAccessKeys(new $Ims.ListAccessKeysRequest({}))).statusCode, 200);
      assert.equal(await becomes(async () => (await ec2tokens(h.url, admin, keys.alice2!.ak, keys.alice2!.sk)).status, 200), 200);
    });

    test('GetAccessKeyLastUsed: never used omits LastUsedDate; a check through any dialect shows (ims20190815)', async () => {
      const carlOs = { ak: 'LTAIcarl0000000000000001', sk: 'carl-secret-000000000000000001' };
      await h.get(CredentialService).create({ userId: users.carl!, projectId: p, type: 'ec2', issuer: 'alibaba', blob: JSON.stringify({ access: carlOs.ak, secret: carlOs.sk }) });
      const r = await ims(keys.padmin!).getAccessKeyLastUsed(new $Ims.GetAccessKeyLastUsedRequest({ userPrincipalName: 'carl@Default', userAccessKeyId: carlOs.ak }));
      assert.equal(r.body!.accessKeyLastUsed!.lastUsedDate, undefined);
      // used through Keystone's ec2tokens (another dialect), then read through Alibaba
      assert.equal((await ec2tokens(h.url, admin, carlOs.ak, carlOs.sk)).status, 200);
      await h.get(CredentialService).flushUse();
      const r2 = await ims(keys.padmin!, true).getAccessKeyLastUsed(new $Ims.GetAccessKeyLastUsedRequest({ userPrincipalName: 'carl@Default', userAccessKeyId: carlOs.ak }));
      assert.match(r2.body!.accessKeyLastUsed!.lastUsedDate!, DATE);
      await ims(keys.padmin!).deleteAccessKey(new $Ims.DeleteAccessKeyRequest({ userPrincipalName: 'carl@Default', userAccessKeyId: carlOs.ak }));
      assert.equal(await count(users.carl!), 0);
    });

    test('Format=XML through the generic client, V3 and V1: the seed\'s shapes; errors as <Error>', async () => {
      for (const isV1 of [false, true]) {
        const created = await generic(keys.bob!, 'CreateAccessKey', { Format: 'XML' }, isV1);
        assert.equal(created.status, 200);
        const m = /^<CreateAccessKeyResponse><RequestId>([0-9A-F-]{36})<\/RequestId><AccessKey><Status>Active<\/Status><AccessKeyId>(LTAI\w{20})<\/AccessKeyId><AccessKeySecret>(\w{30})<\/AccessKeySecret><CreateDate>(\S+?)<\/CreateDate><\/AccessKey><\/CreateAccessKeyResponse>$/.exec(created.body);
        assert.ok(m, created.body);
        assert.match(m[1]!, REQUEST_ID);
        assert.match(m[4]!, DATE);
        const list = await generic(keys.bob!, 'ListAccessKeys', { Format: 'XML' }, isV1);
        assert.match(list.body, /^<ListAccessKeysResponse><RequestId>[0-9A-F-]{36}<\/RequestId><AccessKeys>(<AccessKey><AccessKeyId>\w+<\/AccessKeyId><Status>(Active|Inactive)<\/Status><CreateDate>[^<]+<\/CreateDate><UpdateDate>[^<]+<\/UpdateDate><\/AccessKey>)+<\/AccessKeys><\/ListAccessKeysResponse>$/);
        assert.ok(!list.body.includes(m[3]!), 'no secret in a list');
        const del = await generic(keys.bob!, 'DeleteAccessKey', { Format: 'XML', UserAccessKeyId: m[2]! }, isV1);
        assert.match(del.body, /^<DeleteAccessKeyResponse><RequestId>[0-9A-F-]{36}<\/RequestId><\/DeleteAccessKeyResponse>$/);
      }
      const bad = await v1(keys.bob, { Action: 'DeleteAccessKey', Format: 'xml', UserAccessKeyId: 'LTAINOPE' });
      assert.equal(bad.status, 404);
      assert.equal(bad.headers.get('content-type'), 'text/xml;charset=utf-8');
      assert.match(bad.text, /^<Error><RequestId>[0-9A-F-]{36}<\/RequestId><HostId>ims\.aliyuncs\.com<\/HostId><Code>EntityNotExist\.User\.AccessKey<\/Code><Message>[^<]+<\/Message><Recommend>[^<]+<\/Recommend><\/Error>$/);
    });

    test('two keys per user: the third is LimitExceeded.User.AccessKey (409), nothing written; concurrent creates too', async () => {
      const before_ = await count(users.alice!);
      // alice holds one Alibaba key (alice2) and one OS-EC2 key: one more Alibaba key fits
      const third = (await pop(keys.alice!).request('CreateAccessKey', {}, { method: 'POST' })) as any;
      assert.match(third.AccessKey.AccessKeyId, /^LTAI/);
      const e = await clientError(pop(keys.alice!).request('CreateAccessKey', {}));
      assert.equal(e.code, 'LimitExceeded.User.AccessKey');
      const e3 = await clientError(ims(keys.alice!).createAccessKey(new $Ims.CreateAccessKeyRequest({})));
      assert.equal(e3.status, 409);
      assert.equal(await count(users.alice!), before_ + 1);
      await pop(keys.alice!).request('DeleteAccessKey', { UserAccessKeyId: third.AccessKey.AccessKeyId });
      // eight concurrent creates for padmin: exactly two succeed
      const rs = await Promise.allSettled(Array.from({ length: 8 }, () => ims(keys.padmin!).createAccessKey(new $Ims.CreateAccessKeyRequest({}))));
      assert.equal(rs.filter((r) => r.status === 'fulfilled').length, 2);
      for (const r of rs) if (r.status === 'rejected') assert.equal((r.reason as any).code, 'LimitExceeded.User.AccessKey');
      const padminKeys = (await h.multicloud.get(CredentialService).list({ userId: users.padmin })).filter((c) => c.issuer === 'alibaba');
      assert.equal(padminKeys.length, 2);
      for (const c of padminKeys) await ims(keys.padmin!).deleteAccessKey(new $Ims.DeleteAccessKeyRequest({ userAccessKeyId: c.accessKey! }));
    });

    test('UserPrincipalName: name@domain; the admin of the keys\' project manages them, members may not; an unknown user looks forbidden', async () => {
      const made = await ims(keys.padmin!).createAccessKey(new $Ims.CreateAccessKeyRequest({ userPrincipalName: 'carl@Default' }));
      const carlKey = made.body!.accessKey!.accessKeyId!;
      assert.equal((await h.multicloud.get(CredentialService).findByAccessKey(carlKey))?.userId, users.carl);
      const listed = (await pop(keys.padmin!).request('ListAccessKeys', { UserPrincipalName: 'carl@Default' })) as any;
      assert.deepEqual(listed.AccessKeys.AccessKey.map((x: any) => x.AccessKeyId), [carlKey]);
      // Alibaba's own suffix is tolerated, a bare name is a user of the caller's domain
      assert.equal(((await pop(keys.padmin!).request('ListAccessKeys', { UserPrincipalName: 'carl@Default.onaliyun.com' })) as any).AccessKeys.AccessKey.length, 1);
      assert.equal(((await pop(keys.padmin!).request('ListAccessKeys', { UserPrincipalName: 'carl' })) as any).AccessKeys.AccessKey.length, 1);
      const denied = await clientError(ims(keys.alice!).listAccessKeys(new $Ims.ListAccessKeysRequest({ userPrincipalName: 'carl@Default' })));
      assert.equal(denied.code, 'NoPermission');
      assert.equal(denied.status, 403);
      assert.equal((await clientError(pop(keys.alice!).request('DeleteAccessKey', { UserPrincipalName: 'carl@Default', UserAccessKeyId: carlKey }))).code, 'NoPermission');
      // alice's own key list does not hold carl's key
      assert.equal((await clientError(pop(keys.alice!).request('DeleteAccessKey', { UserAccessKeyId: carlKey }))).code, 'EntityNotExist.User.AccessKey');
      // an unknown user is answered as one the caller may not manage (no enumeration: L4)
      const unknown = await clientError(ims(keys.padmin!).listAccessKeys(new $Ims.ListAccessKeysRequest({ userPrincipalName: 'nobody@Default' })));
      assert.equal(unknown.code, 'NoPermission');
      assert.equal(unknown.status, 403);
      // a project admin of Default's project has no say over acme's dora
      assert.equal((await clientError(pop(keys.padmin!).request('ListAccessKeys', { UserPrincipalName: 'dora@acme' }))).code, 'NoPermission');
      // a key acts with its owner's roles on the key's project only: the domain admin's key, on a
      // project where it holds no role, carries no authority at all (L1, H1)
      assert.equal((await clientError(pop(keys.dadmin!).request('CreateAccessKey', { UserPrincipalName: 'dora@acme' }))).code, 'InvalidAccessKeyId.Inactive');
      assert.equal((await clientError(pop(keys.dadmin!).request('ListAccessKeys', { UserPrincipalName: 'carl' }))).code, 'InvalidAccessKeyId.Inactive');
      assert.equal(await count(users.dora!), 0);
      // the project's admin manages carl's keys on the project
      await ims(keys.padmin!, true).updateAccessKey(new $Ims.UpdateAccessKeyRequest({ userPrincipalName: 'carl@Default', userAccessKeyId: carlKey, status: 'Inactive' }));
      assert.equal((await h.multicloud.get(CredentialService).findByAccessKey(carlKey))?.state, 'inactive');
      await ims(keys.padmin!).deleteAccessKey(new $Ims.DeleteAccessKeyRequest({ userPrincipalName: 'carl@Default', userAccessKeyId: carlKey }));
      assert.equal(await count(users.carl!), 0);
    });

    test('one store: deleting through Alibaba removes the key from Keystone, Outscale and SODA; deleting elsewhere removes it here', async () => {
      const k = (await pop(keys.bob!).request('CreateAccessKey', {})) as any;
      const bk = { ak: k.AccessKey.AccessKeyId, sk: k.AccessKey.AccessKeySecret };
      // Outscale (OSC4-signed) and Keystone see it
      const osc = async (key: Key) => {
        const body = '{}';
        const headers = { 'Content-Type': 'application/json', ...signOsc4({ host, path: '/api/v1/ReadAccessKeys', body, accessKey: key.ak, secret: key.sk, region: 'eu-west-2' }) };
        return fetch(`${h.multicloudUrl}/api/v1/ReadAccessKeys`, { method: 'POST', headers, body });
      };
      const oscList = (await (await osc(keys.bob!)).json()) as any;
      assert.ok(oscList.AccessKeys.some((x: any) => x.AccessKeyId === bk.ak));
      assert.equal((await osc(bk)).status, 200, 'an Alibaba key signs Outscale requests');
      const bobToken = (await issue(h.url, passwordAuth({ name: 'bob' }, PW, { project: { id: p } }))).id;
      const soda = await call(h.multicloudUrl, 'GET', `/v1/${p}/aksks/${users.bob}`, { token: bobToken });
      assert.ok(soda.body.some((x: any) => x.blob.access_key === bk.ak), soda.text);
      await ims(keys.bob!).deleteAccessKey(new $Ims.DeleteAccessKeyRequest({ userAccessKeyId: bk.ak }));
      assert.equal((await call(h.url, 'GET', `/v3/credentials/${sha256(bk.ak)}`, { token: admin })).status, 404);
      assert.equal((await osc(bk)).status, 401);
      assert.equal((await ec2tokens(h.url, admin, bk.ak, bk.sk)).status, 404, 'Keystone: no such access key');
      // made here, deleted through Keystone: gone for Alibaba
      const k2 = (await ims(keys.bob!).createAccessKey(new $Ims.CreateAccessKeyRequest({}))).body!.accessKey!;
      assert.equal((await call(h.url, 'DELETE', `/v3/credentials/${sha256(k2.accessKeyId!)}`, { token: admin })).status, 204);
      assert.equal((await clientError(pop({ ak: k2.accessKeyId!, sk: k2.accessKeySecret! }).request('ListAccessKeys', {}))).code, 'InvalidAccessKeyId.NotFound');
      const e = await clientError(ims(keys.bob!).deleteAccessKey(new $Ims.DeleteAccessKeyRequest({ userAccessKeyId: k2.accessKeyId! })));
      assert.equal(e.code, 'EntityNotExist.User.AccessKey');
      assert.equal(e.status, 404);
      // an Edgio pair is listed and usable here, and deleting it here ends it for Edgio's owner too
      const rpc = async (method: string, params: unknown[]) => (await call(h.multicloudUrl, 'POST', '/jsonrpc2', { body: { jsonrpc: '2.0', method, params, id: 1 } })).body.result;
      const [token] = await rpc('login', ['carl', PW]);
      const pair = await rpc('initKeyPair', [token]);
      const edgioKey = { ak: pair.access_key, sk: pair.secret_key };
      assert.deepEqual(((await pop(edgioKey).request('ListAccessKeys', {})) as any).AccessKeys.AccessKey.map((x: any) => x.AccessKeyId), [pair.access_key]);
      await ims(edgioKey).deleteAccessKey(new $Ims.DeleteAccessKeyRequest({ userAccessKeyId: pair.access_key }));
      assert.equal(await count(users.carl!), 0);
    });

    test('signatures: bad, replayed, stale, unknown key, missing parts; each with its code, nothing written', async () => {
      const before_ = await count(users.alice!);
      const a = keys.alice!;
      aliError(await v1({ ...a, sk: 'X'.repeat(30) }, { Action: 'CreateAccessKey' }), 400, 'SignatureDoesNotMatch');
      aliError(await v1({ ak: 'LTAI00000000000000000000', sk: 'x' }, { Action: 'ListAccessKeys' }), 404, 'InvalidAccessKeyId.NotFound');
      aliError(await v1(a, { Action: 'ListAccessKeys', Timestamp: alibabaDate(new Date(Date.now() - 20 * 60_000)) }), 400, 'InvalidTimeStamp.Expired');
      aliError(await v1(a, { Action: 'ListAccessKeys', Timestamp: alibabaDate(new Date(Date.now() + 20 * 60_000)) }), 400, 'InvalidTimeStamp.Expired');
      aliError(await v1(a, { Action: 'ListAccessKeys', Timestamp: '2026-13-01T00:00:00Z' }), 400, 'InvalidTimeStamp.Format');
      aliError(await v1(a, { Action: 'ListAccessKeys' }, { omit: ['SignatureNonce'] }), 400, 'IncompleteSignature');
      aliError(await v1(undefined, { Action: 'ListAccessKeys' }), 400, 'IncompleteSignature');
      aliError(await v1(a, { Action: 'ListAccessKeys', SignatureMethod: 'HMAC-SHA256' }), 400, 'IncompleteSignature');
      // a parameter changed after signing
      aliError(await v1(a, { Action: 'CreateAccessKey' }, { sign: (x) => { x.UserPrincipalName = 'carl@Default'; } }), 400, 'SignatureDoesNotMatch');
      // signed for GET, sent as POST
      aliError(await v1(a, { Action: 'ListAccessKeys' }, { sign: (x) => { x.Signature = alibabaRpcSignature('POST', x, 'nope'); } }), 400, 'SignatureDoesNotMatch');
      // replay: the same signed request twice (and through the form body the second time)
      const nonce = randomUUID();
      const first = await v1(a, { Action: 'ListAccessKeys', SignatureNonce: nonce }, { method: 'POST', form: true });
      assert.equal(first.status, 200, first.text);
      aliError(await v1(a, { Action: 'ListAccessKeys', SignatureNonce: nonce }, { method: 'POST', form: true }), 400, 'SignatureNonceUsed');
      aliError(await v1(a, { Action: 'ListAccessKeys', SignatureNonce: nonce }), 400, 'SignatureNonceUsed');
      // the same nonce with another key is another request
      assert.equal((await v1(keys.bob!, { Action: 'ListAccessKeys', SignatureNonce: nonce })).status, 200);
      // V3: replayed, body changed, wrong secret, stale date
      const v3 = async (o: { nonce?: string; date?: Date; body?: string; sent?: string; secret?: string; drop?: string } = {}) => {
      const body = o.body ?? '';
      const headers: Record<string, string> = {
        host, 'x-acs-action': 'ListAccessKeys', 'x-acs-version': VERSION, 'x-acs-date': alibabaDate(o.date ?? new Date()),
        'x-acs-signature-nonce': o.nonce ?? randomUUID(), 'x-acs-content-sha256': sha256(body),
        ...(body ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      };
      const signed = Object.keys(headers).filter((n) => n !== o.drop).sort();
      const sig = acs3Signature({ method: 'POST', path: '/', query: {}, headers, payloadHash: headers['x-acs-content-sha256']! }, signed, o.secret ?? a.sk);
      const { host: _h, ...send } = headers;
      const r = await fetch(`${h.multicloudUrl}/`, { method: 'POST', headers: { ...send, Authorization: `ACS3-HMAC-SHA256 Credential=${a.ak},SignedHeaders=${signed.join(';')},Signature=${sig}` }, body: o.sent ?? (body || undefined) });
      const text = await r.text();
      return { status: r.status, headers: r.headers, body: JSON.parse(text), text } as Res;
      };
      const n3 = randomUUID();
      assert.equal((await v3({ nonce: n3, body: 'Format=JSON' })).status, 200);
      aliError(await v3({ nonce: n3, body: 'Format=JSON' }), 400, 'SignatureNonceUsed');
      aliError(await v3({ body: 'Format=JSON', sent: 'Format=json' }), 400, 'SignatureDoesNotMatch');
      aliError(await v3({ secret: 'wrong' }), 400, 'SignatureDoesNotMatch');
      aliError(await v3({ date: new Date(Date.now() - 16 * 60_000) }), 400, 'InvalidTimeStamp.Expired');
      aliError(await v3({ drop: 'x-acs-signature-nonce' }), 400, 'IncompleteSignature');
      const garbage = await fetch(`${h.multicloudUrl}/`, { method: 'POST', headers: { Authorization: 'ACS3-HMAC-SHA256 nonsense', 'x-acs-action': 'ListAccessKeys', 'x-acs-version': VERSION } });
      aliError({ status: garbage.status, headers: garbage.headers, text: '', body: await garbage.json() }, 400, 'IncompleteSignature');
      assert.equal(await count(users.alice!), before_);
    });

    test('replicas: one signed request sent to two multicloud apps on one database at once passes exactly once', async () => {
      const other = await h.replica();
      const a = keys.alice!;
      for (let round = 0; round < 5; round++) {
        const params: Record<string, string> = {
          Action: 'ListAccessKeys', Format: 'JSON', Version: VERSION, AccessKeyId: a.ak, SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0',
          SignatureNonce: randomUUID(), Timestamp: alibabaDate(new Date()),
        };
        params.Signature = alibabaRpcSignature('GET', params, a.sk);
        const qs = new URLSearchParams(params).toString();
        const rs = await Promise.all([h.multicloudUrl, other.multicloudUrl].map(async (base) => {
          const r = await fetch(`${base}/?${qs}`);
          return { status: r.status, body: (await r.json()) as any };
        }));
        assert.deepEqual(rs.map((r) => r.status).sort(), [200, 400], JSON.stringify(rs));
        assert.equal(rs.find((r) => r.status === 400)!.body.Code, 'SignatureNonceUsed');
      }
    });

    test('bad input: the dialect\'s own 4xx, never a 500, nothing written', async () => {
      const before_ = await count(users.alice!);
      const a = keys.alice!;
      aliError(await v1(a, { Action: 'CreateAccessKeys' }), 404, 'InvalidAction.NotFound');
      aliError(await v1(a, { Action: 'ListUsers' }), 404, 'InvalidAction.NotFound');
      aliError(await v1(a, { Action: 'ListAccessKeys', Version: '2015-05-01' }), 400, 'InvalidVersion');
      aliError(await v1(a, {}, { omit: ['Action'] }), 400, 'MissingParameter');
      aliError(await v1(a, { Action: 'ListAccessKeys' }, { omit: ['Version'] }), 400, 'MissingParameter');
      aliError(await v1(a, { Action: 'UpdateAccessKey', Status: 'Inactive' }), 400, 'MissingUserAccessKeyId');
      aliError(await v1(a, { Action: 'DeleteAccessKey' }), 400, 'MissingUserAccessKeyId');
      aliError(await v1(a, { Action: 'GetAccessKeyLastUsed', UserAccessKeyId: '' }), 400, 'MissingUserAccessKeyId');
      aliError(await v1(a, { Action: 'UpdateAccessKey', UserAccessKeyId: a.ak }), 400, 'MissingParameter');
      aliError(await v1(a, { Action: 'UpdateAccessKey', UserAccessKeyId: a.ak, Status: 'Disabled' }), 400, 'InvalidParameter.Status');
      aliError(await v1(a, { Action: 'UpdateAccessKey', UserAccessKeyId: a.ak, Status: 'active' }), 400, 'InvalidParameter.Status');
      aliError(await v1(a, { Action: 'UpdateAccessKey', UserAccessKeyId: 'LTAINOPE', Status: 'Active' }), 404, 'EntityNotExist.User.AccessKey');
      aliError(await v1(a, { Action: 'ListAccessKeys', Format: 'YAML' }), 400, 'InvalidParameter.Format');
      aliError(await v1(a, { Action: 'CreateAccessKey', UserPrincipalName: 'x'.repeat(300) }), 400, 'InvalidParameter.UserPrincipalName');
      // a parameter twice, or query and body disagreeing
      const dup = await fetch(`${h.multicloudUrl}/?Action=ListAccessKeys&Action=CreateAccessKey`);
      assert.equal(dup.status, 400);
      assert.equal(((await dup.json()) as any).Code, 'InvalidParameter');
      const clash = await fetch(`${h.multicloudUrl}/?Action=ListAccessKeys`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Action=CreateAccessKey' });
      assert.equal(((await clash.json()) as any).Code, 'InvalidParameter');
      // bodies that are not forms
      for (const [type, body] of [['application/json', '{"Action":"ListAccessKeys"}'], ['text/plain', 'Action=ListAccessKeys'], [undefined, '{']] as const) {
        const r = await fetch(`${h.multicloudUrl}/`, { method: 'POST', headers: type ? { 'Content-Type': type } : {}, body: type ? body : new TextEncoder().encode(body) });
        const t = await r.text();
        assert.equal(r.status, 400, t);
        assert.equal(JSON.parse(t).Code, 'InvalidParameter', t);
      }
      const big = await fetch(`${h.multicloudUrl}/`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: `Action=ListAccessKeys&X=${'x'.repeat(70 * 1024)}` });
      assert.equal(big.status, 413);
      assert.equal(((await big.json()) as any).Code, 'InvalidParameter');
      const put = await fetch(`${h.multicloudUrl}/?Action=ListAccessKeys`, { method: 'PUT' });
      assert.equal(put.status, 405);
      assert.equal(((await put.json()) as any).Code, 'UnsupportedHTTPMethod');
      const long = await fetch(`${h.multicloudUrl}/?Action=${'A'.repeat(3000)}`);
      assert.equal(long.status, 400);
      assert.equal(await count(users.alice!), before_);
      // the other dialects keep their own answers for their own paths
      assert.equal((await fetch(`${h.multicloudUrl}/nope`)).status, 404);
      assert.equal(await (await fetch(`${h.multicloudUrl}/nope`)).text(), '404: Page Not Found');
      const oscForm = await fetch(`${h.multicloudUrl}/api/v1/ReadAccessKeys`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
      assert.deepEqual(Object.keys((await oscForm.json()) as object).sort(), ['Errors', 'ResponseContext']);
    });

    test('an expired key or a disabled owner fails; the nonce table is pruned', async () => {
      const k = (await ims(keys.bob!).createAccessKey(new $Ims.CreateAccessKeyRequest({}))).body!.accessKey!;
      const bk = { ak: k.accessKeyId!, sk: k.accessKeySecret! };
      await h.multicloud.get(CredentialService).update(sha256(bk.ak), { expiresAt: new Date(Date.now() - 1000) });
      assert.equal((await clientError(pop(bk).request('ListAccessKeys', {}))).code, 'InvalidAccessKeyId.Inactive');
      await h.multicloud.get(CredentialService).update(sha256(bk.ak), { expiresAt: null });
      // The identity app is another process in production: the key's authority (the token
      // validation cache) sees the owner disabled within the revocation refresh.
      const code = async () => (await pop(bk).request('ListAccessKeys', {}).then(() => 'ok', (e: any) => String(e.code ?? e.data?.Code)));
      await h.get(IdentityService).updateUser(users.bob!, { enabled: false });
      assert.equal(await becomes(code, 'InvalidAccessKeyId.Inactive'), 'InvalidAccessKeyId.Inactive');
      await h.get(IdentityService).updateUser(users.bob!, { enabled: true });
      assert.equal(await becomes(code, 'ok'), 'ok');
      await pop(bk).request('DeleteAccessKey', { UserAccessKeyId: bk.ak });
      // nonces outlive their window by nothing: a forced prune drops rows whose expiry has passed
      const svc = h.multicloud.get(AlibabaKeyService);
      assert.ok(await svc.claimNonce('LTAIprune', 'n', new Date(Date.now() - 1000)));
      assert.ok((await svc.pruneNonces(true)) >= 1);
      assert.ok(await svc.claimNonce('LTAIprune', 'n', new Date(Date.now() + 60_000)), 'pruned, so claimable again');
    });

    test('the migrated alibaba_nonces table is exactly what the entity describes', async () => {
      const pending = (await h.ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query).filter((q) => /alibaba_nonces/.test(q));
      assert.deepEqual(pending, []);
    });

    test('no leak: Alibaba error bodies carry no other dialect\'s envelope, and no secret', async () => {
      const bodies = [
        await v1(undefined, { Action: 'ListAccessKeys' }), await v1(keys.alice, { Action: 'Nope' }),
        await v1({ ...keys.alice!, sk: 'bad' }, { Action: 'ListAccessKeys' }), await v1(keys.alice, { Action: 'UpdateAccessKey', UserAccessKeyId: keys.alice!.ak, Status: 'x' }),
        await v1(keys.alice, { Action: 'ListAccessKeys', Format: 'XML', Version: '1' }),
      ];
      const put = await fetch(`${h.multicloudUrl}/`, { method: 'DELETE' });
      bodies.push({ status: put.status, headers: put.headers, text: await put.text(), body: undefined });
      for (const r of bodies) {
        assert.ok(r.status >= 400 && r.status < 500, r.text);
        assert.doesNotMatch(r.text, /"error"|"Errors"|"jsonrpc"|"title"|ResponseContext|stack|at \w+ \(/, r.text);
        assert.ok(!r.text.includes(keys.alice!.sk) && !r.text.includes(PW), r.text);
        if (r.body) assert.deepEqual(Object.keys(r.body).sort(), ['Code', 'HostId', 'Message', 'Recommend', 'RequestId']);
        else assert.match(r.text, /^<Error>|^\{"RequestId"/);
      }
    });
  });
}
