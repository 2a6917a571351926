import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TokenKeyRepository, TokenProvider, TokenService } from '@lintel/auth';
import { AssignmentService, IdentityService, ResourceService, DEFAULT_DOMAIN_ID } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { ADMIN_PASSWORD, useLintel, type Harness } from '../helpers/lintel.js';
import { adminProjectAuth, adminSystemAuth, call, issue, keystoneError, passwordAuth, statusOnceRevoked } from '../helpers/keystone.js';
import { clockPasses, eventually } from '../helpers/wait.js';

const GENERIC_401 = 'The request you have made requires authentication.';
const ALICE_PASSWORD = 'alice-password-1';

for (const kind of databaseKinds()) {
  describe(`Keystone tokens (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let base: string;
    let alice: { id: string };
    let demo: { id: string };
    let adminToken: string;

    before(async () => {
      h = ctx.h;
      base = h.url;
      const resources = h.get(ResourceService);
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      demo = await resources.createProject({ name: 'demo', domainId: DEFAULT_DOMAIN_ID });
      alice = await identity.createUser({ name: 'alice', domainId: DEFAULT_DOMAIN_ID, password: ALICE_PASSWORD, defaultProjectId: demo.id });
      const member = (await assignments.findGlobalRole('member'))!;
      await assignments.grant({ type: 'UserProject', actorId: alice.id, targetId: demo.id, roleId: member.id });
      adminToken = (await issue(base, adminProjectAuth())).id;
    });

    describe('version discovery', () => {
      test('GET / answers 300 with Location and the v3 entry', async () => {
        const r = await call(base, 'GET', '/');
        assert.equal(r.status, 300);
        assert.equal(r.headers.get('location'), `${base}/v3/`);
        const v = r.body.versions.values;
        assert.equal(v.length, 1);
        assert.equal(v[0].id, 'v3.14');
        assert.equal(v[0].status, 'stable');
        assert.deepEqual(v[0].links, [{ rel: 'self', href: `${base}/v3/` }]);
        assert.deepEqual(v[0]['media-types'], [{ base: 'application/json', type: 'application/vnd.openstack.identity-v3+json' }]);
      });

      test('/v3, /v3/, /identity and /identity/v3 are served, links follow the path', async () => {
        for (const [path, self] of [['/v3', `${base}/v3/`], ['/v3/', `${base}/v3/`], ['/identity/v3', `${base}/identity/v3/`]] as const) {
          const r = await call(base, 'GET', path);
          assert.equal(r.status, 200, path);
          assert.equal(r.body.version.links[0].href, self);
        }
        const root = await call(base, 'GET', '/identity');
        assert.equal(root.status, 300);
        assert.equal(root.headers.get('location'), `${base}/identity/v3/`);
      });

      test('every response carries Vary and a req-<uuid4> request id, errors included', async () => {
        for (const r of [await call(base, 'GET', '/v3'), await call(base, 'GET', '/v3/nope'), await call(base, 'GET', '/v3/auth/tokens')]) {
          assert.equal(r.headers.get('vary'), 'X-Auth-Token');
          assert.match(r.headers.get('x-openstack-request-id') ?? '', /^req-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        }
      });

      test('unknown route: Keystone 404 body', async () => {
        const e = keystoneError(await call(base, 'GET', '/v3/nope'), 404);
        assert.equal(e.title, 'Not Found');
      });
    });

    describe('POST /v3/auth/tokens', () => {
      test('unscoped password token by user name and domain name', async () => {
        const r = await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, ADMIN_PASSWORD) });
        assert.equal(r.status, 201);
        const id = r.headers.get('x-subject-token')!;
        assert.ok(id.length > 100 && id.length < 1024 && /^[A-Za-z0-9_.-]+$/.test(id));
        assert.equal(r.headers.get('location'), null);
        const t = r.body.token;
        assert.deepEqual(Object.keys(t).sort(), ['audit_ids', 'expires_at', 'issued_at', 'methods', 'user']);
        assert.deepEqual(t.methods, ['password']);
        assert.deepEqual(t.user, { domain: { id: 'default', name: 'Default' }, id: h.adminUserId, name: 'admin', password_expires_at: null });
        assert.match(t.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
        assert.equal(Date.parse(t.expires_at) - Date.parse(t.issued_at), 3600_000);
        assert.equal(t.audit_ids.length, 1);
        assert.match(t.audit_ids[0], /^[A-Za-z0-9_-]{22}$/);
      });

      test('by user id; project scope by id; project scope by name + domain id', async () => {
        const byId = await issue(base, passwordAuth({ id: h.adminUserId }, ADMIN_PASSWORD, { project: { id: h.adminProjectId } }));
        const byName = await issue(base, passwordAuth({ name: 'admin', domain: { id: 'default' } }, ADMIN_PASSWORD, { project: { name: 'admin', domain: { name: 'Default' } } }));
        for (const { body } of [byId, byName]) {
          const t = body.token;
          assert.deepEqual(t.project, { domain: { id: 'default', name: 'Default' }, id: h.adminProjectId, name: 'admin' });
          assert.equal(t.is_domain, false);
          assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['admin', 'manager', 'member', 'reader']);
          const identity = t.catalog.find((s: { type: string }) => s.type === 'identity');
          assert.equal(identity.name, 'keystone');
          assert.deepEqual(identity.endpoints.map((e: { interface: string }) => e.interface).sort(), ['admin', 'internal', 'public']);
          for (const e of identity.endpoints) assert.equal(e.region, e.region_id);
          const mc = t.catalog.find((s: { type: string }) => s.type === 'multicloud');
          assert.ok(mc.endpoints[0].url.endsWith(`/v1/${h.adminProjectId}`), 'project id substituted');
        }
      });

      test('?nocatalog omits the catalog; domain and system scopes', async () => {
        const r = await call(base, 'POST', '/v3/auth/tokens?nocatalog', { body: adminProjectAuth() });
        assert.equal(r.status, 201);
        assert.equal(r.body.token.catalog, undefined);
        assert.ok(r.body.token.roles.length);
        const sys = (await issue(base, adminSystemAuth())).body.token;
        assert.deepEqual(sys.system, { all: true });
        assert.equal(sys.project, undefined);
        assert.ok(sys.catalog.some((s: { endpoints: unknown[] }) => s.endpoints.length > 0), 'a catalog with endpoints');
        assert.ok(sys.catalog.every((s: { endpoints: { url: string }[] }) => s.endpoints.every((e) => !e.url.includes('$('))));
        // admin has no domain role: domain scope is refused like any other auth failure
        const d = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, ADMIN_PASSWORD, { domain: { id: 'default' } }) }), 401);
        assert.equal(d.message, GENERIC_401);
      });

      test('no scope: the default project is used; explicit "unscoped" is honoured', async () => {
        const t = (await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD))).body.token;
        assert.equal(t.project.id, demo.id);
        assert.deepEqual(t.roles.map((r: { name: string }) => r.name).sort(), ['member', 'reader']);
        const u = (await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD, 'unscoped'))).body.token;
        assert.equal(u.project, undefined);
        assert.equal(u.roles, undefined);
      });

      test('wrong password, unknown user, unknown domain: the same generic 401 with WWW-Authenticate', async () => {
        const bodies = [
          passwordAuth({ name: 'admin' }, 'wrong'),
          passwordAuth({ name: 'nobody' }, 'wrong'),
          passwordAuth({ name: 'admin', domain: { name: 'Nope' } }, ADMIN_PASSWORD),
          passwordAuth({ id: 'ffffffffffffffffffffffffffffffff' }, ADMIN_PASSWORD),
          passwordAuth({ name: 'admin' }, `${ADMIN_PASSWORD}${'x'.repeat(80)}`),
        ];
        for (const body of bodies) {
          const r = await call(base, 'POST', '/v3/auth/tokens', { body });
          const e = keystoneError(r, 401);
          assert.deepEqual(e, { code: 401, message: GENERIC_401, title: 'Unauthorized' });
          assert.equal(r.headers.get('www-authenticate'), `Keystone uri="${base}/v3"`);
        }
      });

      test('scope to a project without a role, or an unknown project: 401', async () => {
        for (const scope of [{ project: { id: h.adminProjectId } }, { project: { id: 'nope' } }, { project: { name: 'nope', domain: { id: 'default' } } }]) {
          keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'alice' }, ALICE_PASSWORD, scope) }), 401);
        }
      });

      test('bad bodies: Keystone 400s with the attribute named', async () => {
        const cases: Array<[unknown, RegExp]> = [
          [{}, /^Expecting to find auth in request body\./],
          [{ auth: {} }, /^Expecting to find identity in auth\./],
          [{ auth: { identity: {} } }, /^Invalid input for field 'identity': 'methods' is a required property/],
          [{ auth: { identity: { methods: ['password'] } } }, /^Expecting to find password in identity\. The server could not comply/],
          [{ auth: { identity: { methods: 'password' } } }, /^Invalid input for field 'identity\/methods'/],
          [{ auth: { identity: { methods: ['password'], password: { user: { password: 'x' } } } } }, /id or name must be present/],
          [{ auth: { identity: { methods: ['password'], password: { user: { name: 'admin', password: 'x' } } } } }, /^Expecting to find domain in user\./],
          [{ auth: { identity: { methods: ['password'], password: { user: { name: 7, domain: { id: 'default' }, password: 'x' } } } } }, /is not of type 'string'/],
          [{ auth: { identity: { methods: ['token'], token: {} } } }, /'id' is a required property/],
          [{ ...adminProjectAuth(), auth: { ...adminProjectAuth().auth, scope: { project: { id: 'x' }, domain: { id: 'default' } } } }, /^Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope\./],
          [{ ...adminProjectAuth(), auth: { ...adminProjectAuth().auth, scope: { project: { name: 'admin' } } } }, /^Expecting to find domain in project\./],
        ];
        for (const [body, message] of cases) {
          const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body }), 400);
          assert.equal(e.title, 'Bad Request');
          assert.match(e.message, message, JSON.stringify(body));
        }
      });

      test('malformed JSON, non-object JSON, a foreign content type: 400; over 64 KiB: 413', async () => {
        for (const raw of ['{"auth": ', '[1,2]', '"auth"']) {
          const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { raw, headers: { 'Content-Type': 'application/json' } }), 400);
          assert.match(e.message, /^Expecting to find (valid JSON|auth) in request body\./);
        }
        const plain = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { raw: 'auth=1', headers: { 'Content-Type': 'text/plain' } }), 400);
        assert.match(plain.message, /application\/json/);
        const noType = await call(base, 'POST', '/v3/auth/tokens', { raw: JSON.stringify(passwordAuth({ name: 'admin' }, ADMIN_PASSWORD)) });
        assert.equal(noType.status, 201, 'a body without Content-Type is read as JSON');
        const big = { ...passwordAuth({ name: 'admin' }, ADMIN_PASSWORD), pad: 'x'.repeat(70 * 1024) };
        const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: big }), 413);
        assert.equal(e.title, 'Request Entity Too Large');
      });

      test('unsupported method: 401 listing the supported ones', async () => {
        const r = await call(base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['kerberos'], kerberos: {} } } } });
        assert.equal(r.status, 401);
        assert.equal(r.body.error.message, 'Attempted to authenticate with an unsupported method.');
        assert.deepEqual([...r.body.error.identity.methods].sort(), ['application_credential', 'oauth1', 'password', 'token', 'totp']);
      });
    });

    describe('token method (rescoping)', () => {
      test('unscoped → project keeps expires_at, chains audit ids, merges methods', async () => {
        const first = await issue(base, passwordAuth({ name: 'admin' }, ADMIN_PASSWORD));
        // Times in a token count whole seconds: the rescoped one is issued in a later second.
        await clockPasses(Date.parse(first.body.token.issued_at) + 1000);
        const r = await call(base, 'POST', '/v3/auth/tokens', {
          token: first.id,
          body: { auth: { identity: { methods: ['token'], token: { id: first.id } }, scope: { project: { name: 'admin', domain: { id: 'default' } } } } },
        });
        assert.equal(r.status, 201);
        const t = r.body.token;
        assert.deepEqual([...t.methods].sort(), ['password', 'token']);
        assert.equal(t.expires_at, first.body.token.expires_at);
        assert.notEqual(t.issued_at, first.body.token.issued_at);
        assert.equal(t.audit_ids.length, 2);
        assert.equal(t.audit_ids[1], first.body.token.audit_ids[0]);
        // a third hop still points at the chain's root
        const third = (await issue(base, { auth: { identity: { methods: ['token'], token: { id: r.headers.get('x-subject-token') } } } })).body.token;
        assert.equal(third.audit_ids[1], first.body.token.audit_ids[0]);
      });

      test('system-scoped source cannot become project-scoped: 403', async () => {
        const sys = await issue(base, adminSystemAuth());
        const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', {
          body: { auth: { identity: { methods: ['token'], token: { id: sys.id } }, scope: { project: { id: h.adminProjectId } } } },
        }), 403);
        assert.match(e.message, /Using a system-scoped token to create a project-scoped or domain-scoped token is not allowed/);
      });

      test('garbage source token: 404', async () => {
        const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: 'gAAAAABnotatoken' } } } } }), 404);
        assert.equal(e.message, 'Could not recognize Fernet token');
      });
    });

    describe('validate, check, revoke', () => {
      test('GET validates (with catalog), HEAD checks with no body', async () => {
        const subject = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        const r = await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: subject.id });
        assert.equal(r.status, 200);
        assert.equal(r.headers.get('x-subject-token'), subject.id);
        assert.deepEqual(r.body.token.audit_ids, subject.body.token.audit_ids);
        assert.equal(r.body.token.expires_at, subject.body.token.expires_at);
        assert.ok(Array.isArray(r.body.token.catalog));
        const nc = await call(base, 'GET', '/v3/auth/tokens?nocatalog', { token: adminToken, subject: subject.id });
        assert.equal(nc.body.token.catalog, undefined);
        const head = await call(base, 'HEAD', '/v3/auth/tokens', { token: adminToken, subject: subject.id });
        assert.equal(head.status, 200);
        assert.equal(head.text, '');
      });

      test('a user validates their own token, but not somebody else\'s (403)', async () => {
        const own = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        assert.equal((await call(base, 'GET', '/v3/auth/tokens', { token: own.id, subject: own.id })).status, 200);
        const e = keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: own.id, subject: adminToken }), 403);
        assert.equal(e.message, 'You are not authorized to perform the requested action: identity:validate_token.');
      });

      test('missing or garbage X-Auth-Token: 401; garbage or missing subject: 404', async () => {
        keystoneError(await call(base, 'GET', '/v3/auth/tokens', { subject: adminToken }), 401);
        keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: 'garbage', subject: adminToken }), 401);
        const g = keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: 'gAAAAABnotatoken' }), 404);
        assert.equal(g.message, 'Could not recognize Fernet token');
        const m = keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: adminToken }), 404);
        assert.equal(m.message, 'No token in the request');
      });

      test('DELETE revokes exactly that token; it then fails everywhere', async () => {
        const victim = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        const sibling = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        const del = await call(base, 'DELETE', '/v3/auth/tokens', { token: adminToken, subject: victim.id });
        assert.equal(del.status, 204);
        assert.equal(del.text, '');
        assert.equal(keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: victim.id }), 404).message, 'Failed to validate token');
        assert.equal((await call(base, 'HEAD', '/v3/auth/tokens', { token: adminToken, subject: victim.id })).status, 404);
        keystoneError(await call(base, 'DELETE', '/v3/auth/tokens', { token: adminToken, subject: victim.id }), 404);
        keystoneError(await call(base, 'GET', '/v3/auth/projects', { token: victim.id }), 401);
        assert.equal((await call(base, 'GET', '/v3/auth/tokens', { token: sibling.id, subject: sibling.id })).status, 200, 'other tokens stay valid');
      });

      test('a user may revoke their own token but not another user\'s', async () => {
        const own = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        keystoneError(await call(base, 'DELETE', '/v3/auth/tokens', { token: own.id, subject: adminToken }), 403);
        assert.equal((await call(base, 'DELETE', '/v3/auth/tokens', { token: own.id, subject: own.id })).status, 204);
      });

      test('expired token: 404, but accepted with ?allow_expired inside the window', async () => {
        const provider = h.get(TokenProvider);
        const now = Date.now();
        const expired = await provider.mint({ userId: alice.id, methods: ['password'], auditIds: ['AAAAAAAAAAAAAAAAAAAAAA'], issuedAt: now - 7200_000, expiresAt: now - 3600_000, scope: undefined });
        keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: expired }), 404);
        keystoneError(await call(base, 'GET', '/v3/auth/projects', { token: expired }), 401);
        const ok = await call(base, 'GET', '/v3/auth/tokens?allow_expired=true', { token: adminToken, subject: expired });
        assert.equal(ok.status, 200);
      });

      test('token whose signing key was rotated out of the repository: rejected', async () => {
        const old = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        const repo = new TokenKeyRepository(h.config.token.keysDir, h.config.token.maxActiveKeys);
        const provider = h.get(TokenProvider);
        await repo.rotate();
        await provider.reload();
        const afterOne = await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD));
        assert.equal((await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: old.id })).status, 200, 'retired keys still verify');
        await repo.rotate();
        await repo.rotate();
        await provider.reload();
        keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: afterOne.id, subject: old.id }), 401);
        const fresh = (await issue(base, adminProjectAuth())).id;
        adminToken = fresh;
        keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: fresh, subject: old.id }), 404);
      });
    });

    describe('changes that invalidate tokens', () => {
      test('disabling the user; changing the password; removing the role; disabling the project', async () => {
        const identity = h.get(IdentityService);
        const resources = h.get(ResourceService);
        const assignments = h.get(AssignmentService);
        const tokens = h.get(TokenService);
        const bob = await identity.createUser({ name: `bob-${Date.now()}`, domainId: DEFAULT_DOMAIN_ID, password: 'bob-password-1' });
        const proj = await resources.createProject({ name: `p-${Date.now()}`, domainId: DEFAULT_DOMAIN_ID });
        const member = (await assignments.findGlobalRole('member'))!;
        await assignments.grant({ type: 'UserProject', actorId: bob.id, targetId: proj.id, roleId: member.id });
        const bobAuth = (pw: string) => passwordAuth({ name: bob.name }, pw, { project: { id: proj.id } });
        const revoked = (t: string) => {
          tokens.forget();
          return statusOnceRevoked(base, adminToken, t);
        };
        const valid = async (t: string) => (await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: t })).status;

        let t = (await issue(base, bobAuth('bob-password-1'))).id;
        await identity.setUserEnabled(bob.id, false);
        assert.equal(await revoked(t), 404);
        keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: bobAuth('bob-password-1') }), 401);
        await identity.setUserEnabled(bob.id, true);

        t = (await issue(base, bobAuth('bob-password-1'))).id;
        await identity.setPassword(bob.id, 'bob-password-2');
        assert.equal(await revoked(t), 404);
        keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: bobAuth('bob-password-1') }), 401);

        t = (await issue(base, bobAuth('bob-password-2'))).id;
        assert.equal(await valid(t), 200, 'a token issued after the change is valid');
        await assignments.removeGrant({ type: 'UserProject', actorId: bob.id, targetId: proj.id, roleId: member.id });
        assert.equal(await revoked(t), 404);
        await assignments.grant({ type: 'UserProject', actorId: bob.id, targetId: proj.id, roleId: member.id });

        t = (await issue(base, bobAuth('bob-password-2'))).id;
        await resources.setProjectEnabled(proj.id, false);
        assert.equal(await revoked(t), 404);
        keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: bobAuth('bob-password-2') }), 401);
      });
    });

    test('disabling a domain invalidates its users\' tokens and tokens scoped to its projects', async () => {
      const resources = h.get(ResourceService);
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const dom = await resources.createDomain({ name: `dom-${Date.now()}` });
      const proj = await resources.createProject({ name: 'p', domainId: dom.id });
      const carol = await identity.createUser({ name: 'carol', domainId: dom.id, password: 'carol-password-1' });
      const reader = (await assignments.findGlobalRole('reader'))!;
      await assignments.grant({ type: 'UserProject', actorId: carol.id, targetId: proj.id, roleId: reader.id });
      const auth = passwordAuth({ name: 'carol', domain: { id: dom.id } }, 'carol-password-1', { project: { id: proj.id } });
      const t = (await issue(base, auth)).id;
      assert.deepEqual((await issue(base, auth)).body.token.roles.map((r: { name: string }) => r.name), ['reader']);
      await resources.setDomainEnabled(dom.id, false);
      h.get(TokenService).forget();
      assert.equal(await statusOnceRevoked(base, adminToken, t), 404);
      keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: adminToken, subject: t }), 404);
      keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: auth }), 401);
    });

    describe('scope discovery', () => {
      test('/v3/auth/projects, /domains, /catalog, /system', async () => {
        const unscoped = (await issue(base, passwordAuth({ name: 'alice' }, ALICE_PASSWORD, 'unscoped'))).id;
        const p = await call(base, 'GET', '/v3/auth/projects', { token: unscoped });
        assert.equal(p.status, 200);
        assert.deepEqual(p.body.projects.map((x: { id: string }) => x.id), [demo.id]);
        assert.equal(p.body.projects[0].links.self, `${base}/v3/projects/${demo.id}`);
        assert.deepEqual(p.body.links, { self: `${base}/v3/auth/projects`, previous: null, next: null });
        const d = await call(base, 'GET', '/v3/auth/domains', { token: unscoped });
        assert.deepEqual(d.body.domains, []);
        const c = keystoneError(await call(base, 'GET', '/v3/auth/catalog', { token: unscoped }), 403);
        assert.equal(c.message, 'You are not authorized to perform the requested action.');
        const cat = await call(base, 'GET', '/v3/auth/catalog', { token: adminToken });
        assert.equal(cat.status, 200);
        assert.ok(cat.body.catalog.some((s: { type: string }) => s.type === 'identity'));
        assert.deepEqual(cat.body.links, { self: `${base}/v3/auth/catalog` });
        assert.deepEqual((await call(base, 'GET', '/v3/auth/system', { token: adminToken })).body.system, [{ all: true }]);
        assert.deepEqual((await call(base, 'GET', '/v3/auth/system', { token: unscoped })).body.system, []);
      });
    });
  });

  describe(`lockout (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_LOCKOUT_FAILURE_ATTEMPTS: '2', LINTEL_LOCKOUT_DURATION: '2' });
    let h: Harness;
    before(async () => {
      h = ctx.h;
    });

    test('after N failures the right password fails too, with the same 401, until the lock expires', async () => {
      const wrong = passwordAuth({ name: 'admin' }, 'wrong');
      const right = passwordAuth({ name: 'admin' }, ADMIN_PASSWORD);
      keystoneError(await call(h.url, 'POST', '/v3/auth/tokens', { body: wrong }), 401);
      keystoneError(await call(h.url, 'POST', '/v3/auth/tokens', { body: wrong }), 401);
      const locked = keystoneError(await call(h.url, 'POST', '/v3/auth/tokens', { body: right }), 401);
      assert.equal(locked.message, GENERIC_401);
      // The lock runs out LINTEL_LOCKOUT_DURATION (2 s) after the last failure.
      const unlocked = await eventually(async () => (await call(h.url, 'POST', '/v3/auth/tokens', { body: right })).status, (s) => s === 201, { timeoutMs: 6000, intervalMs: 250 });
      assert.equal(unlocked, 201);
    });
  });
}
