import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { eventually } from '../helpers/wait.js';

/** Roles, implied roles, groups, grants and role assignments over HTTP. */
for (const kind of databaseKinds()) {
  describe(`Keystone roles, groups, grants, role_assignments (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_REVOCATION_REFRESH_MS: '100' });
    let h: Harness;
    let base: string;
    let admin: string;
    const ids: Record<string, string> = {};
    const post = async (path: string, body: unknown) => {
      const r = await call(base, 'POST', path, { token: admin, body });
      assert.equal(r.status, 201, `${path}: ${r.text}`);
      return r.body;
    };

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      ids.project = (await post('/v3/projects', { project: { name: 'grants-p' } })).project.id;
      ids.user = (await post('/v3/users', { user: { name: 'jo', password: 'jo-password-1' } })).user.id;
      ids.group = (await post('/v3/groups', { group: { name: 'ops', description: 'operators' } })).group.id;
      ids.auditor = (await post('/v3/roles', { role: { name: 'auditor' } })).role.id;
      ids.reader = (await call(base, 'GET', '/v3/roles?name=reader', { token: admin })).body.roles[0].id;
      ids.member = (await call(base, 'GET', '/v3/roles?name=member', { token: admin })).body.roles[0].id;
    });

    test('roles: bodies, duplicates, implied roles', async () => {
      const r = await call(base, 'GET', `/v3/roles/${ids.auditor}`, { token: admin });
      assert.deepEqual(Object.keys(r.body.role).sort(), ['description', 'domain_id', 'id', 'links', 'name', 'options']);
      assert.equal(r.body.role.domain_id, null);
      keystoneError(await call(base, 'POST', '/v3/roles', { token: admin, body: { role: { name: 'auditor' } } }), 409);
      const inf = await call(base, 'PUT', `/v3/roles/${ids.auditor}/implies/${ids.reader}`, { token: admin });
      assert.equal(inf.status, 201, inf.text);
      assert.equal(inf.body.role_inference.implies.id, ids.reader);
      assert.equal((await call(base, 'GET', `/v3/roles/${ids.auditor}/implies/${ids.reader}`, { token: admin })).status, 200);
      const all = await call(base, 'GET', '/v3/role_inferences', { token: admin });
      assert.ok(all.body.role_inferences.some((x: any) => x.prior_role.name === 'admin'));
      keystoneError(await call(base, 'PUT', `/v3/roles/${ids.auditor}/implies/nope`, { token: admin }), 404);
    });

    test('grants: PUT 204 idempotent, GET/HEAD 204 or 404, list, 404 for unknown role, actor, target', async () => {
      const path = `/v3/projects/${ids.project}/users/${ids.user}/roles/${ids.member}`;
      keystoneError(await call(base, 'GET', path, { token: admin }), 404);
      assert.equal((await call(base, 'PUT', path, { token: admin })).status, 204);
      assert.equal((await call(base, 'PUT', path, { token: admin })).status, 204);
      assert.equal((await call(base, 'GET', path, { token: admin })).status, 204);
      assert.equal((await call(base, 'HEAD', path, { token: admin })).status, 204);
      const list = await call(base, 'GET', `/v3/projects/${ids.project}/users/${ids.user}/roles`, { token: admin });
      assert.deepEqual(list.body.roles.map((x: any) => x.name), ['member']);
      assert.equal(keystoneError(await call(base, 'PUT', `/v3/projects/${ids.project}/users/${ids.user}/roles/nope`, { token: admin }), 404).message, 'Could not find role: nope.');
      assert.equal(keystoneError(await call(base, 'PUT', `/v3/projects/${ids.project}/users/nope/roles/${ids.member}`, { token: admin }), 404).message, 'Could not find user: nope.');
      assert.equal(keystoneError(await call(base, 'PUT', `/v3/projects/nope/users/${ids.user}/roles/${ids.member}`, { token: admin }), 404).message, 'Could not find project: nope.');
      const jo = (await issue(base, passwordAuth({ name: 'jo' }, 'jo-password-1', { project: { id: ids.project } }))).id;
      keystoneError(await call(base, 'PUT', `/v3/system/users/${ids.user}/roles/${ids.member}`, { token: jo }), 403);
    });

    test('a group\'s grant reaches its members\' tokens; leaving the group takes it away', async () => {
      assert.equal((await call(base, 'PUT', `/v3/groups/${ids.group}/users/${ids.user}`, { token: admin })).status, 204);
      assert.equal((await call(base, 'HEAD', `/v3/groups/${ids.group}/users/${ids.user}`, { token: admin })).status, 204);
      assert.deepEqual((await call(base, 'GET', `/v3/users/${ids.user}/groups`, { token: admin })).body.groups.map((g: any) => g.name), ['ops']);
      assert.equal((await call(base, 'PUT', `/v3/projects/${ids.project}/groups/${ids.group}/roles/${ids.auditor}`, { token: admin })).status, 204);
      const t = await issue(base, passwordAuth({ name: 'jo' }, 'jo-password-1', { project: { id: ids.project } }));
      assert.deepEqual(t.body.token.roles.map((r: any) => r.name), ['auditor', 'member', 'reader']);
      assert.equal((await call(base, 'DELETE', `/v3/groups/${ids.group}/users/${ids.user}`, { token: admin })).status, 204);
      const left = await eventually(() => call(base, 'GET', '/v3/auth/tokens', { token: admin, subject: t.id }), (r) => r.status !== 200);
      assert.equal(left.status, 404, 'leaving the group revokes');
      const again = await issue(base, passwordAuth({ name: 'jo' }, 'jo-password-1', { project: { id: ids.project } }));
      assert.deepEqual(again.body.token.roles.map((r: any) => r.name), ['member', 'reader']);
      keystoneError(await call(base, 'DELETE', `/v3/groups/${ids.group}/users/${ids.user}`, { token: admin }), 404);
    });

    test('role_assignments: filters, effective expansion with links, names, and Keystone\'s 400s', async () => {
      await call(base, 'PUT', `/v3/groups/${ids.group}/users/${ids.user}`, { token: admin });
      const direct = await call(base, 'GET', `/v3/role_assignments?scope.project.id=${ids.project}`, { token: admin });
      assert.equal(direct.status, 200);
      const shapes = direct.body.role_assignments.map((a: any) => `${a.role.id === ids.member ? 'member' : 'auditor'}:${a.user ? 'user' : 'group'}`).sort();
      assert.deepEqual(shapes, ['auditor:group', 'member:user']);
      const eff = await call(base, 'GET', `/v3/role_assignments?effective&include_names&user.id=${ids.user}`, { token: admin });
      const lines = eff.body.role_assignments.map((a: any) => `${a.role.name}@${a.scope.project.name}${a.links.membership ? ' via group' : ''}${a.links.prior_role ? ' implied' : ''}`).sort();
      assert.deepEqual(lines, ['auditor@grants-p via group', 'member@grants-p', 'reader@grants-p implied', 'reader@grants-p via group implied']);
      const viaGroup = eff.body.role_assignments.find((a: any) => a.links.membership && !a.links.prior_role);
      assert.equal(viaGroup.links.assignment, `${base}/v3/projects/${ids.project}/groups/${ids.group}/roles/${ids.auditor}`);
      assert.equal(viaGroup.user.name, 'jo');
      assert.deepEqual(viaGroup.user.domain, { id: 'default', name: 'Default' });
      assert.ok(eff.body.role_assignments.every((a: any) => !a.group), 'effective lists no group entries');
      const bad: Array<[string, RegExp]> = [
        [`scope.project.id=${ids.project}&scope.domain.id=default`, /Specify a domain or project, not both/],
        [`user.id=${ids.user}&group.id=${ids.group}`, /Specify a user or group, not both/],
        [`effective&group.id=${ids.group}`, /Combining effective and group filter will always result in an empty list/],
        ['include_subtree', /include_subtree/],
      ];
      for (const [q, m] of bad) assert.match(keystoneError(await call(base, 'GET', `/v3/role_assignments?${q}`, { token: admin }), 400).message, m);
    });

    test('deleting a role removes its grants; tokens that carried it lose it at once', async () => {
      const t = await issue(base, passwordAuth({ name: 'jo' }, 'jo-password-1', { project: { id: ids.project } }));
      assert.ok(t.body.token.roles.some((r: any) => r.name === 'auditor'));
      assert.equal((await call(base, 'DELETE', `/v3/roles/${ids.auditor}`, { token: admin })).status, 204);
      // As in Keystone, roles are recomputed at validation: the token lives on without the role.
      const v = await eventually(() => call(base, 'GET', '/v3/auth/tokens', { token: admin, subject: t.id }), (r) => r.status !== 200 || !r.body.token.roles.some((x: any) => x.name === 'auditor'));
      assert.equal(v.status, 200);
      assert.ok(!v.body.token.roles.some((r: any) => r.name === 'auditor'));
      assert.deepEqual((await call(base, 'GET', `/v3/role_assignments?role.id=${ids.auditor}`, { token: admin })).body.role_assignments, []);
    });
  });
}
