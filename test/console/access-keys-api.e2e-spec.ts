import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { CredentialEntity, IdentityService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { addPersonas, addProjects } from '../helpers/personas.js';
import { eventually } from '../helpers/wait.js';

const PW = 'console-password-1';
const LIMIT = 4;
const future = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

/** The console's API, `/v3/OS-LINTEL/projects/{id}/access_keys` and `/users`: personas, password confirmation, bad input, lifecycle. */
for (const kind of databaseKinds()) {
  describe(`console access-key API (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_CREDENTIAL_USER_LIMIT: String(LIMIT), LINTEL_LOCKOUT_FAILURE_ATTEMPTS: '5' });
    let h: Harness;
    let p: string;
    let q: string;
    let admin: string;
    const users: Record<string, string> = {};
    const tokens: Record<string, string> = {};
    const keys = (who: string, method: string, rest = '', body?: unknown, project = p) =>
      call(h.url, method, `/v3/OS-LINTEL/projects/${project}/${rest || 'access_keys'}`, { token: tokens[who], body });
    const create = (who: string, extra: Record<string, unknown> = {}, password = PW) => keys(who, 'POST', '', { access_key: extra, password });
    const rows = async () => h.ds.getRepository(CredentialEntity).count();

    before(async () => {
      h = ctx.h;
      [p, q] = await addProjects(h, 'console-p', 'console-q');
      const made = await addPersonas(h, [['padmin', 'admin', p], ['alice', 'member', p], ['bob', 'member', p], ['rita', 'reader', p], ['olga', 'member', q]], PW, { tokens: true });
      Object.assign(users, made.users);
      Object.assign(tokens, made.tokens);
      admin = (await issue(h.url, adminProjectAuth())).id;
    });

    test('a member creates a key after confirming the password; the secret is in that answer only, and signs ec2tokens requests', async () => {
      const r = await create('alice', { expires_at: future(30) });
      assert.equal(r.status, 201, r.text);
      const k = r.body.access_key;
      assert.match(k.access, /^[A-Z0-9]{20}$/);
      assert.match(k.secret, /^[A-Za-z0-9]{40}$/);
      assert.equal(k.user_id, users.alice);
      assert.equal(k.user_name, 'alice');
      assert.equal(k.project_id, p);
      assert.equal(k.issuer, 'console');
      assert.equal(k.state, 'active');
      assert.ok(Date.parse(k.expires_at) > Date.now());
      assert.equal(k.last_used_at, null);
      const listed = await keys('alice', 'GET');
      assert.equal(listed.status, 200);
      assert.ok(!listed.text.includes(k.secret), 'the list never carries a secret');
      assert.deepEqual(listed.body.access_keys.map((x: { access: string }) => x.access), [k.access]);
      const got = await keys('alice', 'GET', `access_keys/${k.access}`);
      assert.equal(got.body.access_key.access, k.access);
      assert.ok(!got.text.includes(k.secret));

      const ok = await ec2tokens(h.url, admin, k.access, k.secret);
      assert.equal(ok.status, 200, ok.text);
      assert.equal(ok.body.token.user.id, users.alice);
      assert.equal(ok.body.token.project.id, p);
      // last use is recorded (batched, within about a second).
      const last = await eventually(async () => (await keys('alice', 'GET', `access_keys/${k.access}`)).body.access_key.last_used_at as string | null, Boolean, { timeoutMs: 4000, intervalMs: 100 });
      assert.ok(last, 'last_used_at set after a signature check');

      assert.equal((await keys('alice', 'PATCH', `access_keys/${k.access}`, { access_key: { state: 'inactive' } })).body.access_key.state, 'inactive');
      keystoneError(await ec2tokens(h.url, admin, k.access, k.secret), 401);
      assert.equal((await keys('alice', 'PATCH', `access_keys/${k.access}`, { access_key: { state: 'active' } })).status, 200);
      assert.equal((await ec2tokens(h.url, admin, k.access, k.secret)).status, 200);
      assert.equal((await keys('alice', 'DELETE', `access_keys/${k.access}`)).status, 204);
      assert.equal(keystoneError(await ec2tokens(h.url, admin, k.access, k.secret), 404).message, 'EC2 access key not found.');
      keystoneError(await keys('alice', 'GET', `access_keys/${k.access}`), 404);
    });

    test('a wrong password confirmation is a 401 with its own words, writes nothing and counts towards lockout', async () => {
      const before = await rows();
      const e = keystoneError(await create('bob', {}, 'not-the-password'), 401);
      assert.equal(e.message, 'The password confirmation is incorrect.');
      assert.equal(await rows(), before);
      const bob = await h.get(IdentityService).getUser(users.bob);
      assert.equal(bob!.failedAuthCount, 1);
      assert.equal((await create('bob')).status, 201, 'the right password still works and resets the count');
      assert.equal((await h.get(IdentityService).getUser(users.bob))!.failedAuthCount, 0);
    });

    test('personas: admins manage everyone\'s keys in their project, members their own, readers read their own', async () => {
      const bobs = (await create('bob')).body.access_key;
      const cases: Array<[string, () => Promise<Res>, number]> = [
        ['admin lists everyone', () => keys('padmin', 'GET'), 200],
        ['admin creates for alice', () => create('padmin', { user_id: users.alice }), 201],
        ['admin deactivates bob\'s', () => keys('padmin', 'PATCH', `access_keys/${bobs.access}`, { access_key: { state: 'inactive' } }), 200],
        ['alice cannot see bob\'s', () => keys('alice', 'GET', `access_keys/${bobs.access}`), 404],
        ['alice cannot deactivate bob\'s', () => keys('alice', 'PATCH', `access_keys/${bobs.access}`, { access_key: { state: 'active' } }), 404],
        ['alice cannot delete bob\'s', () => keys('alice', 'DELETE', `access_keys/${bobs.access}`), 404],
        ['alice cannot create for bob', () => create('alice', { user_id: users.bob }), 403],
        ['reader lists own', () => keys('rita', 'GET'), 200],
        ['reader cannot create', () => create('rita'), 403],
        ['outsider token on another project', () => keys('olga', 'GET'), 403],
        ['outsider cannot create here', () => create('olga'), 403],
        ['admin cannot create for a user without a role here', () => create('padmin', { user_id: users.olga }), 404],
        ['admin lists the project\'s users', () => keys('padmin', 'GET', 'users'), 200],
        ['no token', () => call(h.url, 'GET', `/v3/OS-LINTEL/projects/${p}/access_keys`), 401],
      ];
      for (const [name, run, status] of cases) {
        const r = await run();
        assert.equal(r.status, status, `${name}: ${r.text}`);
      }
      const all = (await keys('padmin', 'GET')).body.access_keys as Array<{ user_id: string }>;
      assert.ok(all.some((k) => k.user_id === users.bob) && all.some((k) => k.user_id === users.alice));
      const own = (await keys('bob', 'GET')).body.access_keys as Array<{ user_id: string }>;
      assert.ok(own.length && own.every((k) => k.user_id === users.bob));
      const names = (await keys('padmin', 'GET', 'users')).body.users.map((u: { name: string }) => u.name);
      assert.deepEqual(names, ['alice', 'bob', 'padmin', 'rita']);
      assert.deepEqual((await keys('alice', 'GET', 'users')).body.users.map((u: { name: string }) => u.name), ['alice']);
      assert.equal((await keys('olga', 'GET', '', undefined, q)).status, 200);
    });

    test('keys of every dialect are listed with their issuer, and one deactivation holds everywhere', async () => {
      const soda = await call(h.multicloudUrl, 'POST', `/v1/${p}/aksks`, { token: tokens.alice, body: { credential: { user_id: users.alice, project_id: p } } });
      assert.equal(soda.status, 200, soda.text);
      const listed = (await keys('alice', 'GET')).body.access_keys as Array<{ access: string; issuer: string }>;
      assert.equal(listed.find((k) => k.access === soda.body.access_key)?.issuer, 'soda');
      await keys('alice', 'PATCH', `access_keys/${soda.body.access_key}`, { access_key: { state: 'inactive' } });
      keystoneError(await ec2tokens(h.url, admin, soda.body.access_key, soda.body.secret_key), 401);
      await keys('alice', 'DELETE', `access_keys/${soda.body.access_key}`);
      const left = await call(h.multicloudUrl, 'GET', `/v1/${p}/aksks/${users.alice}`, { token: tokens.alice });
      assert.ok(!left.text.includes(soda.body.access_key));
    });

    test('the per-user limit is a 403 in plain words, and nothing is written past it', async () => {
      Object.assign(tokens, (await addPersonas(h, [['lim', 'member', p]], PW, { tokens: true })).tokens);
      const answers = await Promise.all(Array.from({ length: LIMIT + 3 }, () => create('lim')));
      assert.equal(answers.filter((a) => a.status === 201).length, LIMIT);
      for (const a of answers.filter((x) => x.status !== 201)) {
        assert.match(keystoneError(a, 403).message, new RegExp(`maximum of ${LIMIT} already exceeded`));
      }
      assert.equal((await keys('lim', 'GET')).body.access_keys.length, LIMIT);
    });

    test('bad input: Keystone-style 400s, never a 500, nothing written', async () => {
      const before = await rows();
      const bad: Array<[string, () => Promise<Res>]> = [
        ['malformed JSON', () => call(h.url, 'POST', `/v3/OS-LINTEL/projects/${p}/access_keys`, { token: tokens.alice, raw: '{"access_key":', headers: { 'Content-Type': 'application/json' } })],
        ['no body', () => call(h.url, 'POST', `/v3/OS-LINTEL/projects/${p}/access_keys`, { token: tokens.alice })],
        ['member not an object', () => keys('alice', 'POST', '', { access_key: 'x', password: PW })],
        ['no password', () => keys('alice', 'POST', '', { access_key: {} })],
        ['password not a string', () => keys('alice', 'POST', '', { access_key: {}, password: 42 })],
        ['unknown property', () => create('alice', { secret: 'mine' })],
        ['expires_at not a date', () => create('alice', { expires_at: 'tomorrow' })],
        ['expires_at in the past', () => create('alice', { expires_at: '2001-01-01T00:00:00Z' })],
        ['expires_at not a string', () => create('alice', { expires_at: 5 })],
        ['user_id not a string', () => create('alice', { user_id: ['x'] })],
        ['state unknown', () => keys('alice', 'PATCH', 'access_keys/NOPE', { access_key: { state: 'paused' } })],
        ['state missing', () => keys('alice', 'PATCH', 'access_keys/NOPE', { access_key: {} })],
      ];
      for (const [name, run] of bad) {
        const r = await run();
        assert.equal(r.status, 400, `${name}: ${r.status} ${r.text}`);
        keystoneError(r, 400);
      }
      keystoneError(await keys('alice', 'PATCH', 'access_keys/NOPE', { access_key: { state: 'inactive' } }), 404);
      keystoneError(await keys('alice', 'DELETE', 'access_keys/NOPE'), 404);
      assert.equal(await rows(), before);
    });

    test('tokens derived from an EC2 credential cannot use the console API', async () => {
      const k = (await create('alice')).body.access_key;
      const derived = (await ec2tokens(h.url, admin, k.access, k.secret)).headers.get('x-subject-token')!;
      keystoneError(await call(h.url, 'POST', `/v3/OS-LINTEL/projects/${p}/access_keys`, { token: derived, body: { access_key: {}, password: PW } }), 403);
      keystoneError(await call(h.url, 'GET', `/v3/OS-LINTEL/projects/${p}/access_keys`, { token: derived }), 403);
    });

    test('no ambient credentials: no cookie is ever set, no CORS grant, a token-less cross-site form post is refused', async () => {
      const evil = { Origin: 'https://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' };
      const r = await call(h.url, 'POST', `/v3/OS-LINTEL/projects/${p}/access_keys`, { raw: 'password=x', headers: evil });
      assert.ok([400, 401, 415].includes(r.status), r.text);
      assert.equal(r.headers.get('access-control-allow-origin'), null);
      assert.equal(r.headers.get('set-cookie'), null);
      const pre = await fetch(`${h.url}/v3/OS-LINTEL/projects/${p}/access_keys`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-auth-token,content-type' } });
      assert.equal(pre.headers.get('access-control-allow-origin'), null);
      for (const path of ['/console/', '/v3/auth/tokens']) {
        const res = await fetch(h.url + path, { method: path === '/console/' ? 'GET' : 'POST', body: path === '/console/' ? undefined : JSON.stringify(passwordAuth({ name: 'alice' }, PW)), headers: { 'Content-Type': 'application/json' } });
        assert.equal(res.headers.get('set-cookie'), null, path);
      }
    });

    test('the console is served at /console/ with a strict CSP, no framing and hashed, cacheable assets', async () => {
      const page = await fetch(`${h.url}/console/`);
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(page.headers.get('content-type') ?? '', /^text\/html/);
      const csp = page.headers.get('content-security-policy') ?? '';
      for (const d of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'", "base-uri 'none'"]) assert.ok(csp.includes(d), d);
      assert.ok(!/unsafe-inline|unsafe-eval|https?:/.test(csp));
      assert.equal(page.headers.get('x-frame-options'), 'DENY');
      assert.equal(page.headers.get('x-content-type-options'), 'nosniff');
      assert.equal(page.headers.get('cache-control'), 'no-cache');
      assert.ok(!/<script(?![^>]*\bsrc=)[^>]*>/i.test(html), 'no inline script');
      assert.ok(!/https?:\/\//.test(html), 'no foreign origin');
      const script = /src="\.\/(assets\/[^"]+\.js)"/.exec(html)![1]!;
      const asset = await fetch(`${h.url}/console/${script}`);
      assert.equal(asset.status, 200);
      assert.match(asset.headers.get('content-type') ?? '', /javascript/);
      assert.match(asset.headers.get('cache-control') ?? '', /immutable/);
      assert.ok(!/https?:\/\/(?!www\.w3\.org)/.test(await asset.text()), 'the bundle loads nothing from elsewhere');
      const redirect = await fetch(`${h.url}/console`, { redirect: 'manual' });
      assert.equal(redirect.status, 301);
      assert.equal(redirect.headers.get('location'), '/console/');
      assert.equal((await fetch(`${h.url}/identity/console/`)).status, 200);
      const missing = await fetch(`${h.url}/console/nope.js`);
      assert.equal(missing.status, 404);
      assert.equal(missing.headers.get('x-frame-options'), 'DENY');
      assert.equal((await fetch(`${h.url}/console/../package.json`)).status, 404);
    });
  });
}
