import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TokenService } from '@lintel/auth';
import { signOAuth1Request, type OAuth1SignInput } from '@lintel/credentials';
import {
  AssignmentService, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, OAuth1AccessTokenEntity, OAuth1ConsumerEntity, OAuth1RequestTokenEntity, ResourceService,
} from '@lintel/domain';
import { credentialKeys, rotateCredentialKeys } from '../../apps/manage/src/tasks.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth, type Res } from '../helpers/keystone.js';
import { runKeystoneclientOAuth1, skipWithoutKeystoneclient } from '../helpers/keystoneclient-oauth1.js';
import { ADMIN_PASSWORD, useLintel } from '../helpers/lintel.js';
import { openstackEnv, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';

/**
 * Keystone's OS-OAUTH1 extension (docs/keystone-oauth1.md) against Lintel: consumers (HTTP and the
 * openstack CLI), the whole delegation flow through python-keystoneclient / keystoneauth1 and
 * through the CLI, and the refusals (signatures, replays, verifiers, expiry, delegated tokens),
 * with the statuses and texts Debian's Keystone 22 answers. Negative cases are signed with
 * Lintel's own RFC 5849 signer (libs/credentials, checked against the RFC's examples and oauthlib).
 */

const PW = 'oauth-persona-password-1';
const ACCESS_TOKEN_DURATION = 3000;
const form = (r: Res) => Object.fromEntries(new URLSearchParams(r.text)) as Record<string, string>;
const HEX32 = /^[0-9a-f]{32}$/;
const oauthError = (d: string) => `Validation failed with errors: invalid_request, detail message is: ${d}.`;

interface Consumer { id: string; secret: string }
interface Pair { id: string; secret: string }

for (const kind of databaseKinds()) {
  describe(`Keystone OS-OAUTH1 (${kind.kind})`, () => {
    // Access tokens live 50 minutes here: less than a token's hour, so the cap on tokens shows.
    const ctx = useLintel(kind, { LINTEL_OAUTH1_ACCESS_TOKEN_DURATION: String(ACCESS_TOKEN_DURATION) });
    let base: string;
    let admin: string;
    let project: string;
    let olivia: string;
    let oliviaToken: string;
    const roles: Record<string, string> = {};

    before(async () => {
      base = ctx.h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const assignments = ctx.h.get(AssignmentService);
      for (const name of ['admin', 'member', 'reader', 'manager']) roles[name] = (await assignments.findGlobalRole(name))!.id;
      project = (await ctx.h.get(ResourceService).createProject({ name: 'oauth-p', domainId: DEFAULT_DOMAIN_ID })).id;
      // The administrator authorizes (Keystone's policy: admin_required) with roles held on oauth-p.
      await assignments.grant({ type: 'UserProject', actorId: ctx.h.adminUserId, targetId: project, roleId: roles.member! });
      olivia = (await ctx.h.get(IdentityService).createUser({ name: 'olivia', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      await assignments.grant({ type: 'UserProject', actorId: olivia, targetId: project, roleId: roles.member! });
      oliviaToken = (await issue(base, passwordAuth({ name: 'olivia' }, PW, { project: { id: project } }))).id;
    });

    const api = (method: string, path: string, body?: unknown, token = admin) => call(base, method, path, { token, body });

    async function newConsumer(description = 'app'): Promise<Consumer> {
      const r = await api('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description } });
      assert.equal(r.status, 201, r.text);
      return { id: r.body.consumer.id, secret: r.body.consumer.secret };
    }

    function signed(path: string, c: Consumer, o: Partial<OAuth1SignInput> = {}): string {
      return signOAuth1Request({ method: 'POST', url: `${base}${path}`, consumerKey: c.id, consumerSecret: c.secret, ...o });
    }

    function requestToken(c: Consumer, o: Partial<OAuth1SignInput> = {}, headers: Record<string, string> = { 'Requested-Project-Id': project }): Promise<Res> {
      const Authorization = signed('/v3/OS-OAUTH1/request_token', c, { callback: 'oob', ...o });
      return call(base, 'POST', '/v3/OS-OAUTH1/request_token', { headers: { Authorization, ...headers } });
    }

    async function newRequestToken(c: Consumer): Promise<Pair> {
      const r = await requestToken(c);
      assert.equal(r.status, 201, r.text);
      const f = form(r);
      return { id: f.oauth_token!, secret: f.oauth_token_secret! };
    }

    const authorize = (requestTokenId: string, roleRefs: unknown, token = admin) => api('PUT', `/v3/OS-OAUTH1/authorize/${requestTokenId}`, { roles: roleRefs }, token);

    function accessToken(c: Consumer, rt: Pair, verifier: string, o: Partial<OAuth1SignInput> = {}): Promise<Res> {
      const Authorization = signed('/v3/OS-OAUTH1/access_token', c, { token: rt.id, tokenSecret: rt.secret, verifier, ...o });
      return call(base, 'POST', '/v3/OS-OAUTH1/access_token', { headers: { Authorization } });
    }

    /** Consumer, request token authorized with `roleRefs`, access token. */
    async function delegation(roleRefs: unknown = [{ name: 'member' }]): Promise<{ consumer: Consumer; access: Pair }> {
      const consumer = await newConsumer();
      const rt = await newRequestToken(consumer);
      const v = await authorize(rt.id, roleRefs);
      assert.equal(v.status, 200, v.text);
      const r = await accessToken(consumer, rt, v.body.token.oauth_verifier);
      assert.equal(r.status, 201, r.text);
      const f = form(r);
      return { consumer, access: { id: f.oauth_token!, secret: f.oauth_token_secret! } };
    }

    function oauthTokenRequest(c: Consumer, access: Pair, o: Partial<OAuth1SignInput> = {}, body: unknown = { auth: { identity: { methods: ['oauth1'], oauth1: {} } } }) {
      const Authorization = signed('/v3/auth/tokens', c, { token: access.id, tokenSecret: access.secret, ...o });
      return call(base, 'POST', '/v3/auth/tokens', { headers: { Authorization }, body });
    }

    async function oauthToken(c: Consumer, access: Pair): Promise<{ id: string; body: any }> {
      const r = await oauthTokenRequest(c, access);
      assert.equal(r.status, 201, r.text);
      return { id: r.headers.get('x-subject-token')!, body: r.body };
    }

    const validate = (subject: string) => call(base, 'GET', '/v3/auth/tokens', { token: admin, subject });

    describe('consumers', () => {
      test('create shows the secret once; id and secret in the body are ignored; extras kept (Keystone\'s body)', async () => {
        const r = await api('POST', '/v3/OS-OAUTH1/consumers', { consumer: { description: 'd1', foo: 'bar', id: 'mine', secret: 'mine' } });
        assert.equal(r.status, 201, r.text);
        const c = r.body.consumer;
        assert.deepEqual(Object.keys(c).sort(), ['description', 'foo', 'id', 'links', 'secret']);
        assert.match(c.id, HEX32);
        assert.match(c.secret, HEX32);
        assert.notEqual(c.secret, 'mine');
        assert.equal(c.description, 'd1');
        assert.equal(c.links.self, `${base}/v3/OS-OAUTH1/consumers/${c.id}`);
        const shown = await api('GET', `/v3/OS-OAUTH1/consumers/${c.id}`);
        assert.equal(shown.status, 200);
        assert.deepEqual(shown.body, { consumer: { foo: 'bar', id: c.id, description: 'd1', links: c.links } });
        const list = await api('GET', '/v3/OS-OAUTH1/consumers');
        assert.ok(list.body.consumers.some((x: any) => x.id === c.id && x.secret === undefined));
        assert.deepEqual(list.body.links, { self: `${base}/v3/OS-OAUTH1/consumers`, previous: null, next: null });
        const empty = await api('POST', '/v3/OS-OAUTH1/consumers', {});
        assert.equal(empty.status, 201);
        assert.equal(empty.body.consumer.description, null);
      });

      test('the secret is stored sealed, never as plaintext', async () => {
        const c = await newConsumer();
        const row = await ctx.h.ds.getRepository(OAuth1ConsumerEntity).findOneByOrFail({ id: c.id });
        assert.ok(!row.encryptedSecret.includes(c.secret));
        assert.match(row.keyHash, /^[0-9a-f]{64}$/);
      });

      test('update: description and extras; the secret cannot change (Keystone\'s 400s); 404 after delete', async () => {
        const c = await newConsumer('before');
        const path = `/v3/OS-OAUTH1/consumers/${c.id}`;
        const ok = await api('PATCH', path, { consumer: { id: c.id, description: 'after', x: 1 } });
        assert.equal(ok.status, 200, ok.text);
        assert.deepEqual(ok.body.consumer, { x: 1, id: c.id, description: 'after', links: { self: `${base}${path}` } });
        assert.equal(keystoneError(await api('PATCH', path, { consumer: { secret: 'new-secret' } }), 400).message,
          "{'secret': '***'} should not be valid under {'required': ['secret']}");
        assert.equal(keystoneError(await api('PATCH', path, { consumer: {} }), 400).message, '{} does not have enough properties');
        assert.equal(keystoneError(await api('PATCH', path, {}), 400).message, '{} does not have enough properties');
        assert.equal(keystoneError(await api('PATCH', path, { consumer: { id: 'other' } }), 400).message, 'Cannot change ID');
        assert.equal(keystoneError(await api('PATCH', path, { consumer: { description: 5 } }), 400).message, "Invalid input for field 'description': 5 is not of type 'string', 'null'");
        assert.equal(keystoneError(await api('POST', '/v3/OS-OAUTH1/consumers', { consumer: 'x' }), 400).message, "Invalid input for field 'consumer': 'x' is not of type 'object'");
        assert.equal(keystoneError(await api('PATCH', '/v3/OS-OAUTH1/consumers/nope', { consumer: { description: 'a' } }), 404).message, 'Consumer not found');
        assert.equal((await api('DELETE', path)).status, 204);
        assert.equal(keystoneError(await api('GET', path), 404).message, 'Consumer not found');
        assert.equal(keystoneError(await api('DELETE', path), 404).message, 'Consumer not found');
      });

      test('a project member is refused by the policy (admin_required)', async () => {
        for (const [m, p] of [['GET', '/v3/OS-OAUTH1/consumers'], ['POST', '/v3/OS-OAUTH1/consumers']] as const) {
          keystoneError(await api(m, p, m === 'POST' ? { consumer: {} } : undefined, oliviaToken), 403);
        }
      });

      test('through the openstack CLI: consumer create / list / show / set / delete', { skip: skipWithoutOpenstack }, async () => {
        const env = openstackEnv(`${base}/v3`);
        const created = JSON.parse(await openstackText(['consumer', 'create', '--description', 'cli consumer', '-f', 'json'], env));
        assert.deepEqual(Object.keys(created).sort(), ['description', 'id', 'secret']);
        const listed = JSON.parse(await openstackText(['consumer', 'list', '-f', 'json'], env));
        assert.ok(listed.some((c: any) => c.ID === created.id && c.Description === 'cli consumer'));
        await openstackText(['consumer', 'set', '--description', 'changed', created.id], env);
        assert.deepEqual(JSON.parse(await openstackText(['consumer', 'show', created.id, '-f', 'json'], env)), { description: 'changed', id: created.id });
        await openstackText(['consumer', 'delete', created.id], env);
        // The CLI then looks the id up as a name among consumers, which have none (Keystone gives the same answer).
        await assert.rejects(openstackText(['consumer', 'show', created.id, '-f', 'json'], env), /More than one consumer exists with the name|No consumer/);
      });
    });

    describe('the delegation flow', () => {
      test('python-keystoneclient and keystoneauth1\'s v3oauth1 plugin drive it end to end', { skip: skipWithoutKeystoneclient }, async () => {
        const out = await runKeystoneclientOAuth1({ auth_url: `${base}/v3`, user: 'admin', password: ADMIN_PASSWORD, login_project_id: ctx.h.adminProjectId, project_id: project, roles: [roles.member] });
        assert.equal(out.consumer.description, 'keystoneclient consumer');
        assert.match(out.verifier, /^[a-zA-Z2-9]{8}$/);
        assert.match(out.request_token.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
        assert.equal(out.token.project_id, project);
        assert.equal(out.token.user_id, ctx.h.adminUserId);
        assert.deepEqual(out.token.methods, ['oauth1']);
        assert.deepEqual(out.token.roles, ['member', 'reader'], 'the delegated role and the one it implies, not the user\'s others');
        assert.deepEqual(out.token.oauth, { access_token_id: out.access_token.id, consumer_id: out.consumer.id });
        assert.equal(out.project_name, 'oauth-p', 'the delegated token works as X-Auth-Token');
      });

      test('the openstack CLI: request token create / authorize, access token create, then --os-auth-type v3oauth1', { skip: skipWithoutOpenstack }, async () => {
        const env = openstackEnv(`${base}/v3`);
        const c = JSON.parse(await openstackText(['consumer', 'create', '-f', 'json'], env));
        const rt = JSON.parse(await openstackText(['request', 'token', 'create', '--consumer-key', c.id, '--consumer-secret', c.secret, '--project', project, '-f', 'json'], env));
        assert.match(rt.key, HEX32);
        const v = JSON.parse(await openstackText(['request', 'token', 'authorize', '--request-key', rt.key, '--role', 'reader', '-f', 'json'], env));
        assert.match(v.oauth_verifier, /^[a-zA-Z2-9]{8}$/);
        const at = JSON.parse(await openstackText(['access', 'token', 'create', '--consumer-key', c.id, '--consumer-secret', c.secret, '--request-key', rt.key,
          '--request-secret', rt.secret, '--verifier', v.oauth_verifier, '-f', 'json'], env));
        assert.match(at.key, HEX32);
        const oauthEnv: NodeJS.ProcessEnv = { ...env };
        for (const k of ['OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_USER_DOMAIN_NAME', 'OS_PROJECT_DOMAIN_NAME']) delete oauthEnv[k];
        const auth = ['--os-auth-type', 'v3oauth1', '--os-consumer-key', c.id, '--os-consumer-secret', c.secret, '--os-access-key', at.key, '--os-access-secret', at.secret];
        const t = JSON.parse(await openstackText([...auth, 'token', 'issue', '-f', 'json'], oauthEnv));
        assert.equal(t.project_id, project);
        assert.equal(t.user_id, ctx.h.adminUserId);
        const v2 = await validate(t.id);
        assert.equal(v2.status, 200);
        assert.deepEqual(v2.body.token.roles.map((r: any) => r.name), ['reader']);
        const shown = JSON.parse(await openstackText([...auth, 'project', 'show', project, '-f', 'json'], oauthEnv));
        assert.equal(shown.name, 'oauth-p');
      });

      test('the token: scoped to the access token\'s project with its roles, OS-OAUTH1 in the body, never outliving the access token', async () => {
        const { consumer, access } = await delegation([{ id: roles.reader }]);
        const t = await oauthToken(consumer, access);
        const tok = t.body.token;
        assert.deepEqual(tok.methods, ['oauth1']);
        assert.equal(tok.project.id, project);
        assert.equal(tok.user.id, ctx.h.adminUserId);
        assert.deepEqual(tok.roles.map((r: any) => r.name), ['reader']);
        assert.deepEqual(tok['OS-OAUTH1'], { access_token_id: access.id, consumer_id: consumer.id });
        assert.ok(Array.isArray(tok.catalog));
        const row = await ctx.h.ds.getRepository(OAuth1AccessTokenEntity).findOneByOrFail({ id: access.id });
        assert.ok(!row.encryptedSecret.includes(access.secret), 'the access token secret is sealed');
        assert.equal(Date.parse(tok.expires_at), row.expiresAt!.getTime(), 'expires with the access token (50 minutes here)');
        const v = await validate(t.id);
        assert.equal(v.status, 200);
        assert.deepEqual(v.body.token['OS-OAUTH1'], tok['OS-OAUTH1']);
        assert.deepEqual(v.body.token.roles, tok.roles);
        // The requested scope is ignored: the access token's project it is (as Keystone).
        const scoped = await oauthTokenRequest(consumer, access, {}, { auth: { identity: { methods: ['oauth1'], oauth1: {} }, scope: { project: { id: ctx.h.adminProjectId } } } });
        assert.equal(scoped.status, 201);
        assert.equal(scoped.body.token.project.id, project);
        // Keystone signs against the URL without its query; the URL with it (RFC 5849) also verifies.
        const Authorization = signed('/v3/auth/tokens', consumer, { token: access.id, tokenSecret: access.secret });
        const plain = await call(base, 'POST', '/v3/auth/tokens?nocatalog', { headers: { Authorization }, body: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } } });
        assert.equal(plain.status, 201, plain.text);
        assert.equal(plain.body.token.catalog, undefined);
        const withQuery = signOAuth1Request({ method: 'POST', url: `${base}/v3/auth/tokens?nocatalog`, consumerKey: consumer.id, consumerSecret: consumer.secret, token: access.id, tokenSecret: access.secret });
        assert.equal((await call(base, 'POST', '/v3/auth/tokens?nocatalog', { headers: { Authorization: withQuery }, body: { auth: { identity: { methods: ['oauth1'], oauth1: {} } } } })).status, 201);
      });

      test('the form-encoded answers: request token (8 h), access token (configured), each id and secret 32 hex', async () => {
        const c = await newConsumer();
        const r = await requestToken(c);
        assert.equal(r.status, 201);
        assert.match(r.headers.get('content-type')!, /^application\/x-www-form-urlencoded/);
        assert.match(r.text, /^oauth_token=[0-9a-f]{32}&oauth_token_secret=[0-9a-f]{32}&oauth_expires_at=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
        const inS = (Date.parse(form(r).oauth_expires_at!) - Date.now()) / 1000;
        assert.ok(inS > 28790 && inS <= 28800, `request token expires in ${inS} s`);
        const rt = { id: form(r).oauth_token!, secret: form(r).oauth_token_secret! };
        const v = (await authorize(rt.id, [{ name: 'member' }])).body.token.oauth_verifier;
        const a = await accessToken(c, rt, v);
        assert.equal(a.status, 201);
        assert.match(a.text, /^oauth_token=[0-9a-f]{32}&oauth_token_secret=[0-9a-f]{32}&oauth_expires_at=\S+$/);
        const aS = (Date.parse(form(a).oauth_expires_at!) - Date.now()) / 1000;
        assert.ok(aS > ACCESS_TOKEN_DURATION - 10 && aS <= ACCESS_TOKEN_DURATION, `access token expires in ${aS} s`);
        const row = await ctx.h.ds.getRepository(OAuth1RequestTokenEntity).findOneBy({ id: rt.id });
        assert.equal(row, null, 'the request token is used up');
      });
    });

    describe('refusals', () => {
      test('request token: Keystone\'s 400s, 404s and 401s; a replayed nonce is a 401', async () => {
        const c = await newConsumer();
        assert.equal((await requestToken({ ...c, secret: 'wrong' })).status, 401);
        keystoneError(await requestToken({ ...c, secret: 'wrong' }), 401);
        assert.equal(keystoneError(await requestToken(c, { callback: undefined }), 400).message, oauthError('Missing callback URI.'));
        assert.equal(keystoneError(await requestToken(c, { timestamp: String(Math.floor(Date.now() / 1000) - 1000) }), 400).message,
          oauthError('Timestamp given is invalid, differ from allowed by over 600 seconds.'));
        assert.equal(keystoneError(await requestToken(c, { nonce: 'xyz' }), 400).message, oauthError('Invalid nonce format.'));
        const plaintext = signed('/v3/OS-OAUTH1/request_token', c, { callback: 'oob' }).replace('HMAC-SHA1', 'PLAINTEXT');
        assert.equal(keystoneError(await call(base, 'POST', '/v3/OS-OAUTH1/request_token', { headers: { Authorization: plaintext, 'Requested-Project-Id': project } }), 400).message,
          "Validation failed with errors: invalid_signature_method, detail message is: Invalid signature, PLAINTEXT not in ('HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512').");
        assert.match(keystoneError(await requestToken(c, {}, {}), 400).message, /^Expecting to find Requested-Project-Id in request\./);
        assert.equal(keystoneError(await requestToken(c, {}, { 'Requested-Project-Id': 'nope' }), 404).message, 'Could not find project: nope.');
        assert.equal(keystoneError(await requestToken({ id: '0'.repeat(32), secret: 'x' }), 404).message, 'Consumer not found');
        assert.match(keystoneError(await call(base, 'POST', '/v3/OS-OAUTH1/request_token', { headers: { 'Requested-Project-Id': project } }), 400).message,
          /^Expecting to find oauth_consumer_key in request\./);
        keystoneError(await call(base, 'GET', '/v3/OS-OAUTH1/request_token'), 405);
        const Authorization = signed('/v3/OS-OAUTH1/request_token', c, { callback: 'oob' });
        const once = await call(base, 'POST', '/v3/OS-OAUTH1/request_token', { headers: { Authorization, 'Requested-Project-Id': project } });
        assert.equal(once.status, 201);
        keystoneError(await call(base, 'POST', '/v3/OS-OAUTH1/request_token', { headers: { Authorization, 'Requested-Project-Id': project } }), 401);
        for (const m of ['HMAC-SHA256', 'HMAC-SHA512'] as const) assert.equal((await requestToken(c, { signatureMethod: m })).status, 201, m);
      });

      test('authorize: schema 400s, unknown token 404, roles not held 401, unknown role name 404, policy 403, expired 401', async () => {
        const c = await newConsumer();
        const rt = await newRequestToken(c);
        assert.equal(keystoneError(await authorize(rt.id, [{ id: 'a', name: 'b' }]), 400).message, "Invalid input for field '0': {'id': 'a', 'name': 'b'} has too many properties");
        assert.equal(keystoneError(await authorize(rt.id, [{ x: 'y' }]), 400).message, "Invalid input for field '0': Additional properties are not allowed ('x' was unexpected)");
        assert.equal(keystoneError(await authorize(rt.id, { id: 'x' }), 400).message, "{'id': 'x'} is not of type 'array'");
        assert.equal(keystoneError(await authorize('nope', [{ id: roles.member }]), 404).message, 'Request token not found');
        keystoneError(await authorize(rt.id, [{ id: roles.admin }]), 401);
        keystoneError(await authorize(rt.id, [{ id: 'nope' }]), 401);
        assert.equal(keystoneError(await authorize(rt.id, [{ name: 'nope' }]), 404).message, 'Role nope is not defined');
        keystoneError(await authorize(rt.id, [{ name: 'member' }], oliviaToken), 403);
        await ctx.h.ds.writes.write((m) => m.getRepository(OAuth1RequestTokenEntity).update({ id: rt.id }, { expiresAt: new Date(Date.now() - 1000) }));
        keystoneError(await authorize(rt.id, [{ name: 'member' }]), 401);
      });

      test('access token: wrong verifier, bad signature, other consumer, unauthorized token → 401; formats → 400; used twice → 404', async () => {
        const c = await newConsumer();
        const other = await newConsumer();
        const rt = await newRequestToken(c);
        const unauthorized = await accessToken(c, rt, 'abcdefgh');
        keystoneError(unauthorized, 401);
        const v = (await authorize(rt.id, [{ name: 'member' }])).body.token.oauth_verifier as string;
        const wrong = [...'abcdefgh'].find((ch) => !v.includes(ch))!.repeat(8);
        keystoneError(await accessToken(c, rt, wrong), 401);
        assert.equal(keystoneError(await accessToken(c, rt, 'abc'), 400).message, oauthError('Invalid verifier format.'));
        keystoneError(await accessToken(c, { ...rt, secret: 'nope' }, v), 401);
        keystoneError(await accessToken(other, rt, v), 401);
        keystoneError(await accessToken({ id: '1'.repeat(32), secret: 'x' }, rt, v), 401);
        assert.equal(keystoneError(await accessToken(c, { id: '2'.repeat(32), secret: 'x' }, v), 404).message, 'Request token not found');
        const noVerifier = signed('/v3/OS-OAUTH1/access_token', c, { token: rt.id, tokenSecret: rt.secret });
        assert.match(keystoneError(await call(base, 'POST', '/v3/OS-OAUTH1/access_token', { headers: { Authorization: noVerifier } }), 400).message,
          /^Expecting to find oauth_verifier in request\./);
        assert.equal((await accessToken(c, rt, v)).status, 201);
        assert.equal(keystoneError(await accessToken(c, rt, v), 404).message, 'Request token not found');
        const expired = await newRequestToken(c);
        const ev = (await authorize(expired.id, [{ name: 'member' }])).body.token.oauth_verifier as string;
        await ctx.h.ds.writes.write((m) => m.getRepository(OAuth1RequestTokenEntity).update({ id: expired.id }, { expiresAt: new Date(Date.now() - 1000) }));
        keystoneError(await accessToken(c, expired, ev), 401);
      });

      test('oauth1 tokens: bad signature, replayed nonce, another consumer\'s key → 401; no OAuth header → 400', async () => {
        const { consumer, access } = await delegation();
        keystoneError(await oauthTokenRequest(consumer, { ...access, secret: 'wrong' }), 401);
        keystoneError(await oauthTokenRequest({ ...consumer, secret: 'wrong' }, access), 401);
        const other = await newConsumer();
        keystoneError(await oauthTokenRequest(other, access), 401);
        const Authorization = signed('/v3/auth/tokens', consumer, { token: access.id, tokenSecret: access.secret });
        const body = { auth: { identity: { methods: ['oauth1'], oauth1: {} } } };
        assert.equal((await call(base, 'POST', '/v3/auth/tokens', { headers: { Authorization }, body })).status, 201);
        keystoneError(await call(base, 'POST', '/v3/auth/tokens', { headers: { Authorization }, body }), 401);
        assert.match(keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body }), 400).message, /^Expecting to find oauth_token in request\./);
        assert.equal(keystoneError(await oauthTokenRequest(consumer, { id: '3'.repeat(32), secret: 'x' }), 404).message, 'Access token not found');
      });

      test('a disabled project: no token (Keystone\'s 404)', async () => {
        const resources = ctx.h.get(ResourceService);
        const p2 = (await resources.createProject({ name: 'oauth-disabled', domainId: DEFAULT_DOMAIN_ID })).id;
        await ctx.h.get(AssignmentService).grant({ type: 'UserProject', actorId: ctx.h.adminUserId, targetId: p2, roleId: roles.member! });
        const consumer = await newConsumer();
        const r = form(await requestToken(consumer, {}, { 'Requested-Project-Id': p2 }));
        const rt = { id: r.oauth_token!, secret: r.oauth_token_secret! };
        const v = (await authorize(rt.id, [{ name: 'member' }])).body.token.oauth_verifier as string;
        const f = form(await accessToken(consumer, rt, v));
        await resources.setProjectEnabled(p2, false);
        assert.equal(keystoneError(await oauthTokenRequest(consumer, { id: f.oauth_token!, secret: f.oauth_token_secret! }), 404).message,
          `Unable to validate token because project ${p2} is disabled`);
      });

      test('an expired access token: no new token (401), earlier ones stop validating (404)', async () => {
        const { consumer, access } = await delegation();
        const t = await oauthToken(consumer, access);
        await ctx.h.ds.writes.write((m) => m.getRepository(OAuth1AccessTokenEntity).update({ id: access.id }, { expiresAt: new Date(Date.now() - 1000) }));
        ctx.h.get(TokenService).forget();
        keystoneError(await oauthTokenRequest(consumer, access), 401);
        keystoneError(await validate(t.id), 404);
        keystoneError(await api('GET', `/v3/projects/${project}`, undefined, t.id), 401);
      });

      test('deleting the access token revokes its tokens at once; deleting the consumer takes its access tokens', async () => {
        const { consumer, access } = await delegation();
        const t = await oauthToken(consumer, access);
        assert.equal((await api('GET', `/v3/projects/${project}`, undefined, t.id)).status, 200);
        assert.equal((await api('DELETE', `/v3/users/${ctx.h.adminUserId}/OS-OAUTH1/access_tokens/${access.id}`)).status, 204);
        assert.equal(keystoneError(await validate(t.id), 404).message, 'Access token not found');
        keystoneError(await api('GET', `/v3/projects/${project}`, undefined, t.id), 401);
        assert.equal(keystoneError(await oauthTokenRequest(consumer, access), 404).message, 'Access token not found');

        const second = await delegation();
        const t2 = await oauthToken(second.consumer, second.access);
        assert.equal((await api('DELETE', `/v3/OS-OAUTH1/consumers/${second.consumer.id}`)).status, 204);
        keystoneError(await validate(t2.id), 404);
        assert.equal(await ctx.h.ds.getRepository(OAuth1AccessTokenEntity).countBy({ consumerId: second.consumer.id }), 0);
      });

      test('a token stops validating once the user no longer holds the delegated roles', async () => {
        const assignments = ctx.h.get(AssignmentService);
        const victor = (await ctx.h.get(IdentityService).createUser({ name: 'victor', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
        await assignments.grant({ type: 'UserProject', actorId: victor, targetId: project, roleId: roles.member! });
        await assignments.grant({ type: 'UserProject', actorId: victor, targetId: ctx.h.adminProjectId, roleId: roles.admin! });
        // victor, an administrator, delegates their member role on oauth-p.
        const victorToken = (await issue(base, passwordAuth({ name: 'victor' }, PW, { project: { id: ctx.h.adminProjectId } }))).id;
        const consumer = await newConsumer();
        const rt = await newRequestToken(consumer);
        const v = await authorize(rt.id, [{ name: 'member' }], victorToken);
        assert.equal(v.status, 200, v.text);
        const f = form(await accessToken(consumer, rt, v.body.token.oauth_verifier));
        const access = { id: f.oauth_token!, secret: f.oauth_token_secret! };
        const t = await oauthToken(consumer, access);
        assert.equal(t.body.token.user.id, victor);
        assert.equal((await api('DELETE', `/v3/projects/${project}/users/${victor}/roles/${roles.member}`)).status, 204);
        keystoneError(await validate(t.id), 404);
        keystoneError(await oauthTokenRequest(consumer, access), 401);
      });

      test('an oauth1 token is a delegation: no rescoping, no authorizing, no access tokens, no credentials (Keystone\'s 403s)', async () => {
        const mine = await delegation([{ id: roles.member }]);
        const t = (await oauthToken(mine.consumer, mine.access)).id;
        assert.equal(keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: t } } } } }), 403).message,
          'You are not authorized to perform the requested action: Using OAuth-scoped token to create another token. Create a new OAuth-scoped token instead.');
        // An administrator's delegation of `admin` on the admin project, to show the refusals are not the policy's.
        const adminConsumer = await newConsumer();
        const Authorization = signOAuth1Request({ method: 'POST', url: `${base}/v3/OS-OAUTH1/request_token`, consumerKey: adminConsumer.id, consumerSecret: adminConsumer.secret, callback: 'oob' });
        const rtr = form(await call(base, 'POST', '/v3/OS-OAUTH1/request_token', { headers: { Authorization, 'Requested-Project-Id': ctx.h.adminProjectId } }));
        const rt = { id: rtr.oauth_token!, secret: rtr.oauth_token_secret! };
        const v = (await authorize(rt.id, [{ name: 'admin' }])).body.token.oauth_verifier as string;
        const af = form(await accessToken(adminConsumer, rt, v));
        const adminDelegated = (await oauthToken(adminConsumer, { id: af.oauth_token!, secret: af.oauth_token_secret! })).id;
        assert.equal((await api('GET', '/v3/users', undefined, adminDelegated)).status, 200, 'an ordinary admin call works');
        const other = await newRequestToken(adminConsumer);
        assert.equal(keystoneError(await authorize(other.id, [{ name: 'member' }], adminDelegated), 403).message, 'You are not authorized to perform the requested action.');
        keystoneError(await api('GET', `/v3/users/${ctx.h.adminUserId}/OS-OAUTH1/access_tokens`, undefined, adminDelegated), 403);
        const denied = 'You are not authorized to perform the requested action: Delegated tokens cannot access credentials directly.';
        assert.equal(keystoneError(await api('POST', `/v3/users/${ctx.h.adminUserId}/credentials/OS-EC2`, { tenant_id: ctx.h.adminProjectId }, adminDelegated), 403).message, denied);
        assert.equal(keystoneError(await api('GET', `/v3/users/${ctx.h.adminUserId}/credentials/OS-EC2`, undefined, adminDelegated), 403).message, denied);
        assert.equal(keystoneError(await api('POST', '/v3/credentials', {
          credential: { type: 'ec2', user_id: ctx.h.adminUserId, project_id: ctx.h.adminProjectId, blob: JSON.stringify({ access: 'oauth-a', secret: 's' }) },
        }, adminDelegated), 403).message, denied);
        const mineCred = await api('POST', '/v3/credentials', { credential: { type: 'totp', user_id: ctx.h.adminUserId, blob: 'abc' } });
        assert.equal(mineCred.status, 201);
        assert.equal(keystoneError(await api('GET', `/v3/credentials/${mineCred.body.credential.id}`, undefined, adminDelegated), 403).message, denied);
        const list = await api('GET', '/v3/credentials', undefined, adminDelegated);
        assert.equal(list.status, 200);
        assert.deepEqual(list.body.credentials, []);
      });
    });

    describe('a user\'s access tokens', () => {
      test('list, show, roles and role: Keystone\'s bodies; another user\'s path 404 / 401', async () => {
        const { consumer, access } = await delegation([{ name: 'member' }]);
        const u = ctx.h.adminUserId;
        const self = `${base}/v3/users/${u}/OS-OAUTH1/access_tokens/${access.id}`;
        const list = await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens`);
        assert.equal(list.status, 200);
        const item = list.body.access_tokens.find((t: any) => t.id === access.id);
        assert.deepEqual(Object.keys(item), ['id', 'authorizing_user_id', 'project_id', 'consumer_id', 'expires_at', 'links']);
        assert.deepEqual({ ...item, expires_at: undefined }, {
          id: access.id, authorizing_user_id: u, project_id: project, consumer_id: consumer.id, expires_at: undefined, links: { roles: `${self}/roles`, self },
        });
        assert.match(item.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
        assert.deepEqual(list.body.links, { self: `${base}/v3/users/${u}/OS-OAUTH1/access_tokens`, previous: null, next: null });
        const one = await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens/${access.id}`);
        assert.deepEqual(one.body, { access_token: item });
        const rolesList = await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens/${access.id}/roles`);
        assert.deepEqual(rolesList.body.roles, [{ id: roles.member, name: 'member', domain_id: null, options: { immutable: true }, links: { self: `${base}/v3/roles/${roles.member}` } }]);
        const role = await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens/${access.id}/roles/${roles.member}`);
        assert.deepEqual(role.body, { role: rolesList.body.roles[0] });
        assert.equal(keystoneError(await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens/${access.id}/roles/${roles.admin}`), 404).message, `Could not find role: ${roles.admin}.`);
        assert.equal(keystoneError(await api('GET', `/v3/users/${olivia}/OS-OAUTH1/access_tokens/${access.id}`), 404).message, 'Could not find: %(target)s.');
        assert.equal(keystoneError(await api('GET', `/v3/users/${olivia}/OS-OAUTH1/access_tokens/${access.id}/roles`), 404).message, 'Could not find: %(target)s.');
        keystoneError(await api('GET', `/v3/users/${olivia}/OS-OAUTH1/access_tokens/${access.id}/roles/${roles.member}`), 401);
        keystoneError(await api('DELETE', `/v3/users/${olivia}/OS-OAUTH1/access_tokens/${access.id}`), 401);
        assert.equal(keystoneError(await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens/nope`), 404).message, 'Access token not found');
        assert.equal(keystoneError(await api('DELETE', `/v3/users/${u}/OS-OAUTH1/access_tokens/nope`), 404).message, 'Access token not found');
        assert.deepEqual((await api('GET', '/v3/users/nope/OS-OAUTH1/access_tokens')).body.access_tokens, []);
        keystoneError(await api('GET', `/v3/users/${u}/OS-OAUTH1/access_tokens`, undefined, oliviaToken), 403);
      });

      test('credential key rotation: `credential-keys migrate` re-seals OAuth1 secrets, which keep working', async () => {
        const { consumer, access } = await delegation();
        const rt = await newRequestToken(consumer);
        const ring = credentialKeys(ctx.h.config);
        await rotateCredentialKeys(ctx.h.app, ctx.h.config);
        const creds = ctx.h.get(CredentialService);
        assert.ok((await creds.resealAll()) >= 3, 'consumer, request token and access token secrets re-sealed');
        ring.load();
        assert.deepEqual([...(await creds.keyHashesInUse())], [ring.primaryHash]);
        await rotateCredentialKeys(ctx.h.app, ctx.h.config);
        assert.equal((await oauthTokenRequest(consumer, access)).status, 201);
        const v = (await authorize(rt.id, [{ name: 'member' }])).body.token.oauth_verifier as string;
        assert.equal((await accessToken(consumer, rt, v)).status, 201);
      });

      test('deleting a user takes the access tokens they authorized', async () => {
        const assignments = ctx.h.get(AssignmentService);
        const wendy = (await ctx.h.get(IdentityService).createUser({ name: 'wendy', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
        await assignments.grant({ type: 'UserProject', actorId: wendy, targetId: project, roleId: roles.member! });
        await assignments.grant({ type: 'UserProject', actorId: wendy, targetId: ctx.h.adminProjectId, roleId: roles.admin! });
        const wendyToken = (await issue(base, passwordAuth({ name: 'wendy' }, PW, { project: { id: ctx.h.adminProjectId } }))).id;
        const consumer = await newConsumer();
        const rt = await newRequestToken(consumer);
        const v = (await authorize(rt.id, [{ name: 'member' }], wendyToken)).body.token.oauth_verifier as string;
        assert.equal((await accessToken(consumer, rt, v)).status, 201);
        assert.equal(await ctx.h.ds.getRepository(OAuth1AccessTokenEntity).countBy({ authorizingUserId: wendy }), 1);
        assert.equal((await api('DELETE', `/v3/users/${wendy}`)).status, 204);
        assert.equal(await ctx.h.ds.getRepository(OAuth1AccessTokenEntity).countBy({ authorizingUserId: wendy }), 0);
      });
    });
  });
}
