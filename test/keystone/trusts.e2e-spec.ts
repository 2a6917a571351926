import assert from 'node:assert/strict';
import aws4 from 'aws4';
import { before, describe, test } from 'node:test';
import { AppCredRestriction, TokenProvider } from '@lintel/auth';
import { databaseKinds } from '../helpers/databases.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { openstackEnv, openstackJson, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';
import { clockPasses, eventually } from '../helpers/wait.js';

/**
 * OS-TRUST (docs/keystone-trusts.md) as Keystone 22 serves it: the trust API through the real
 * openstack CLI and over HTTP (bodies, policies, Keystone's 400/403/404 texts), trust-scoped
 * tokens (impersonation, roles, use counting under concurrency, what ends them), redelegation,
 * cascades, delegated tokens on the credential APIs, trust-bound EC2 credentials and the
 * access-key APIs acting on a trust's roles only. Expected bodies and texts were read off a
 * real Keystone 22 with the same requests.
 */

const PW = 'trust-test-pw-1';
const GENERIC_403 = 'You are not authorized to perform the requested action.';
const UNAUTHENTICATED = 'The request you have made requires authentication.';

interface World {
  h: Harness;
  base: string;
  admin: string;
  p: string;
  q: string;
  users: Record<string, string>;
  roles: Record<string, string>;
}

/** Projects `trust-p` and `trust-q`; `tor` (member on p, reader on q), `tee`, `third`, `fourth` with no roles. */
async function setUp(h: Harness): Promise<World> {
  const base = h.url;
  const admin = (await issue(base, adminProjectAuth())).id;
  const post = async (path: string, body: unknown) => {
    const r = await call(base, 'POST', path, { token: admin, body });
    assert.equal(r.status, 201, r.text);
    return Object.values(r.body as object)[0] as { id: string };
  };
  const suffix = Math.random().toString(16).slice(2, 8);
  const p = (await post('/v3/projects', { project: { name: `trust-p-${suffix}`, domain_id: 'default' } })).id;
  const q = (await post('/v3/projects', { project: { name: `trust-q-${suffix}`, domain_id: 'default' } })).id;
  const users: Record<string, string> = {};
  for (const name of ['tor', 'tee', 'third', 'fourth']) users[name] = (await post('/v3/users', { user: { name: `${name}-${suffix}`, domain_id: 'default', password: PW } })).id;
  const roles: Record<string, string> = {};
  for (const r of (await call(base, 'GET', '/v3/roles', { token: admin })).body.roles) roles[r.name] = r.id;
  const grant = async (project: string, user: string, role: string) => {
    const r = await call(base, 'PUT', `/v3/projects/${project}/users/${user}/roles/${roles[role]}`, { token: admin });
    assert.equal(r.status, 204, r.text);
  };
  await grant(p, users.tor!, 'member');
  await grant(q, users.tor!, 'reader');
  return { h, base, admin, p, q, users, roles };
}

/** The user name behind an id of `users` (names carry the suffix). */
const nameOf = async (w: World, id: string): Promise<string> => (await call(w.base, 'GET', `/v3/users/${id}`, { token: w.admin })).body.user.name;

async function passwordToken(w: World, user: string, scope?: unknown): Promise<string> {
  return (await issue(w.base, passwordAuth({ name: await nameOf(w, w.users[user]!) }, PW, scope))).id;
}

function trustAuth(w: World, userId: string, trustId: unknown, password = PW): Promise<Res> {
  return call(w.base, 'POST', '/v3/auth/tokens?nocatalog', { body: { auth: { identity: { methods: ['password'], password: { user: { id: userId, password } } }, scope: { 'OS-TRUST:trust': { id: trustId } } } } });
}

async function trustToken(w: World, userId: string, trustId: string): Promise<{ id: string; body: any }> {
  const r = await trustAuth(w, userId, trustId);
  assert.equal(r.status, 201, r.text);
  return { id: r.headers.get('x-subject-token')!, body: r.body };
}

async function createTrust(w: World, token: string, trust: Record<string, unknown>): Promise<any> {
  const r = await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token, body: { trust } });
  assert.equal(r.status, 201, r.text);
  return r.body.trust;
}

/** Validation as a service does it (admin token, `X-Subject-Token`). */
const validate = (w: World, subject: string) => call(w.base, 'GET', '/v3/auth/tokens?nocatalog', { token: w.admin, subject });

const sortIds = (roles: Array<{ id: string }>) => roles.map((r) => r.id).sort();

for (const kind of databaseKinds()) {
  describe(`OS-TRUST trusts and trust-scoped tokens (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let w: World;
    /** The trustor's project-scoped token and the trustee's unscoped one. */
    let tor: string;
    let tee: string;
    /** `{trustor, trustee, project, member role}`, impersonation to be set by each test. */
    let base: () => Record<string, unknown>;

    before(async () => {
      w = await setUp(ctx.h);
      tor = await passwordToken(w, 'tor', { project: { id: w.p } });
      tee = await passwordToken(w, 'tee');
      base = () => ({ trustor_user_id: w.users.tor, trustee_user_id: w.users.tee, project_id: w.p, impersonation: false, roles: [{ name: 'member' }] });
    });

    test('the openstack CLI creates, shows, lists, uses and deletes a trust', { skip: skipWithoutOpenstack }, async () => {
      const torEnv = openstackEnv(`${w.base}/v3`, { user: await nameOf(w, w.users.tor!), password: PW, project: (await call(w.base, 'GET', `/v3/projects/${w.p}`, { token: w.admin })).body.project.name });
      const created = await openstackJson(['trust', 'create', '--project', w.p, '--role', w.roles.member!, '--role', w.roles.reader!, '--impersonate',
        '--expiration', '2031-05-05T10:00:00', w.users.tor!, w.users.tee!], torEnv);
      assert.equal(created.impersonation, true);
      assert.equal(created.expires_at, '2031-05-05T10:00:00.000000Z');
      assert.equal(created.project_id, w.p);
      assert.equal(created.trustor_user_id, w.users.tor);
      assert.equal(created.trustee_user_id, w.users.tee);
      assert.deepEqual(created.roles.split(' ').sort(), ['member', 'reader']);
      assert.equal(created.redelegation_count, 0);
      assert.equal(created.remaining_uses, null);
      const shown = await openstackJson(['trust', 'show', created.id], torEnv);
      assert.deepEqual({ ...shown, roles: shown.roles.split(' ').sort() }, { ...created, roles: ['member', 'reader'] });

      // The trustee, with no role anywhere, gets a token on the trust's project, as the trustor (impersonation).
      const teeEnv = openstackEnv(`${w.base}/v3`, { user: await nameOf(w, w.users.tee!), password: PW });
      delete teeEnv.OS_PROJECT_NAME;
      delete teeEnv.OS_PROJECT_DOMAIN_NAME;
      const token = await openstackJson(['--os-trust-id', created.id, 'token', 'issue'], teeEnv);
      assert.equal(token.project_id, w.p);
      assert.equal(token.user_id, w.users.tor);

      const listed = await openstackJson(['trust', 'list'], openstackEnv(`${w.base}/v3`));
      const mine = listed.find((t: any) => t.ID === created.id);
      assert.deepEqual(mine, {
        ID: created.id, 'Expires At': '2031-05-05T10:00:00.000000Z', Impersonation: true, 'Project ID': w.p,
        'Trustee User ID': w.users.tee, 'Trustor User ID': w.users.tor,
      });
      await openstackText(['trust', 'delete', created.id], torEnv);
      // The CLI looks the id up, then falls back to a list the trustor may not make: Keystone's 403.
      await assert.rejects(openstackText(['trust', 'show', created.id], torEnv), /identity:list_trusts/);
      await assert.rejects(openstackText(['--os-trust-id', created.id, 'token', 'issue'], teeEnv), /401/);
    });

    test('create, show, list and the trust\'s roles look like Keystone\'s', async () => {
      const t = await createTrust(w, tor, { ...base(), impersonation: true, expires_at: '2032-02-27T18:30:59.999999Z', remaining_uses: 3, note: 'kept' });
      assert.match(t.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(Object.keys(t), ['roles', 'note', 'id', 'trustor_user_id', 'trustee_user_id', 'project_id', 'impersonation', 'expires_at', 'remaining_uses',
        'deleted_at', 'redelegated_trust_id', 'redelegation_count', 'roles_links', 'links']);
      assert.deepEqual(t.roles, [{ id: w.roles.member, name: 'member', domain_id: null, description: null, options: { immutable: true }, links: { self: `${w.base}/v3/roles/${w.roles.member}` } }]);
      assert.equal(t.expires_at, '2032-02-27T18:30:59.000000Z');
      assert.equal(t.remaining_uses, 3);
      assert.equal(t.redelegation_count, 0);
      assert.equal(t.deleted_at, null);
      assert.equal(t.note, 'kept');
      assert.deepEqual(t.roles_links, { self: `${w.base}/v3/${t.id}/roles`, next: null, previous: null });
      assert.deepEqual(t.links, { self: `${w.base}/v3/OS-TRUST/trusts/${t.id}` });

      const shown = await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${t.id}`, { token: tee });
      assert.equal(shown.status, 200, shown.text);
      assert.deepEqual(shown.body.trust, t);

      const listed = await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, { token: tor });
      assert.equal(listed.status, 200, listed.text);
      const { roles: _r, roles_links: _l, ...summary } = t;
      assert.deepEqual(listed.body.trusts.find((x: any) => x.id === t.id), summary);
      assert.deepEqual(listed.body.links, { next: null, self: `${w.base}/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, previous: null });

      const roles = await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${t.id}/roles`, { token: tee });
      assert.deepEqual(roles.body, { roles: t.roles, links: t.roles_links });
      const role = await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${t.id}/roles/${w.roles.member}`, { token: tor });
      assert.deepEqual(role.body, { role: t.roles[0] });
      const head = await call(w.base, 'HEAD', `/v3/OS-TRUST/trusts/${t.id}/roles/${w.roles.member}`, { token: tee });
      assert.equal(head.status, 200);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${t.id}/roles/${w.roles.reader}`, { token: tee }), 404).message, `Could not find role: ${w.roles.reader}.`);
      assert.equal((await call(w.base, 'HEAD', `/v3/OS-TRUST/trusts/${t.id}/roles/${w.roles.reader}`, { token: tee })).status, 404);
      assert.equal(keystoneError(await call(w.base, 'GET', '/v3/OS-TRUST/trusts/nope', { token: tee }), 404).message, 'Could not find trust: nope.');

      // Without a project: no roles, and Keystone's odd 404 when it is used.
      const bare = await createTrust(w, tor, { trustor_user_id: w.users.tor, trustee_user_id: w.users.tee, impersonation: false });
      assert.deepEqual([bare.project_id, bare.roles], [null, []]);
      assert.equal(keystoneError(await trustAuth(w, w.users.tee!, bare.id), 404).message, 'Could not find project: None.');
    });

    test('who may see, list and delete trusts: Keystone\'s default policies', async () => {
      const t = await createTrust(w, tor, base());
      const third = await passwordToken(w, 'third');
      const ids = (r: Res) => {
        assert.equal(r.status, 200, r.text);
        return r.body.trusts.map((x: any) => x.id);
      };
      assert.ok(ids(await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustee_user_id=${w.users.tee}`, { token: tee })).includes(t.id));
      assert.ok(ids(await call(w.base, 'GET', '/v3/OS-TRUST/trusts', { token: w.admin })).includes(t.id));
      assert.deepEqual(ids(await call(w.base, 'GET', '/v3/OS-TRUST/trusts?other=1', { token: w.admin })), []);
      const refusals: Array<[string, string, string]> = [
        ['GET', '/v3/OS-TRUST/trusts', 'identity:list_trusts'],
        ['GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, 'identity:list_trusts_for_trustor'],
        ['GET', `/v3/OS-TRUST/trusts?trustee_user_id=${w.users.tee}`, 'identity:list_trusts_for_trustee'],
        ['GET', `/v3/OS-TRUST/trusts/${t.id}`, 'identity:get_trust'],
        ['GET', `/v3/OS-TRUST/trusts/${t.id}/roles`, 'identity:list_roles_for_trust'],
        ['GET', `/v3/OS-TRUST/trusts/${t.id}/roles/${w.roles.member}`, 'identity:get_role_for_trust'],
        ['DELETE', `/v3/OS-TRUST/trusts/${t.id}`, 'identity:delete_trust'],
      ];
      for (const [method, path, action] of refusals) {
        assert.equal(keystoneError(await call(w.base, method, path, { token: third }), 403).message, `You are not authorized to perform the requested action: ${action}.`, path);
      }
      assert.equal(keystoneError(await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${t.id}`, { token: tee }), 403).message, `You are not authorized to perform the requested action: identity:delete_trust.`);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, { token: tee }), 403).message,
        'You are not authorized to perform the requested action: identity:list_trusts_for_trustor.');
      assert.equal((await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${t.id}`, { token: w.admin })).status, 200);
      assert.equal((await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${t.id}`, { token: w.admin })).status, 204);
      assert.equal(keystoneError(await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${t.id}`, { token: w.admin }), 404).message, `Could not find trust: ${t.id}.`);
    });

    test('bad input gets Keystone\'s 400, 403 and 404', async () => {
      const b = base();
      const without = (k: string) => Object.fromEntries(Object.entries(b).filter(([key]) => key !== k));
      const cases: Array<[string, unknown, number, string]> = [
        ['no trust', {}, 403, 'You are not authorized to perform the requested action: identity:create_trust.'],
        ['trustor not the caller', { trust: { ...b, trustor_user_id: w.users.tee } }, 403, 'You are not authorized to perform the requested action: identity:create_trust.'],
        ['no impersonation', { trust: without('impersonation') }, 400, "'impersonation' is a required property"],
        ['no trustee', { trust: without('trustee_user_id') }, 400, "'trustee_user_id' is a required property"],
        ['empty trustee', { trust: { ...b, trustee_user_id: '' } }, 400, "Invalid input for field 'trustee_user_id': '' is too short"],
        ['impersonation as text', { trust: { ...b, impersonation: 'true' } }, 400, "Invalid input for field 'impersonation': 'true' is not of type 'boolean'"],
        ['project as number', { trust: { ...b, project_id: 5 } }, 400, "Invalid input for field 'project_id': 5 is not of type 'string', 'null'"],
        ['remaining_uses 0', { trust: { ...b, remaining_uses: 0 } }, 400, "Invalid input for field 'remaining_uses': 0 is less than the minimum of 1"],
        ['remaining_uses -1', { trust: { ...b, remaining_uses: -1 } }, 400, "Invalid input for field 'remaining_uses': -1 is less than the minimum of 1"],
        ['remaining_uses as text', { trust: { ...b, remaining_uses: '1' } }, 400, "Invalid input for field 'remaining_uses': '1' is not of type 'integer', 'null'"],
        ['expiry as number', { trust: { ...b, expires_at: 5 } }, 400, "Invalid input for field 'expires_at': 5 is not of type 'null', 'string'"],
        ['redelegation_count -1', { trust: { ...b, allow_redelegation: true, redelegation_count: -1 } }, 400, "Invalid input for field 'redelegation_count': -1 is less than the minimum of 0"],
        ['roles not an array', { trust: { ...b, roles: 'member' } }, 400, "Invalid input for field 'roles': 'member' is not of type 'array'"],
        ['role by id and name', { trust: { ...b, roles: [{ id: 'x', name: 'y' }] } }, 400, "Invalid input for field 'roles/0': {'id': 'x', 'name': 'y'} has too many properties"],
        ['role with another key', { trust: { ...b, roles: [{ foo: 'x' }] } }, 400, "Invalid input for field 'roles/0': Additional properties are not allowed ('foo' was unexpected)"],
        ['expiry in the past', { trust: { ...b, expires_at: '2001-01-01T00:00:00Z' } }, 400, "The 'expires_at' must not be before now. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error."],
        ['expiry unreadable', { trust: { ...b, expires_at: 'bad.123Z' } }, 400, 'Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'],
        ['expiry with an offset', { trust: { ...b, expires_at: '2034-01-01T00:00:00+02:00' } }, 400, 'Timestamp not in expected format. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.'],
        ['redelegation with remaining uses', { trust: { ...b, allow_redelegation: true, remaining_uses: 2 } }, 400, 'remaining_uses must not be set if redelegation is allowed'],
        ['no roles on a project', { trust: { ...b, roles: [] } }, 403, 'You are not authorized to perform the requested action: At least one role should be specified.'],
        ['roles left out', { trust: without('roles') }, 403, 'You are not authorized to perform the requested action: At least one role should be specified.'],
        ['redelegation deeper than 3', { trust: { ...b, allow_redelegation: true, redelegation_count: 4 } }, 403, GENERIC_403],
        ['unknown trustee', { trust: { ...b, trustee_user_id: 'nope' } }, 404, 'Could not find user: nope.'],
        ['unknown role name', { trust: { ...b, roles: [{ name: 'zzz' }] } }, 404, 'Role zzz is not defined'],
        ['unknown role id', { trust: { ...b, roles: [{ id: 'zzz' }] } }, 404, 'Could not find role: zzz.'],
        ['a role the trustor does not hold', { trust: { ...b, roles: [{ name: 'admin' }] } }, 404, `Could not find role: ${w.roles.admin}.`],
        ['roles without a project', { trust: { ...b, project_id: null } }, 404, `Could not find role: ${w.roles.member}.`],
        ['unknown project', { trust: { ...b, project_id: 'nope' } }, 404, 'Could not find project: nope.'],
      ];
      for (const [why, body, status, message] of cases) {
        assert.equal(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: tor, body }), status).message, message, why);
      }
      // Keystone's duplicate key: same trustor, trustee, project, impersonation and expiry.
      const same = { ...b, expires_at: '2033-01-01T00:00:00Z' };
      await createTrust(w, tor, same);
      assert.match(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: tor, body: { trust: same } }), 409).message,
        /^Conflict occurred attempting to store trust - Duplicate entry found with ID [0-9a-f]{32}\.$/);
      assert.equal((await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: tor, body: { trust: { ...b, roles: [{ name: 'member' }, { name: 'member' }] } } })).status, 409);
      // Token requests.
      const scope = (s: unknown) => call(w.base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { id: w.users.tee, password: PW } } }, scope: s } } });
      assert.equal(keystoneError(await scope({ 'OS-TRUST:trust': {} }), 400).message,
        'Expecting to find trust_id in trust. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
      assert.equal(keystoneError(await scope({ 'OS-TRUST:trust': { id: 5 } }), 400).message, "Invalid input for field 'scope/OS-TRUST:trust/id': 5 is not of type 'string'");
      assert.equal(keystoneError(await scope({ 'OS-TRUST:trust': { id: 'nope' } }), 401).message, UNAUTHENTICATED);
      assert.equal(keystoneError(await scope({ 'OS-TRUST:trust': { id: 'x' }, project: { id: w.p } }), 400).message,
        'Expecting to find system, project, domain, OS-TRUST:trust or unscoped in scope. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.');
    });

    test('a trust-scoped token: the trust\'s project and roles, the trustor shown when impersonating', async () => {
      const plain = await createTrust(w, tor, base());
      const t = await trustToken(w, w.users.tee!, plain.id);
      const token = t.body.token;
      assert.deepEqual(Object.keys(token), ['methods', 'user', 'audit_ids', 'expires_at', 'issued_at', 'OS-TRUST:trust', 'project', 'roles']);
      assert.deepEqual(token.methods, ['password']);
      assert.equal(token.user.id, w.users.tee);
      assert.deepEqual(token['OS-TRUST:trust'], { id: plain.id, trustor_user: { id: w.users.tor }, trustee_user: { id: w.users.tee }, impersonation: false });
      assert.equal(token.project.id, w.p);
      // member implies reader: both, whole roles, as Keystone puts them in a trust-scoped token.
      assert.deepEqual(sortIds(token.roles), [w.roles.member, w.roles.reader].sort());
      assert.deepEqual(token.roles.find((r: any) => r.name === 'reader'), { id: w.roles.reader, name: 'reader', domain_id: null, description: null, options: { immutable: true } });
      const v = await validate(w, t.id);
      assert.equal(v.status, 200, v.text);
      assert.deepEqual(v.body.token, token);
      // Acting as the trustee: the trustor's user record is not theirs to read.
      assert.equal((await call(w.base, 'GET', `/v3/users/${w.users.tor}`, { token: t.id })).status, 403);
      assert.equal((await call(w.base, 'GET', `/v3/projects/${w.p}`, { token: t.id })).status, 200);
      // With a catalog, the catalog is there too.
      const withCatalog = await call(w.base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { id: w.users.tee, password: PW } } }, scope: { 'OS-TRUST:trust': { id: plain.id } } } } });
      assert.ok(Array.isArray(withCatalog.body.token.catalog) && withCatalog.body.token.catalog.length > 0);

      const imp = await createTrust(w, tor, { ...base(), impersonation: true, roles: [{ name: 'reader' }] });
      const it = await trustToken(w, w.users.tee!, imp.id);
      assert.equal(it.body.token.user.id, w.users.tor);
      assert.deepEqual(it.body.token['OS-TRUST:trust'].impersonation, true);
      assert.deepEqual(sortIds(it.body.token.roles), [w.roles.reader]);
      // Policy sees the trustor: their own record is readable, the trustee's is not; they list as the trustor.
      assert.equal((await call(w.base, 'GET', `/v3/users/${w.users.tor}`, { token: it.id })).status, 200);
      assert.equal((await call(w.base, 'GET', `/v3/users/${w.users.tee}`, { token: it.id })).status, 403);
      assert.equal((await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, { token: it.id })).status, 200);

      // Only the trustee; the token method gives one from an unscoped token, never from a trust-scoped one.
      assert.equal(keystoneError(await trustAuth(w, w.users.tor!, plain.id), 403).message, GENERIC_403);
      const viaToken = await call(w.base, 'POST', '/v3/auth/tokens?nocatalog', { body: { auth: { identity: { methods: ['token'], token: { id: tee } }, scope: { 'OS-TRUST:trust': { id: plain.id } } } } });
      assert.equal(viaToken.status, 201, viaToken.text);
      assert.deepEqual(viaToken.body.token.methods.sort(), ['password', 'token']);
      assert.equal(viaToken.body.token.audit_ids.length, 2);
      for (const scope of [undefined, { 'OS-TRUST:trust': { id: plain.id } }, { project: { id: w.p } }]) {
        const r = await call(w.base, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: t.id } }, ...(scope ? { scope } : {}) } } });
        assert.equal(keystoneError(r, 403).message, 'You are not authorized to perform the requested action: Using trust-scoped token to create another token. Create a new trust-scoped token instead.');
      }
      // Claims carry the trust (openstack_trust_id in the JWS).
      const claims = await w.h.get(TokenProvider).verify(t.id);
      assert.equal(claims.trustId, plain.id);
    });

    test('remaining uses: one per token, never overspent by concurrent requests; at 0 the trust is gone', async () => {
      const two = await createTrust(w, tor, { ...base(), remaining_uses: 2 });
      const first = await trustToken(w, w.users.tee!, two.id);
      assert.equal((await validate(w, first.id)).status, 200);
      await trustToken(w, w.users.tee!, two.id);
      assert.equal(keystoneError(await trustAuth(w, w.users.tee!, two.id), 401).message, UNAUTHENTICATED);
      // As in Keystone, a trust with no use left cannot be found, and neither can its tokens' trust.
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${two.id}`, { token: tor }), 404).message, `Could not find trust: ${two.id}.`);
      assert.equal(keystoneError(await eventually(() => validate(w, first.id), (r) => r.status === 404), 404).message, `Could not find trust: ${two.id}.`);
      const listed = (await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, { token: tor })).body.trusts;
      assert.equal(listed.find((x: any) => x.id === two.id).remaining_uses, 0);

      const uses = 4;
      const many = await createTrust(w, tor, { ...base(), remaining_uses: uses });
      const results = await Promise.all(Array.from({ length: 16 }, () => trustAuth(w, w.users.tee!, many.id)));
      const statuses = results.map((r) => r.status);
      assert.equal(statuses.filter((s) => s === 201).length, uses, statuses.join(','));
      assert.ok(statuses.every((s) => s === 201 || s === 401 || s === 403), statuses.join(','));
      const after = (await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, { token: tor })).body.trusts;
      assert.equal(after.find((x: any) => x.id === many.id).remaining_uses, 0);
    });

    test('a trust-scoped token stops working when the trustor loses a role, is disabled, or the trust is deleted or expires', async () => {
      const t = await createTrust(w, tor, base());
      let tt = (await trustToken(w, w.users.tee!, t.id)).id;
      // The trustor loses `member`: the token is refused (Keystone's 403), and new ones too.
      assert.equal((await call(w.base, 'DELETE', `/v3/projects/${w.p}/users/${w.users.tor}/roles/${w.roles.member}`, { token: w.admin })).status, 204);
      const lost = await eventually(() => validate(w, tt), (r) => r.status !== 200);
      assert.ok([403, 404].includes(lost.status), lost.text);
      assert.equal(keystoneError(await trustAuth(w, w.users.tee!, t.id), 403).message, GENERIC_403);
      assert.equal((await call(w.base, 'PUT', `/v3/projects/${w.p}/users/${w.users.tor}/roles/${w.roles.member}`, { token: w.admin })).status, 204);
      tt = (await trustToken(w, w.users.tee!, t.id)).id;
      assert.equal((await validate(w, tt)).status, 200);

      // The trustor disabled: 403 while disabled; the revocation event outlives re-enabling (404).
      assert.equal((await call(w.base, 'PATCH', `/v3/users/${w.users.tor}`, { token: w.admin, body: { user: { enabled: false } } })).status, 200);
      const disabled = await eventually(() => validate(w, tt), (r) => r.status !== 200);
      assert.ok([403, 404].includes(disabled.status), disabled.text);
      assert.equal(keystoneError(await trustAuth(w, w.users.tee!, t.id), 403).message, GENERIC_403);
      assert.equal((await call(w.base, 'PATCH', `/v3/users/${w.users.tor}`, { token: w.admin, body: { user: { enabled: true } } })).status, 200);
      assert.equal(keystoneError(await eventually(() => validate(w, tt), (r) => r.status === 404), 404).message, 'Failed to validate token');
      tt = (await trustToken(w, w.users.tee!, t.id)).id;
      assert.equal((await call(w.base, 'GET', `/v3/projects/${w.p}`, { token: tt })).status, 200);

      // Deleted: its tokens die at once (revocation event), on validation and on use.
      tor = await passwordToken(w, 'tor', { project: { id: w.p } });
      assert.equal((await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${t.id}`, { token: tor })).status, 204);
      assert.equal(keystoneError(await validate(w, tt), 404).message, `Could not find trust: ${t.id}.`);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/projects/${w.p}`, { token: tt }), 401).message, UNAUTHENTICATED);
      assert.equal(keystoneError(await trustAuth(w, w.users.tee!, t.id), 401).message, UNAUTHENTICATED);

      // Expired.
      const soon = new Date(Date.now() + 2500).toISOString().replace(/Z$/, '');
      const short = await createTrust(w, tor, { ...base(), expires_at: soon });
      const st = (await trustToken(w, w.users.tee!, short.id)).id;
      // Past the trust's expiry; a validation cache may answer for its token a little longer.
      await clockPasses(short.expires_at);
      const expired = await eventually(() => validate(w, st), (r) => r.status !== 200);
      assert.equal(keystoneError(expired, 404).message, `Could not find trust: ${short.id}.`);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${short.id}`, { token: tor }), 404).message, `Could not find trust: ${short.id}.`);
      assert.equal(keystoneError(await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${short.id}`, { token: tor }), 404).message, `Could not find trust: ${short.id}.`);
    });

    test('redelegation: narrower trusts down a chain no longer than the count; deleting the root takes the chain', async () => {
      const parent = await createTrust(w, tor, { ...base(), impersonation: true, allow_redelegation: true, expires_at: '2040-01-01T00:00:00Z' });
      assert.equal(parent.redelegation_count, 3);
      const pt = (await trustToken(w, w.users.tee!, parent.id)).id;
      const child = { trustor_user_id: w.users.tor, trustee_user_id: w.users.third, project_id: w.p, impersonation: true, roles: [{ name: 'member' }] };
      const refused: Array<[string, Record<string, unknown>]> = [
        ['wider roles', { ...child, roles: [{ name: 'member' }, { name: 'reader' }] }],
        ['later expiry', { ...child, expires_at: '2041-01-01T00:00:00Z' }],
        ['remaining uses', { ...child, remaining_uses: 1 }],
        ['deeper than allowed', { ...child, allow_redelegation: true, redelegation_count: 5 }],
        ['a count other than the parent\'s less one', { ...child, allow_redelegation: true, redelegation_count: 1 }],
      ];
      for (const [why, body] of refused) {
        assert.equal(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: pt, body: { trust: body } }), 403).message, GENERIC_403, why);
      }
      // Another trustor than the token's user is the policy's 403.
      assert.equal(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: pt, body: { trust: { ...child, trustor_user_id: w.users.tee } } }), 403).message,
        'You are not authorized to perform the requested action: identity:create_trust.');

      const c1 = await createTrust(w, pt, { ...child, allow_redelegation: true });
      assert.deepEqual([c1.redelegated_trust_id, c1.redelegation_count, c1.expires_at], [parent.id, 2, '2040-01-01T00:00:00.000000Z']);
      const terminal = await createTrust(w, pt, { ...child, trustee_user_id: w.users.fourth, impersonation: false, expires_at: '2039-01-01T00:00:00Z' });
      assert.deepEqual([terminal.redelegated_trust_id, terminal.redelegation_count], [parent.id, 0]);
      // The third user uses the child; a trust that does not impersonate cannot start one that does.
      const ct = (await trustToken(w, w.users.third!, c1.id)).id;
      const grandchild = await createTrust(w, ct, { ...child, trustee_user_id: w.users.fourth, allow_redelegation: true });
      assert.deepEqual([grandchild.redelegated_trust_id, grandchild.redelegation_count], [c1.id, 1]);
      const tt = (await trustToken(w, w.users.fourth!, terminal.id)).id;
      assert.equal(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: tt, body: { trust: { ...child, trustor_user_id: w.users.fourth } } }), 404).message,
        `Could not find role: ${w.roles.member}.`);
      // From a trust that may not be redelegated.
      const fixed = await createTrust(w, tor, { ...base(), impersonation: true, expires_at: '2040-01-02T00:00:00Z' });
      const ft = (await trustToken(w, w.users.tee!, fixed.id)).id;
      assert.equal(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: ft, body: { trust: child } }), 403).message, GENERIC_403);

      assert.equal((await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${parent.id}`, { token: tor })).status, 204);
      for (const id of [parent.id, c1.id, grandchild.id, terminal.id]) {
        assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${id}`, { token: w.admin }), 404).message, `Could not find trust: ${id}.`);
      }
      assert.equal(keystoneError(await validate(w, ct), 404).message, `Could not find trust: ${c1.id}.`);
    });

    test('deleting a user deletes their trusts, as trustor or trustee; deleting a project deletes the trusts on it', async () => {
      const user = await call(w.base, 'POST', '/v3/users', { token: w.admin, body: { user: { name: `gone-${Date.now()}`, domain_id: 'default', password: PW } } });
      const gone = user.body.user.id;
      const asTrustee = await createTrust(w, tor, { ...base(), trustee_user_id: gone });
      const token = (await trustToken(w, gone, asTrustee.id)).id;
      assert.equal((await call(w.base, 'DELETE', `/v3/users/${gone}`, { token: w.admin })).status, 204);
      assert.equal((await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${asTrustee.id}`, { token: w.admin })).status, 404);
      assert.equal((await validate(w, token)).status, 404);

      const proj = await call(w.base, 'POST', '/v3/projects', { token: w.admin, body: { project: { name: `doomed-${Date.now()}`, domain_id: 'default' } } });
      const doomed = proj.body.project.id;
      assert.equal((await call(w.base, 'PUT', `/v3/projects/${doomed}/users/${w.users.tee}/roles/${w.roles.member}`, { token: w.admin })).status, 204);
      const teeOnDoomed = await passwordToken(w, 'tee', { project: { id: doomed } });
      const onProject = await createTrust(w, teeOnDoomed, { trustor_user_id: w.users.tee, trustee_user_id: w.users.third, project_id: doomed, impersonation: false, roles: [{ name: 'reader' }] });
      const asTrustor = await createTrust(w, teeOnDoomed, { trustor_user_id: w.users.tee, trustee_user_id: w.users.fourth, project_id: doomed, impersonation: true, roles: [{ name: 'member' }] });
      assert.equal((await call(w.base, 'PATCH', `/v3/projects/${doomed}`, { token: w.admin, body: { project: { enabled: false } } })).status, 200);
      assert.equal((await call(w.base, 'DELETE', `/v3/projects/${doomed}`, { token: w.admin })).status, 204);
      for (const id of [onProject.id, asTrustor.id]) assert.equal((await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${id}`, { token: w.admin })).status, 404);

      const third = await call(w.base, 'POST', '/v3/users', { token: w.admin, body: { user: { name: `trustor-${Date.now()}`, domain_id: 'default', password: PW } } });
      const thirdId = third.body.user.id;
      assert.equal((await call(w.base, 'PUT', `/v3/projects/${w.p}/users/${thirdId}/roles/${w.roles.member}`, { token: w.admin })).status, 204);
      const thirdToken = (await issue(w.base, passwordAuth({ id: thirdId }, PW, { project: { id: w.p } }))).id;
      const byTrustor = await createTrust(w, thirdToken, { trustor_user_id: thirdId, trustee_user_id: w.users.tee, project_id: w.p, impersonation: false, roles: [{ name: 'member' }] });
      assert.equal((await call(w.base, 'DELETE', `/v3/users/${thirdId}`, { token: w.admin })).status, 204);
      assert.equal((await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${byTrustor.id}`, { token: w.admin })).status, 404);
      const left = (await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustee_user_id=${w.users.tee}`, { token: w.admin })).body.trusts;
      assert.ok(!left.some((x: any) => x.id === byTrustor.id));
    });

    test('delegated tokens: no credential access (Keystone 22), no trust management from an application credential unless cleared', async () => {
      const t = await createTrust(w, tor, { ...base(), impersonation: true });
      const tt = (await trustToken(w, w.users.tee!, t.id)).id;
      const DELEGATED = 'You are not authorized to perform the requested action: Delegated tokens cannot access credentials directly.';
      assert.equal(keystoneError(await call(w.base, 'POST', `/v3/users/${w.users.tor}/credentials/OS-EC2`, { token: tt, body: { tenant_id: w.p } }), 403).message, DELEGATED);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/users/${w.users.tor}/credentials/OS-EC2`, { token: tt }), 403).message, DELEGATED);
      const blob = JSON.stringify({ access: `trust-ak-${Date.now()}`, secret: 'trust-sk' });
      assert.equal(keystoneError(await call(w.base, 'POST', '/v3/credentials', { token: tt, body: { credential: { type: 'ec2', user_id: w.users.tor, project_id: w.p, blob } } }), 403).message, DELEGATED);
      const own = await call(w.base, 'POST', '/v3/credentials', { token: tor, body: { credential: { type: 'ec2', user_id: w.users.tor, project_id: w.p, blob } } });
      assert.equal(own.status, 201, own.text);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/credentials/${own.body.credential.id}`, { token: tt }), 403).message, DELEGATED);
      assert.deepEqual((await call(w.base, 'GET', '/v3/credentials', { token: tt })).body.credentials, []);

      // A token issued from an application credential (even an unrestricted one) may not touch trusts.
      const ac = await call(w.base, 'POST', `/v3/users/${w.users.tor}/application_credentials`, { token: tor, body: { application_credential: { name: `trusts-${Date.now()}`, unrestricted: true } } });
      assert.equal(ac.status, 201, ac.text);
      const acLogin = await call(w.base, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: ac.body.application_credential.id, secret: ac.body.application_credential.secret } } } },
      });
      assert.equal(acLogin.status, 201, acLogin.text);
      const appCredToken = acLogin.headers.get('x-subject-token')!;
      const appCredId = ac.body.application_credential.id as string;
      const DELEGATED_TRUSTS = 'You are not authorized to perform the requested action: Delegated tokens cannot manage trusts.';
      assert.equal(keystoneError(await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: appCredToken, body: { trust: base() } }), 403).message, DELEGATED_TRUSTS);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts?trustor_user_id=${w.users.tor}`, { token: appCredToken }), 403).message, DELEGATED_TRUSTS);
      assert.equal(keystoneError(await call(w.base, 'GET', `/v3/OS-TRUST/trusts/${t.id}`, { token: appCredToken }), 403).message, DELEGATED_TRUSTS);
      assert.equal(keystoneError(await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${t.id}`, { token: appCredToken }), 403).message, DELEGATED_TRUSTS);
      // The binding the application credential module provides decides; cleared, the same token may.
      const restriction = w.h.get(AppCredRestriction);
      const seen: string[] = [];
      restriction.mayManageTrusts = (p) => {
        seen.push(p.claims.appCredId);
        return true;
      };
      try {
        const r = await call(w.base, 'POST', '/v3/OS-TRUST/trusts', { token: appCredToken, body: { trust: { ...base(), expires_at: '2035-06-06T06:06:06Z' } } });
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(seen, [appCredId]);
      } finally {
        restriction.mayManageTrusts = AppCredRestriction.prototype.mayManageTrusts;
      }
    });

    test('SODA access keys follow the trust\'s roles: a reader-only trust cannot create them, the trustor can', async () => {
      const soda = (token: string) => call(w.h.multicloudUrl, 'POST', `/v1/${w.p}/aksks`, { token, body: { credential: { project_id: w.p, user_id: w.users.tor } } });
      const reader = await createTrust(w, tor, { ...base(), impersonation: true, roles: [{ name: 'reader' }] });
      const rt = await trustToken(w, w.users.tee!, reader.id);
      assert.deepEqual(sortIds(rt.body.token.roles), [w.roles.reader]);
      const refused = await soda(rt.id);
      assert.equal(refused.status, 403, refused.text);
      const own = await soda(tor);
      assert.equal(own.status, 200, own.text);
      // A member trust lets the trustee act for the trustor, whose keys they then are.
      const member = await createTrust(w, tor, { ...base(), impersonation: true, expires_at: '2036-01-01T00:00:00Z' });
      const mt = (await trustToken(w, w.users.tee!, member.id)).id;
      const made = await soda(mt);
      assert.equal(made.status, 200, made.text);
      const listed = await call(w.h.multicloudUrl, 'GET', `/v1/${w.p}/aksks/${w.users.tor}`, { token: rt.id });
      assert.equal(listed.status, 200, listed.text);
      assert.ok(listed.body.some((k: any) => k.blob.access_key === made.body.access_key));
    });
  });

  describe(`trust-bound EC2 credentials with LINTEL_TRUST_EC2_CREDENTIALS (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_TRUST_EC2_CREDENTIALS: 'true' });

    test('a trust-scoped token makes ec2 credentials of its project that give trust-scoped tokens until the trust goes', async () => {
      const w = await setUp(ctx.h);
      const tor = await passwordToken(w, 'tor', { project: { id: w.p } });
      const trust = async (impersonation: boolean) => createTrust(w, tor, {
        trustor_user_id: w.users.tor, trustee_user_id: w.users.tee, project_id: w.p, impersonation, roles: [{ name: 'member' }],
      });
      const imp = await trust(true);
      const it = (await trustToken(w, w.users.tee!, imp.id)).id;
      // OS-EC2 under an impersonating trust: the key is the trustor's and records the trust.
      const made = await call(w.base, 'POST', `/v3/users/${w.users.tor}/credentials/OS-EC2`, { token: it, body: { tenant_id: w.p } });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.body.credential.trust_id, imp.id);
      assert.equal(made.body.credential.user_id, w.users.tor);
      const viaEc2 = await ec2tokens(w.base, w.admin, made.body.credential.access, made.body.credential.secret);
      assert.equal(viaEc2.status, 200, viaEc2.text);
      const token = viaEc2.body.token;
      assert.deepEqual(token.methods, ['ec2credential']);
      assert.deepEqual(token['OS-TRUST:trust'], { id: imp.id, trustor_user: { id: w.users.tor }, trustee_user: { id: w.users.tee }, impersonation: true });
      assert.equal(token.user.id, w.users.tor);
      assert.equal(token.project.id, w.p);
      assert.deepEqual(sortIds(token.roles), [w.roles.member, w.roles.reader].sort());

      // /v3/credentials under a plain trust: the trustee's key, with trust_id in its blob.
      const plain = await trust(false);
      const pt = (await trustToken(w, w.users.tee!, plain.id)).id;
      const access = `trust-ak-${Date.now()}`;
      const created = await call(w.base, 'POST', '/v3/credentials', { token: pt, body: { credential: { type: 'ec2', user_id: w.users.tee, project_id: w.p, blob: JSON.stringify({ access, secret: 'trust-sk-1' }) } } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(JSON.parse(created.body.credential.blob), { access, secret: 'trust-sk-1', trust_id: plain.id });
      const other = await call(w.base, 'POST', '/v3/credentials', { token: pt, body: { credential: { type: 'ec2', user_id: w.users.tee, project_id: w.q, blob: JSON.stringify({ access: `${access}-q`, secret: 's' }) } } });
      assert.equal(keystoneError(other, 403).message, 'You are not authorized to perform the requested action: Credential project does not match the project scope of the delegated token.');
      // The cloud dialects that sign with access keys cannot honour a trust: they refuse the key.
      const outscale = (ak: string, sk: string) => {
        const host = new URL(w.h.multicloudUrl).host;
        const signed = aws4.sign({ host, path: '/api/v1/ReadAccessKeys', method: 'POST', body: '{}', service: 'api', region: 'eu-west-2', headers: { 'Content-Type': 'application/json' } }, { accessKeyId: ak, secretAccessKey: sk });
        const headers = Object.fromEntries(Object.entries(signed.headers ?? {}).filter(([k]) => !/^(host|content-length)$/i.test(k)).map(([k, v]) => [k, String(v)]));
        return fetch(`${w.h.multicloudUrl}/api/v1/ReadAccessKeys`, { method: 'POST', headers, body: '{}' });
      };
      const refused = await outscale(access, 'trust-sk-1');
      assert.equal(refused.status, 401);
      assert.equal(((await refused.json()) as { Errors: { Code: string }[] }).Errors[0]!.Code, '1', 'an authentication failure');
      const ownAccess = `own-ak-${Date.now()}`;
      assert.equal((await call(w.base, 'POST', '/v3/credentials', { token: tor, body: { credential: { type: 'ec2', user_id: w.users.tor, project_id: w.p, blob: JSON.stringify({ access: ownAccess, secret: 'own-sk-1' }) } } })).status, 201);
      // The trustor's own key signs in (what it may then do is its owner's roles' business: docs/access-keys.md).
      const own = await outscale(ownAccess, 'own-sk-1');
      if (own.status !== 200) assert.notEqual(((await own.json()) as { Errors: { Code: string }[] }).Errors[0]!.Code, '1', 'not an authentication failure');
      const ec2Plain = await ec2tokens(w.base, w.admin, access, 'trust-sk-1');
      assert.equal(ec2Plain.status, 200, ec2Plain.text);
      assert.equal(ec2Plain.body.token.user.id, w.users.tee);
      assert.equal(ec2Plain.body.token['OS-TRUST:trust'].id, plain.id);
      // The trust goes: so does what the key gives.
      assert.equal((await call(w.base, 'DELETE', `/v3/OS-TRUST/trusts/${plain.id}`, { token: tor })).status, 204);
      const after = await eventually(() => ec2tokens(w.base, w.admin, access, 'trust-sk-1'), (r) => r.status !== 200);
      assert.equal(keystoneError(after, 404).message, `Could not find trust: ${plain.id}.`);
      assert.equal(keystoneError(await validate(w, ec2Plain.headers.get('x-subject-token')!), 404).message, `Could not find trust: ${plain.id}.`);
    });
  });
}
