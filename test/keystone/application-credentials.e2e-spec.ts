import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ApplicationCredentialEntity, AccessRuleEntity, AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { adminProjectAuth, call, CLIENT_ERROR, issue, keystoneError, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { openstackEnv, openstackJson, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';
import { clockPasses, eventually } from '../helpers/wait.js';

const PW = 'appcred-user-password-1';
const GENERIC_401 = 'The request you have made requires authentication.';
const SUFFIX = ` ${CLIENT_ERROR}`;
const RULES_HEADER = { 'OpenStack-Identity-Access-Rules': '1' };
const names = (roles: Array<{ name: string }>) => roles.map((r) => r.name).sort();

/** `auth.identity.application_credential` as keystoneauth sends it. */
const appCredAuth = (body: Record<string, unknown>, scope?: unknown) =>
  ({ auth: { identity: { methods: ['application_credential'], application_credential: body }, ...(scope ? { scope } : {}) } });

/**
 * Application credentials and access rules (docs/keystone-application-credentials.md) through
 * the openstack CLI where it has commands, and the API for the rest: creation, login by id and
 * by name (environment and clouds.yaml), the token's restrictions and when it stops working,
 * Keystone's errors, access rules in the key APIs, and EC2 keys made with such a token.
 */
for (const kind of databaseKinds()) {
  describe(`Application credentials and access rules (${kind.kind})`, { skip: skipWithoutOpenstack }, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let base: string;
    let admin: string;
    let project: string;
    let other: string;
    const users: Record<string, string> = {};
    const role: Record<string, string> = {};
    const dir = mkdtempSync(join(tmpdir(), 'lintel-appcred-'));

    /** A user's project token. */
    const tokenOf = async (name: string, projectId = project) => (await issue(base, passwordAuth({ name }, PW, { project: { id: projectId } }))).id;
    const api = (method: string, path: string, token: string, body?: unknown, headers?: Record<string, string>) => call(base, method, path, { token, body, headers });
    const validate = (subject: string, headers: Record<string, string> = RULES_HEADER) => call(base, 'GET', '/v3/auth/tokens', { token: admin, subject, headers });
    const create = async (userId: string, token: string, c: Record<string, unknown>) => {
      const r = await api('POST', `/v3/users/${userId}/application_credentials`, token, { application_credential: c });
      assert.equal(r.status, 201, r.text);
      return r.body.application_credential;
    };
    const login = (body: Record<string, unknown>, scope?: unknown) => call(base, 'POST', '/v3/auth/tokens', { body: appCredAuth(body, scope) });
    const loginToken = async (id: string, secret: string) => {
      const r = await login({ id, secret });
      assert.equal(r.status, 201, r.text);
      return { id: r.headers.get('x-subject-token')!, token: r.body.token };
    };
    /** The CLI as a user (password, scoped to the project) or with an application credential. */
    const asUser = (name: string) => openstackEnv(`${base}/v3`, { user: name, password: PW, project: 'ac-project' });
    const asAppCred = (o: { id?: string; name?: string; user?: string; secret: string }) => {
      const env = openstackEnv(`${base}/v3`);
      for (const k of ['OS_USERNAME', 'OS_PASSWORD', 'OS_PROJECT_NAME', 'OS_PROJECT_DOMAIN_NAME', 'OS_USER_DOMAIN_NAME']) delete env[k];
      Object.assign(env, { OS_AUTH_TYPE: 'v3applicationcredential', OS_APPLICATION_CREDENTIAL_SECRET: o.secret });
      if (o.id) env.OS_APPLICATION_CREDENTIAL_ID = o.id;
      if (o.name) Object.assign(env, { OS_APPLICATION_CREDENTIAL_NAME: o.name, OS_USERNAME: o.user, OS_USER_DOMAIN_NAME: 'Default' });
      return env;
    };

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const resources = h.get(ResourceService);
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      project = (await resources.createProject({ name: 'ac-project', domainId: DEFAULT_DOMAIN_ID })).id;
      other = (await resources.createProject({ name: 'ac-other', domainId: DEFAULT_DOMAIN_ID })).id;
      for (const n of ['admin', 'member', 'reader', 'manager']) role[n] = (await assignments.findGlobalRole(n))!.id;
      role.custom = (await assignments.createRole({ name: 'ac-custom' })).id;
      for (const name of ['alice', 'bob', 'carol', 'dave', 'erin']) {
        users[name] = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
        for (const r of ['member', 'reader']) await assignments.grant({ type: 'UserProject', actorId: users[name]!, targetId: project, roleId: role[r]! });
      }
      await assignments.grant({ type: 'UserProject', actorId: users.alice!, targetId: other, roleId: role.member! });
    });

    after(async () => {
      rmSync(dir, { recursive: true, force: true });
    });

    test('the openstack CLI creates one with --role, --expiration, --unrestricted and --access-rules; Keystone\'s body; the secret only once', async () => {
      const rules = [{ method: 'GET', path: '/v1/*/aksks/**', service: 'multicloud' }, { method: 'GET', path: '/v3/OS-LINTEL/projects/{project_id}/access_keys', service: 'identity' }];
      const c = await openstackJson(['application', 'credential', 'create', 'cli-cred', '--role', 'member', '--expiration', '2035-06-01T12:30:00',
        '--unrestricted', '--description', 'made by the CLI', '--access-rules', JSON.stringify(rules)], asUser('alice'));
      assert.equal(c.name, 'cli-cred');
      assert.equal(c.roles, 'member');
      assert.equal(c.expires_at, '2035-06-01T12:30:00.000000');
      assert.equal(c.unrestricted, true);
      assert.equal(c.project_id, project);
      assert.equal(c.user_id, users.alice);
      assert.match(c.secret, /^[\w-]{86}$/);
      assert.deepEqual(c.access_rules.map(({ id: _id, ...r }: { id: string }) => r), rules.map(({ method, path, service }) => ({ service, path, method })));

      const shown = (await api('GET', `/v3/users/${users.alice}/application_credentials/${c.id}`, admin)).body.application_credential;
      assert.deepEqual(Object.keys(shown), ['id', 'name', 'description', 'user_id', 'project_id', 'system', 'expires_at', 'unrestricted', 'roles', 'access_rules', 'links']);
      assert.deepEqual(shown.roles, [{ id: role.member, name: 'member', domain_id: null, description: null, options: { immutable: true } }]);
      assert.equal(shown.links.self, `${base}/v3/application_credentials/${c.id}`);
      assert.equal(shown.system, null);

      const listed = await openstackJson(['application', 'credential', 'list'], asUser('alice'));
      assert.deepEqual(listed.map((x: { Name: string }) => x.Name), ['cli-cred']);
      const rulesListed = await openstackJson(['access', 'rule', 'list'], asUser('alice'));
      assert.deepEqual(rulesListed.map((x: { Path: string }) => x.Path).sort(), rules.map((r) => r.path).sort());
      const one = await openstackJson(['access', 'rule', 'show', c.access_rules[0].id], asUser('alice'));
      assert.equal(one.path, '/v1/*/aksks/**');
      // the same rule is shared by the next credential that names it
      const again = await create(users.alice!, await tokenOf('alice'), { name: 'shares-a-rule', access_rules: [rules[0], { id: c.access_rules[1].id }] });
      assert.deepEqual(again.access_rules.map((r: { id: string }) => r.id), c.access_rules.map((r: { id: string }) => r.id));
      assert.equal((await api('GET', `/v3/users/${users.alice}/access_rules`, await tokenOf('alice'))).body.access_rules.length, 2);
      const del = keystoneError(await api('DELETE', `/v3/users/${users.alice}/access_rules/${c.access_rules[0].id}`, await tokenOf('alice')), 403);
      assert.equal(del.message, 'May not delete access rule in use');
      await openstackText(['application', 'credential', 'delete', 'shares-a-rule'], asUser('alice'));
    });

    test('login by id and by name and user through the CLI and a clouds.yaml; the token is the credential\'s, roles and all', async () => {
      const tok = await tokenOf('bob');
      const c = await create(users.bob!, tok, { name: 'bob-cli', roles: [{ name: 'reader' }] });
      const byId = await openstackJson(['token', 'issue'], asAppCred({ id: c.id, secret: c.secret }));
      assert.equal(byId.project_id, project);
      assert.equal(byId.user_id, users.bob);
      const byName = await openstackJson(['project', 'list'], asAppCred({ name: 'bob-cli', user: 'bob', secret: c.secret }));
      assert.deepEqual(byName.map((p: { Name: string }) => p.Name), ['ac-project']);

      const clouds = join(dir, 'clouds.yaml');
      writeFileSync(clouds, [
        'clouds:', '  bob-app:', '    auth_type: v3applicationcredential', '    auth:', `      auth_url: ${base}/v3`,
        `      application_credential_id: ${c.id}`, `      application_credential_secret: ${c.secret}`, '    identity_api_version: 3', '',
      ].join('\n'), { mode: 0o600 });
      const env = openstackEnv(undefined);
      for (const k of Object.keys(env)) if (k.startsWith('OS_')) delete env[k];
      Object.assign(env, { OS_CLIENT_CONFIG_FILE: clouds, OS_CLOUD: 'bob-app' });
      const fromClouds = await openstackJson(['token', 'issue'], env);
      assert.equal(fromClouds.project_id, project);

      const v = (await validate(fromClouds.id)).body.token;
      assert.deepEqual(v.methods, ['application_credential']);
      assert.deepEqual(names(v.roles), ['reader'], 'only the credential\'s roles, not all of bob\'s');
      assert.deepEqual(v.application_credential, { id: c.id, name: 'bob-cli', restricted: true });
      assert.equal(v.project.id, project);
    });

    test('Keystone\'s 400s, 403s, 404s and 409 when creating', async () => {
      const tok = await tokenOf('carol');
      const path = `/v3/users/${users.carol}/application_credentials`;
      await create(users.carol!, tok, { name: 'taken' });
      const cases: Array<[unknown, number, string]> = [
        [{ application_credential: { name: 'taken' } }, 409, 'Conflict occurred attempting to store application_credential - Duplicate entry found with name taken.'],
        [{ application_credential: { name: 'x', roles: [{ name: 'admin' }] } }, 400, 'Invalid application credential: Cannot create an application credential with unassigned role'],
        [{ application_credential: { name: 'x', roles: [{ name: 'no-such-role' }] } }, 404, 'Role no-such-role is not defined'],
        [{ application_credential: { name: 'x', expires_at: '2001-01-01T00:00:00' } }, 400, `The 'expires_at' must not be before now.${SUFFIX}`],
        [{ application_credential: { name: 'x', expires_at: '2040-01-01' } }, 400, `Timestamp not in expected format.${SUFFIX}`],
        [{ application_credential: { name: 'x', expires_at: '2040-02-30T00:00:00' } }, 400, `Timestamp not in expected format.${SUFFIX}`],
        [{}, 400, "'name' is a required property"],
        [{ application_credential: 'x' }, 400, "'x' is not of type 'object'"],
        [{ application_credential: { name: '' } }, 400, "Invalid input for field 'name': '' is too short"],
        [{ application_credential: { name: 'x', description: 5 } }, 400, "Invalid input for field 'description': 5 is not of type 'string', 'null'"],
        [{ application_credential: { name: 'x', unrestricted: 'yes' } }, 400, "Invalid input for field 'unrestricted': 'yes' is not of type 'boolean'"],
        [{ application_credential: { name: 'x', secret: 42 } }, 400, "Invalid input for field 'secret': a value of type number is not of type 'null', 'string'"],
        [{ application_credential: { name: 'x', roles: [{ id: 'a', name: 'b' }] } }, 400, "Invalid input for field 'roles/0': {'id': 'a', 'name': 'b'} has too many properties"],
        [{ application_credential: { name: 'x', access_rules: [{ service: 'compute', method: 'BREW', path: '/x' }] } }, 400,
          "Invalid input for field 'access_rules/0/method': 'BREW' does not match '^(POST|GET|HEAD|PATCH|PUT|DELETE)$'"],
        [{ application_credential: { name: 'x', access_rules: [{ service: 'compute', method: 'GET', path: 'x' }] } }, 400,
          "Invalid input for field 'access_rules/0/path': 'x' does not match '^\\\\/.*'"],
        [{ application_credential: { name: 'x', access_rules: [{ service: 'compute', method: 'GET' }] } }, 400, "Invalid input for field 'access_rules/0': 'path' is a required property"],
        [{ application_credential: { name: 'x', access_rules: [{ id: 'someone-elses' }] } }, 404, 'Could not find Access Rule: someone-elses.'],
        [{ application_credential: { name: 'x', links: {} } }, 400, "'links' is an invalid keyword argument for ApplicationCredentialModel"],
      ];
      for (const [body, status, message] of cases) {
        assert.equal(keystoneError(await api('POST', path, tok, body), status).message, message, JSON.stringify(body));
      }
      const forOther = keystoneError(await api('POST', `/v3/users/${users.alice}/application_credentials`, tok, { application_credential: { name: 'x' } }), 403);
      assert.equal(forOther.message, 'You are not authorized to perform the requested action: identity:create_application_credential.');
      assert.equal(keystoneError(await api('GET', `${path}/nope`, tok), 404).message, 'Could not find Application Credential: nope.');
      assert.equal(keystoneError(await api('DELETE', `${path}/nope`, tok), 404).message, 'Could not find Application Credential: nope.');
      assert.equal(keystoneError(await api('GET', `/v3/users/${users.carol}/access_rules/nope`, tok), 404).message, 'Could not find Access Rule: nope.');
      // another user's credential is not reachable through one's own path
      const alices = (await api('GET', `/v3/users/${users.alice}/application_credentials`, admin)).body.application_credentials[0];
      keystoneError(await api('GET', `${path}/${alices.id}`, tok), 403);
      keystoneError(await api('GET', `/v3/users/${users.alice}/access_rules`, tok), 403);
      // nothing half-written: the refused names are not there
      const listed = (await api('GET', path, tok)).body.application_credentials;
      assert.deepEqual(listed.map((x: { name: string }) => x.name), ['taken']);
      assert.deepEqual((await api('GET', `${path}?name=taken`, tok)).body.application_credentials.length, 1);
      assert.deepEqual((await api('GET', `${path}?name__startswith=tak`, tok)).body.application_credentials.length, 1);
      assert.deepEqual((await api('GET', `${path}?name=nope`, tok)).body.application_credentials, []);
    });

    test('Keystone\'s answers to bad logins; no scope may be asked for; expiry within the credential\'s', async () => {
      const tok = await tokenOf('carol');
      const expires = new Date(Date.now() + 1800_000).toISOString().replace('Z', '');
      const c = await create(users.carol!, tok, { name: 'login-cases', secret: 'login-case-secret', expires_at: expires });
      assert.equal(c.expires_at, expires.padEnd(26, '0'), 'the instant comes back to the microsecond');
      const t = await loginToken(c.id, 'login-case-secret');
      assert.ok(Date.parse(t.token.expires_at) <= Date.parse(`${expires}Z`));
      const byName = await login({ name: 'login-cases', secret: 'login-case-secret', user: { name: 'carol', domain: { name: 'Default' } } });
      assert.equal(byName.status, 201);
      const cases: Array<[Record<string, unknown>, unknown, number, string]> = [
        [{ id: c.id, secret: 'wrong' }, undefined, 401, GENERIC_401],
        [{ id: c.id }, undefined, 401, GENERIC_401],
        [{ id: 'nope', secret: 'x' }, undefined, 404, 'Could not find Application Credential: nope.'],
        [{ secret: 'x' }, undefined, 400, `Expecting to find name or ID in application credential.${SUFFIX}`],
        [{ name: 'login-cases', secret: 'x' }, undefined, 400, `Expecting to find user in application credential.${SUFFIX}`],
        [{ name: 'login-cases', secret: 'x', user: { name: 'carol' } }, undefined, 400, `Expecting to find domain in user.${SUFFIX}`],
        [{ name: 'login-cases', secret: 'x', user: { name: 'nobody', domain: { id: 'default' } } }, undefined, 404, 'Could not find user: nobody.'],
        [{ name: 'no-such', secret: 'x', user: { id: users.carol } }, undefined, 401, GENERIC_401],
        [{ id: c.id, secret: 5 }, undefined, 400, `Expecting to find string in password.${SUFFIX}`],
        [{ id: c.id, secret: 'login-case-secret' }, { project: { id: project } }, 401, 'Error authenticating with application credential: Application credentials cannot request a scope.'],
      ];
      for (const [body, scope, status, message] of cases) {
        const r = await login(body, scope);
        assert.equal(keystoneError(r, status).message, message, JSON.stringify(body));
        if (scope) assert.deepEqual(r.body.error.identity, {});
      }
      // a token from a credential cannot be exchanged for another one
      const e = keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: t.id } } } } }), 403);
      assert.equal(e.message, 'You are not authorized to perform the requested action: Using a delegated token to create another token is not allowed..');
    });

    test('a restricted credential cannot create or delete credentials; an unrestricted one can, within its own roles', async () => {
      const tok = await tokenOf('dave');
      const restricted = await create(users.dave!, tok, { name: 'restricted' });
      const open = await create(users.dave!, tok, { name: 'unrestricted', unrestricted: true, roles: [{ name: 'reader' }] });
      const r = await loginToken(restricted.id, restricted.secret);
      const u = await loginToken(open.id, open.secret);
      const path = `/v3/users/${users.dave}/application_credentials`;
      const msg = "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional application credentials..";
      assert.equal(keystoneError(await api('POST', path, r.id, { application_credential: { name: 'nested' } }), 403).message, msg);
      assert.equal(keystoneError(await api('DELETE', `${path}/${open.id}`, r.id), 403).message, msg);
      assert.equal((await api('GET', path, r.id)).status, 200, 'reading is allowed');
      const nested = await create(users.dave!, u.id, { name: 'nested' });
      assert.deepEqual(names(nested.roles), ['reader'], 'the new one gets the token\'s (the credential\'s) roles');
      assert.equal(keystoneError(await api('POST', path, u.id, { application_credential: { name: 'wider', roles: [{ name: 'member' }] } }), 400).message,
        'Invalid application credential: Cannot create an application credential with unassigned role');
      assert.equal((await api('DELETE', `${path}/${nested.id}`, u.id)).status, 204);

      type Event = { action: string; target: { id: string; typeURI: string } };
      const listed = await eventually(() => api('GET', '/v3/OS-AUDIT/events?limit=100', admin),
        (r) => r.status !== 200 || (r.body.events as Event[]).some((e) => e.action === 'deleted.application_credential' && e.target.id === nested.id));
      const events = listed.body.events as Event[];
      const created = events.find((e) => e.action === 'created.application_credential' && e.target.id === nested.id);
      assert.equal(created?.target.typeURI, 'data/security/application_credential');
      assert.ok(events.some((e) => e.action === 'deleted.application_credential' && e.target.id === nested.id));
      const text = JSON.stringify(events);
      for (const secret of [restricted.secret, open.secret, nested.secret]) assert.ok(!text.includes(secret), 'no secret in the audit trail');
    });

    test('tokens stop working when the credential is deleted, expires, or its user is disabled or deleted', async () => {
      const tok = await tokenOf('erin');
      const c = await create(users.erin!, tok, { name: 'to-delete' });
      const t = await loginToken(c.id, c.secret);
      assert.equal((await validate(t.id)).status, 200);
      assert.equal((await api('GET', '/v3/auth/projects', t.id)).status, 200);
      await openstackText(['application', 'credential', 'delete', c.id], asUser('erin'));
      assert.equal(keystoneError(await validate(t.id), 404).message, `Could not find Application Credential: ${c.id}.`);
      keystoneError(await api('GET', '/v3/auth/projects', t.id), 401);
      assert.equal(keystoneError(await login({ id: c.id, secret: c.secret }), 404).message, `Could not find Application Credential: ${c.id}.`);

      const soon = await create(users.erin!, tok, { name: 'expires-soon', expires_at: new Date(Date.now() + 2500).toISOString() });
      const st = await loginToken(soon.id, soon.secret);
      assert.ok(Date.parse(st.token.expires_at) <= Date.parse(`${soon.expires_at}Z`));
      // Past the credential's expiry (its tokens end with it, to the second below), neither works.
      await clockPasses(`${soon.expires_at}Z`);
      keystoneError(await validate(st.id), 404);
      assert.equal(keystoneError(await login({ id: soon.id, secret: soon.secret }), 401).message, GENERIC_401);

      const kept = await create(users.erin!, tok, { name: 'survives-disable', access_rules: [{ service: 'compute', method: 'GET', path: '/servers' }] });
      const kt = await loginToken(kept.id, kept.secret);
      assert.equal((await api('PATCH', `/v3/users/${users.erin}`, admin, { user: { enabled: false } })).status, 200);
      keystoneError(await validate(kt.id), 404);
      keystoneError(await login({ id: kept.id, secret: kept.secret }), 401);
      assert.equal((await api('PATCH', `/v3/users/${users.erin}`, admin, { user: { enabled: true } })).status, 200);
      assert.equal((await login({ id: kept.id, secret: kept.secret })).status, 201, 'as in Keystone, disabling does not delete the credential');

      assert.equal((await api('DELETE', `/v3/users/${users.erin}`, admin)).status, 204);
      assert.equal(await h.ds.getRepository(ApplicationCredentialEntity).countBy({ userId: users.erin }), 0);
      assert.equal(await h.ds.getRepository(AccessRuleEntity).countBy({ userId: users.erin }), 0, 'the user\'s access rules go too');
      keystoneError(await login({ id: kept.id, secret: kept.secret }), 404);
    });

    test('losing a role the credential carries: tokens revoked, new ones carry what is left; deleting a role deletes the credentials it fed', async () => {
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const frank = (await identity.createUser({ name: 'frank', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      for (const r of ['member', 'reader', 'custom']) await assignments.grant({ type: 'UserProject', actorId: frank, targetId: project, roleId: role[r]! });
      const tok = await tokenOf('frank');
      const c = await create(frank, tok, { name: 'two-roles', roles: [{ name: 'member' }, { name: 'reader' }] });
      const t = await loginToken(c.id, c.secret);
      assert.deepEqual(names(t.token.roles), ['member', 'reader']);
      assert.equal((await api('DELETE', `/v3/projects/${project}/users/${frank}/roles/${role.member}`, admin)).status, 204);
      keystoneError(await validate(t.id), 404);
      const after = await loginToken(c.id, c.secret);
      assert.deepEqual(names(after.token.roles), ['reader'], 'only what the user still holds');
      assert.deepEqual(names(after.token.roles), names((await validate(after.id)).body.token.roles));
      assert.equal((await api('DELETE', `/v3/projects/${project}/users/${frank}/roles/${role.reader}`, admin)).status, 204);
      keystoneError(await validate(after.id), 404);
      assert.equal(keystoneError(await login({ id: c.id, secret: c.secret }), 401).message, GENERIC_401);

      const viaCustom = await create(frank, await tokenOf('frank'), { name: 'custom-role' });
      const ct = await loginToken(viaCustom.id, viaCustom.secret);
      assert.equal((await api('DELETE', `/v3/roles/${role.custom}`, admin)).status, 204);
      keystoneError(await validate(ct.id), 404);
      const left = (await api('GET', `/v3/users/${frank}/application_credentials`, admin)).body.application_credentials;
      assert.deepEqual(left, [], 'both credentials of a direct grantee on the project are gone');
    });

    test('access rules: validators must understand them; Keystone\'s API ignores them; SODA (multicloud) and the console enforce them', async () => {
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const gina = (await identity.createUser({ name: 'gina', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      await assignments.grant({ type: 'UserProject', actorId: gina, targetId: project, roleId: role.member! });
      const tok = await tokenOf('gina');
      const rules = [
        { service: 'multicloud', method: 'GET', path: '/v1/*/aksks/{user_id}' },
        { service: 'identity', method: 'GET', path: '/v3/OS-LINTEL/projects/*/access_keys' },
      ];
      const c = await create(gina, tok, { name: 'ruled', access_rules: rules, unrestricted: true });
      const t = await loginToken(c.id, c.secret);
      assert.deepEqual(t.token.application_credential.access_rules.map(({ id: _id, ...r }: { id: string }) => r), rules);
      assert.equal(keystoneError(await validate(t.id, {}), 404).message, 'Failed to validate token', 'a validator that does not announce access rules');
      assert.equal(keystoneError(await validate(t.id, { 'OpenStack-Identity-Access-Rules': '0.9' }), 404).message, 'Failed to validate token');
      assert.equal((await validate(t.id)).status, 200);
      assert.equal((await api('GET', '/v3/auth/projects', t.id)).status, 200, 'Keystone\'s own API does not enforce access rules');

      const soda = (method: string, path: string, token: string, body?: unknown): Promise<Res> => call(h.multicloudUrl, method, path, { token, body });
      assert.equal((await soda('GET', `/v1/${project}/aksks/${gina}`, t.id)).status, 200);
      const refused = await soda('GET', `/v1/${project}/aksks/${gina}/download`, t.id);
      assert.equal(refused.status, 401);
      assert.equal(refused.text, 'get token failed,Token authorization failed');
      assert.equal((await soda('POST', `/v1/${project}/aksks`, t.id, {})).status, 401, 'POST is not among the rules');
      assert.equal((await soda('GET', `/v1/${project}/aksks/${gina}/download`, tok)).status, 200, 'a password token is not limited');

      assert.equal((await api('GET', `/v3/OS-LINTEL/projects/${project}/access_keys`, t.id)).status, 200);
      assert.equal(keystoneError(await api('GET', `/v3/OS-LINTEL/projects/${project}/users`, t.id), 401).message, GENERIC_401);
      assert.equal((await api('GET', `/v3/OS-LINTEL/projects/${project}/users`, tok)).status, 200);
    });

    test('EC2 keys made with a credential\'s token remember it: their tokens carry its roles and die with it; restricted ones make none', async () => {
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const hank = (await identity.createUser({ name: 'hank', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      for (const r of ['manager', 'reader']) await assignments.grant({ type: 'UserProject', actorId: hank, targetId: project, roleId: role[r]! });
      await assignments.grant({ type: 'UserProject', actorId: hank, targetId: other, roleId: role.member! });
      const tok = await tokenOf('hank');
      const open = await create(hank, tok, { name: 'ec2-maker', unrestricted: true, roles: [{ name: 'member' }] });
      const closed = await create(hank, tok, { name: 'ec2-restricted', roles: [{ name: 'member' }] });
      const u = await loginToken(open.id, open.secret);
      const r = await loginToken(closed.id, closed.secret);

      const viaOsEc2 = await api('POST', `/v3/users/${hank}/credentials/OS-EC2`, u.id, { tenant_id: project });
      assert.equal(viaOsEc2.status, 201, viaOsEc2.text);
      const blob = JSON.stringify({ access: 'hank-ak-1', secret: 'hank-sk-1' });
      const viaV3 = await api('POST', '/v3/credentials', u.id, { credential: { type: 'ec2', user_id: hank, project_id: project, blob } });
      assert.equal(viaV3.status, 201, viaV3.text);
      assert.equal(JSON.parse(viaV3.body.credential.blob).app_cred_id, open.id, 'Keystone records the credential in the blob');

      for (const [access, secret] of [[viaOsEc2.body.credential.access, viaOsEc2.body.credential.secret], ['hank-ak-1', 'hank-sk-1']] as const) {
        const e = await ec2tokens(base, admin, access, secret);
        assert.equal(e.status, 200, e.text);
        assert.deepEqual(names(e.body.token.roles), ['member'], 'not hank\'s manager and reader roles');
        assert.deepEqual(e.body.token.application_credential, { id: open.id, name: 'ec2-maker', restricted: false });
        assert.deepEqual(e.body.token.methods, ['ec2credential']);
      }

      const restrictedMsg = "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional credentials..";
      assert.equal(keystoneError(await api('POST', '/v3/credentials', r.id, { credential: { type: 'ec2', user_id: hank, project_id: project, blob: JSON.stringify({ access: 'x1', secret: 'y' }) } }), 403).message, restrictedMsg);
      keystoneError(await api('POST', `/v3/users/${hank}/credentials/OS-EC2`, r.id, { tenant_id: project }), 403);
      const outside = keystoneError(await api('POST', `/v3/users/${hank}/credentials/OS-EC2`, u.id, { tenant_id: other }), 403);
      assert.equal(outside.message, 'You are not authorized to perform the requested action: EC2 credential project does not match the project scope of the delegated token.');
      const outsideV3 = keystoneError(await api('POST', '/v3/credentials', u.id, { credential: { type: 'ec2', user_id: hank, project_id: other, blob: JSON.stringify({ access: 'x2', secret: 'y' }) } }), 403);
      assert.equal(outsideV3.message, 'You are not authorized to perform the requested action: Credential project does not match the project scope of the delegated token.');
      const withPassword = await api('POST', `/v3/users/${hank}/credentials/OS-EC2`, tok, { tenant_id: other });
      assert.equal(withPassword.status, 201);
      const listed = (await api('GET', '/v3/credentials', u.id)).body.credentials;
      assert.ok(listed.length >= 2 && listed.every((c: { project_id: string }) => c.project_id === project), 'a delegated token sees its project\'s only');

      assert.equal((await api('DELETE', `/v3/users/${hank}/application_credentials/${open.id}`, tok)).status, 204);
      const gone = await ec2tokens(base, admin, 'hank-ak-1', 'hank-sk-1');
      assert.equal(keystoneError(gone, 404).message, `Could not find Application Credential: ${open.id}.`);
    });

    test('the migration goes down and up again on this database', async () => {
      // Later migrations are undone first, down to this one.
      for (;;) {
        const names = (await h.ds.query('SELECT name FROM migrations ORDER BY timestamp DESC')) as { name: string }[];
        await h.ds.revertLastMigration();
        if (names[0]!.name.startsWith('ApplicationCredentials')) break;
      }
      const q = h.ds.createQueryRunner();
      try {
        assert.equal(await q.hasTable('application_credentials'), false);
        assert.equal(await q.hasColumn('revocation_events', 'app_cred_id'), false);
      } finally {
        await q.release();
      }
      await h.ds.migrate();
      const c = await create(users.alice!, await tokenOf('alice'), { name: 'after-migration' });
      assert.equal((await login({ id: c.id, secret: c.secret })).status, 201);
    });
  });
}
