import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import jayson from 'jayson/promise/index.js';
import { AssignmentService, CredentialService, DEFAULT_DOMAIN_ID, EdgioSessionEntity, IdentityService, ResourceService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { clockPasses } from '../helpers/wait.js';

const PW = 'edgio-password-1';
const HEX36 = /^[0-9a-f]{36}$/;
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Edgio's JSON-RPC interface driven by jayson, a genuine JSON-RPC 2.0 client, and by raw bodies. */
for (const kind of databaseKinds()) {
  describe(`Edgio JSON-RPC /jsonrpc2 (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_LOCKOUT_FAILURE_ATTEMPTS: '3' });
    let h: Harness;
    let client: ReturnType<typeof jayson.Client.http>;
    let admin: string;
    let p: string;
    const users: Record<string, string> = {};

    /** A raw POST to the JSON-RPC endpoint. */
    const rpc = (body: unknown, o: { raw?: string; headers?: Record<string, string>; path?: string; method?: string } = {}) =>
      call(h.multicloudUrl, o.method ?? 'POST', o.path ?? '/jsonrpc2', o.raw === undefined ? { body, headers: o.headers } : { raw: o.raw, headers: { 'Content-Type': 'application/json', ...o.headers } });
    const result = async (method: string, params: unknown) => {
      const r = await client.request(method, params as never);
      assert.equal(r.jsonrpc, '2.0');
      assert.ok(!('error' in r), JSON.stringify(r));
      return r.result as any;
    };
    const rpcError = (r: Res, code: number, id: unknown = null) => {
      assert.equal(r.status, 200, r.text);
      assert.deepEqual(Object.keys(r.body).sort(), ['error', 'id', 'jsonrpc']);
      assert.equal(r.body.jsonrpc, '2.0');
      assert.deepEqual(r.body.id, id);
      assert.equal(r.body.error.code, code, r.text);
      assert.equal(typeof r.body.error.message, 'string');
    };
    const login = async (name: string, password = PW): Promise<string> => {
      const [token] = await result('login', { username: name, password });
      assert.equal(typeof token, 'string', `login of ${name} failed`);
      return token;
    };
    const edgioKeys = async (userId: string) => (await h.get(CredentialService).list({ userId })).filter((c) => c.issuer === 'edgio');

    before(async () => {
      h = ctx.h;
      const u = new URL(h.multicloudUrl);
      client = jayson.Client.http({ host: u.hostname, port: Number(u.port), path: '/jsonrpc2' });
      admin = (await issue(h.url, adminProjectAuth())).id;
      const resources = h.get(ResourceService);
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const member = (await assignments.findGlobalRole('member'))!.id;
      p = (await resources.createProject({ name: 'edgio-p', domainId: DEFAULT_DOMAIN_ID })).id;
      const q = (await resources.createProject({ name: 'edgio-q', domainId: DEFAULT_DOMAIN_ID })).id;
      const acme = (await resources.createDomain({ name: 'acme' })).id;
      const acmeP = (await resources.createProject({ name: 'acme-p', domainId: acme })).id;
      for (const [name, domainId, project, dflt] of [['alice', DEFAULT_DOMAIN_ID, p, p], ['bob', DEFAULT_DOMAIN_ID, p, null], ['locky', DEFAULT_DOMAIN_ID, p, p],
        ['carol', acme, acmeP, acmeP], ['twoprojects', DEFAULT_DOMAIN_ID, p, null], ['nohome', DEFAULT_DOMAIN_ID, null, null]] as const) {
        users[name] = (await identity.createUser({ name, domainId, password: PW, defaultProjectId: dflt })).id;
        if (project) await assignments.grant({ type: 'UserProject', actorId: users[name]!, targetId: project, roleId: member });
      }
      await assignments.grant({ type: 'UserProject', actorId: users.twoprojects!, targetId: q, roleId: member });
    });

    test('named params: login then initKeyPair; the key is an ec2 credential Keystone sees and ec2tokens accepts', async () => {
      const [token, info] = await result('login', { username: 'alice', password: PW });
      assert.match(token, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      assert.deepEqual(Object.keys(info).sort(), ['gid', 'uid']);
      assert.ok(Number.isInteger(info.uid) && Number.isInteger(info.gid));
      const [, detailed] = await result('login', { username: 'alice', password: PW, detail: true });
      assert.equal(detailed.path, '/edgio-p');
      const pair = await result('initKeyPair', { token });
      assert.deepEqual(Object.keys(pair).sort(), ['access_key', 'code', 'secret_key']);
      assert.equal(pair.code, 0);
      assert.match(pair.access_key, HEX36);
      assert.match(pair.secret_key, HEX36);
      const listed = await call(h.url, 'GET', `/v3/credentials?user_id=${users.alice}`, { token: admin });
      assert.equal(listed.status, 200, listed.text);
      const cred = listed.body.credentials.find((c: any) => c.id === sha256(pair.access_key));
      assert.equal(cred.type, 'ec2');
      assert.equal(cred.project_id, p);
      assert.equal(JSON.parse(cred.blob).access, pair.access_key);
      const r = await ec2tokens(h.url, admin, pair.access_key, pair.secret_key);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.token.user.id, users.alice);
      assert.equal(r.body.token.project.id, p);
    });

    test('positional params: a second initKeyPair replaces the pair; the old key stops working at once', async () => {
      const [token, info] = (await client.request('login', ['alice', PW])).result as [string, object];
      assert.ok(token && info);
      const first = (await client.request('initKeyPair', [token])).result as any;
      const second = (await client.request('initKeyPair', [token])).result as any;
      assert.notEqual(first.access_key, second.access_key);
      const keys = await edgioKeys(users.alice!);
      assert.deepEqual(keys.map((k) => k.accessKey), [second.access_key]);
      assert.equal((await ec2tokens(h.url, admin, first.access_key, first.secret_key)).status, 404);
      assert.equal((await ec2tokens(h.url, admin, second.access_key, second.secret_key)).status, 200);
    });

    test('concurrent initKeyPair calls leave exactly one pair', async () => {
      const token = await login('bob');
      const pairs = await Promise.all(Array.from({ length: 6 }, () => result('initKeyPair', [token])));
      assert.ok(pairs.every((x) => x.code === 0));
      const keys = await edgioKeys(users.bob!);
      assert.equal(keys.length, 1);
      assert.ok(pairs.some((x) => x.access_key === keys[0]!.accessKey));
    });

    test('a batch through jayson: answers in order, failures as results or errors', async () => {
      const token = await login('alice');
      const batch = [
        client.request('initKeyPair', { token }, 'a', false),
        client.request('initKeyPair', ['not-a-session'], 'b', false),
        client.request('login', { username: 'alice', password: 'wrong' }, 7, false),
        client.request('noSuchMethod', [], 'd', false),
      ];
      const out = (await client.request(batch)) as unknown as any[];
      assert.equal(out.length, 4);
      assert.deepEqual(out.map((x) => x.id), ['a', 'b', 7, 'd']);
      assert.equal(out[0].result.code, 0);
      assert.equal(out[1].result, -10001);
      assert.deepEqual(out[2].result, [null, null]);
      assert.equal(out[3].error.code, -32601);
      assert.deepEqual((await edgioKeys(users.alice!)).map((k) => k.accessKey), [out[0].result.access_key]);
    });

    test('authenticate and the HTTP login (/account/login) open sessions initKeyPair accepts', async () => {
      const a = await result('authenticate', { username: 'alice', password: PW, expiry: 60 });
      assert.deepEqual(Object.keys(a).sort(), ['code', 'gid', 'path', 'token', 'uid']);
      assert.equal(a.code, 0);
      assert.equal(a.path, '/edgio-p');
      const row = await h.ds.getRepository(EdgioSessionEntity).findOneBy({ id: sha256(a.token) });
      assert.ok(row && Math.abs(row.expiresAt.getTime() - Date.now() - 60_000) < 10_000, 'expiry honoured');
      assert.equal((await result('initKeyPair', [a.token])).code, 0);
      assert.deepEqual(await result('authenticate', ['alice', 'wrong']), { code: -10001 });
      assert.deepEqual(await result('authenticate', ['alice', PW, 86_401]), { code: -34 });
      assert.deepEqual(await result('authenticate', ['alice', PW, 0]), { code: -34 });
      assert.deepEqual(await result('authenticate', ['alice', PW, 3600, '/photos']), { code: -47 });
      rpcError(await rpc({ jsonrpc: '2.0', method: 'authenticate', params: ['alice', PW, '3600'], id: 1 }), -32602, 1);

      const http = (headers: Record<string, string>) => call(h.multicloudUrl, 'POST', '/account/login', { headers });
      const ok = await http({ 'X-Agile-Username': 'alice', 'X-Agile-Password': PW });
      assert.equal(ok.status, 200);
      assert.equal(ok.headers.get('x-agile-status'), '0');
      assert.match(ok.headers.get('x-agile-uid')!, /^\d+$/);
      assert.match(ok.headers.get('x-agile-gid')!, /^\d+$/);
      assert.equal(ok.headers.get('x-agile-path'), '/edgio-p');
      assert.equal((await result('initKeyPair', [ok.headers.get('x-agile-token')])).code, 0);
      for (const [headers, status] of [[{ 'X-Agile-Username': 'alice', 'X-Agile-Password': 'wrong' }, '-10001'], [{}, '-10001'],
        [{ 'X-Agile-Username': 'alice', 'X-Agile-Password': PW, 'X-Agile-Expiry': 'soon' }, '-34'],
        [{ 'X-Agile-Username': 'alice', 'X-Agile-Password': PW, 'X-Agile-Subdir': '/x' }, '-47']] as const) {
        const r = await http(headers);
        assert.equal(r.status, 400);
        assert.equal(r.headers.get('x-agile-status'), status);
        assert.equal(r.headers.get('x-agile-token'), null);
      }
    });

    test('logout ends the session; the token then fails everywhere', async () => {
      const token = await login('alice');
      assert.equal(await result('logout', { token }), 0);
      assert.equal(await result('initKeyPair', { token }), -10001);
      assert.equal(await result('logout', [token]), -1);
      assert.equal(await result('initKeyPair', ['']), -10001);
    });

    test('sessions die at expiry, when the user is disabled and when the password changes', async () => {
      const identity = h.get(IdentityService);
      const expired = await login('carol@acme');
      await h.ds.writes.write((m) => m.getRepository(EdgioSessionEntity).update({ id: sha256(expired) }, { expiresAt: new Date(Date.now() - 1000) }));
      assert.equal(await result('initKeyPair', [expired]), -10001);
      const t1 = await login('carol@acme');
      await identity.setUserEnabled(users.carol!, false);
      assert.equal(await result('initKeyPair', [t1]), -10001);
      assert.deepEqual(await result('login', ['carol@acme', PW]), [null, null], 'a disabled user cannot log in');
      await identity.setUserEnabled(users.carol!, true);
      const t2 = await login('carol@acme');
      // The change comes after the session was opened, by the clock too.
      await clockPasses(Date.now());
      await identity.setPassword(users.carol!, 'carol-new-password');
      assert.equal(await result('initKeyPair', [t2]), -10001);
      const t3 = await login('carol@acme', 'carol-new-password');
      assert.equal((await result('initKeyPair', [t3])).code, 0, 'name@domain logs into domain acme; its key lands on the default project');
      // only the hash of a token is stored
      const rows = await h.ds.getRepository(EdgioSessionEntity).find();
      assert.ok(rows.length > 0 && rows.every((r) => /^[0-9a-f]{64}$/.test(r.id)));
      assert.ok(!rows.some((r) => r.id === t3));
    });

    test('login failures: unknown user and wrong password alike, -40 / -41, lockout as Keystone\'s', async () => {
      assert.deepEqual(await result('login', ['nobody', PW]), [null, null]);
      assert.deepEqual(await result('login', ['alice', 'wrong']), [null, null]);
      assert.deepEqual(await result('login', ['alice@no-such-domain', PW]), [null, null]);
      assert.equal(await result('login', ['', PW]), -40);
      assert.equal(await result('login', ['alice', '']), -41);
      for (let i = 0; i < 3; i++) assert.deepEqual(await result('login', ['locky', 'wrong']), [null, null]);
      assert.deepEqual(await result('login', ['locky', PW]), [null, null], 'locked: the right password is refused too');
      assert.equal((await call(h.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'locky' }, PW) })).status, 401, 'the same lock as Keystone\'s');
    });

    test('no project to own the key: -10004; two projects and no default project: -10004', async () => {
      assert.equal(await result('initKeyPair', [await login('nohome')]), -10004);
      assert.equal(await result('initKeyPair', [await login('twoprojects')]), -10004);
      assert.equal((await edgioKeys(users.nohome!)).length + (await edgioKeys(users.twoprojects!)).length, 0);
    });

    test('JSON-RPC protocol errors: -32700, -32600, -32601, -32602, -32603, id echoed', async () => {
      rpcError(await rpc(undefined, { raw: '{"jsonrpc": "2.0", "method": ' }), -32700);
      rpcError(await rpc(undefined, { raw: '' }), -32700);
      rpcError(await rpc(undefined, { raw: 'username=a', headers: { 'Content-Type': 'text/plain' } }), -32700);
      rpcError(await rpc([]), -32600);
      rpcError(await rpc(5), -32600);
      rpcError(await rpc({ jsonrpc: '1.0', method: 'login', params: [], id: 3 }), -32600, 3);
      rpcError(await rpc({ jsonrpc: '2.0', params: [], id: 'x' }), -32600, 'x');
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', id: { a: 1 } }), -32600);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'nope', id: 4 }), -32601, 4);
      rpcError(await rpc({ jsonrpc: '2.0', method: '_private', id: 5 }), -32601, 5);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', params: [1, 2], id: 6 }), -32602, 6);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', params: ['a', 'b', 'yes'], id: 7 }), -32602, 7);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', params: ['a', 'b', true, 4], id: 8 }), -32602, 8);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', params: { username: 'a', password: 'b', extra: 1 }, id: 9 }), -32602, 9);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', params: 'alice', id: 10 }), -32602, 10);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'initKeyPair', params: [42], id: 11 }), -32602, 11);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'login', params: ['alice'], id: 12 }), -32603, 12);
      rpcError(await rpc({ jsonrpc: '2.0', method: 'initKeyPair', id: 13 }), -32603, 13);
      rpcError(await rpc(Array.from({ length: 21 }, (_, i) => ({ jsonrpc: '2.0', method: 'logout', params: ['x'], id: i }))), -32099);
    });

    test('transport: /jsonrpc too, notifications get no body, JSON-RPC 1.0 envelopes, 405, 413', async () => {
      const v1 = await rpc({ method: 'logout', params: ['x'], id: 1 }, { path: '/jsonrpc' });
      assert.deepEqual(v1.body, { id: 1, result: -1, error: null });
      const note = await rpc({ jsonrpc: '2.0', method: 'logout', params: ['x'] });
      assert.equal(note.status, 204);
      assert.equal(note.text, '');
      const mixed = await rpc([{ jsonrpc: '2.0', method: 'logout', params: ['x'] }, { jsonrpc: '2.0', method: 'logout', params: ['x'], id: 'k' }]);
      assert.deepEqual(mixed.body, [{ jsonrpc: '2.0', id: 'k', result: -1 }]);
      const get = await rpc(undefined, { method: 'GET' });
      assert.equal(get.status, 405);
      assert.equal(get.headers.get('allow'), 'POST');
      assert.equal(get.body.error.code, -32600);
      const big = await rpc({ jsonrpc: '2.0', method: 'login', params: ['a', 'x'.repeat(70 * 1024)], id: 1 });
      assert.equal(big.status, 413);
      assert.equal(big.body.error.code, -32600);
    });

    test('jsonrpclib\'s Content-Type application/json-rpc is JSON here (and still a 415 elsewhere)', async () => {
      const r = await rpc(undefined, { path: '/jsonrpc', raw: JSON.stringify({ jsonrpc: '2.0', method: 'login', params: ['alice', PW], id: 1 }), headers: { 'Content-Type': 'application/json-rpc' } });
      assert.equal(r.status, 200, r.text);
      assert.equal(typeof r.body.result[0], 'string');
      rpcError(await rpc(undefined, { raw: '{', headers: { 'Content-Type': 'application/json-rpc' } }), -32700);
      const soda = await call(h.multicloudUrl, 'POST', `/v1/${p}/aksks`, { raw: '{}', headers: { 'Content-Type': 'application/json-rpc' } });
      const plain = await call(h.multicloudUrl, 'POST', `/v1/${p}/aksks`, { raw: '{}', headers: { 'Content-Type': 'text/plain' } });
      assert.deepEqual([soda.status, soda.text], [plain.status, plain.text], 'SODA treats it as any non-JSON type');
      assert.equal(soda.status, 415);
    });

    test('one lifecycle: SODA lists the Edgio key; deleting it through Keystone removes it everywhere', async () => {
      const token = await login('alice');
      const pair = await result('initKeyPair', [token]);
      const member = (await issue(h.url, passwordAuth({ name: 'alice' }, PW, { project: { id: p } }))).id;
      const soda = await call(h.multicloudUrl, 'GET', `/v1/${p}/aksks/${users.alice}`, { token: member });
      assert.ok(soda.body.some((k: any) => k.blob.access_key === pair.access_key));
      assert.equal((await call(h.url, 'DELETE', `/v3/credentials/${sha256(pair.access_key)}`, { token: admin })).status, 204);
      assert.equal((await ec2tokens(h.url, admin, pair.access_key, pair.secret_key)).status, 404);
      assert.equal((await edgioKeys(users.alice!)).length, 0);
      assert.equal((await result('initKeyPair', [token])).code, 0, 'a new pair after the deletion');
    });

    test('the migrated edgio_sessions table is exactly what the entity describes', async () => {
      const pending = (await h.ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query).filter((q) => /edgio_sessions/.test(q));
      assert.deepEqual(pending, []);
    });

    test('no leak: Edgio error bodies carry no other dialect\'s envelope, and never a secret', async () => {
      const bodies = [
        await rpc(undefined, { raw: '{' }), await rpc({ jsonrpc: '2.0', method: 'x', id: 1 }), await rpc(undefined, { method: 'GET' }),
        await rpc({ jsonrpc: '2.0', method: 'login', params: [PW], id: 2 }), await rpc(undefined, { raw: 'a', headers: { 'Content-Type': 'text/plain' } }),
      ];
      for (const r of bodies) {
        assert.doesNotMatch(r.text, /"Errors"|"Code"|"title"|"ResponseContext"/, r.text);
        assert.ok(!r.text.includes(PW));
        assert.deepEqual(Object.keys(r.body.error).sort(), ['code', 'message']);
      }
    });
  });
}
