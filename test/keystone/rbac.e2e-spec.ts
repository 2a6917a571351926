import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { databaseKinds, type TestDatabase } from '../helpers/databases.js';
import { adminSystemAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { startIdentity, type Harness } from '../helpers/lintel.js';

const PW = 'persona-password-1';

/**
 * Keystone's default personas (system admin and reader, domain admin and reader, project admin
 * and member) against the admin API, as a matrix of persona x route x status; and nobody
 * escalates out of their domain or onto the system.
 */
for (const kind of databaseKinds()) {
  describe(`RBAC personas (${kind.kind})`, () => {
    let db: TestDatabase;
    let h: Harness;
    let base: string;
    const t: Record<string, string> = {};
    const id: Record<string, string> = {};

    before(async () => {
      db = await kind.create();
      h = await startIdentity(db);
      base = h.url;
      t.sysadmin = (await issue(base, adminSystemAuth())).id;
      const mk = async (path: string, body: unknown) => {
        const r = await call(base, 'POST', path, { token: t.sysadmin, body });
        assert.equal(r.status, 201, r.text);
        return Object.values(r.body)[0] as { id: string };
      };
      id.d1 = (await mk('/v3/domains', { domain: { name: 'd1' } })).id;
      id.d2 = (await mk('/v3/domains', { domain: { name: 'd2' } })).id;
      id.p1 = (await mk('/v3/projects', { project: { name: 'p1', domain_id: id.d1 } })).id;
      id.p2 = (await mk('/v3/projects', { project: { name: 'p2', domain_id: id.d2 } })).id;
      const roles = (await call(base, 'GET', '/v3/roles', { token: t.sysadmin })).body.roles as Array<{ id: string; name: string }>;
      for (const r of roles) id[`role_${r.name}`] = r.id;
      const personas: Array<[string, string, string, string]> = [
        ['sysreader', 'default', 'system', 'reader'], ['domadmin', id.d1!, 'domain', 'admin'], ['domreader', id.d1!, 'domain', 'reader'],
        ['projadmin', id.d1!, 'project', 'admin'], ['member', id.d1!, 'project', 'member'], ['d2admin', id.d2!, 'domain', 'admin'],
      ];
      for (const [name, domain, scope, role] of personas) {
        id[name] = (await mk('/v3/users', { user: { name, domain_id: domain, password: PW } })).id;
        const grantPath = scope === 'system' ? `/v3/system/users/${id[name]}/roles/${id[`role_${role}`]}`
          : scope === 'domain' ? `/v3/domains/${domain}/users/${id[name]}/roles/${id[`role_${role}`]}`
          : `/v3/projects/${id.p1}/users/${id[name]}/roles/${id[`role_${role}`]}`;
        assert.equal((await call(base, 'PUT', grantPath, { token: t.sysadmin })).status, 204);
        const scopeBody = scope === 'system' ? { system: { all: true } } : scope === 'domain' ? { domain: { id: domain } } : { project: { id: id.p1 } };
        t[name] = (await issue(base, passwordAuth({ name, domain: { id: domain } }, PW, scopeBody))).id;
      }
      id.u1 = (await mk('/v3/users', { user: { name: 'plain1', domain_id: id.d1 } })).id;
      id.u2 = (await mk('/v3/users', { user: { name: 'plain2', domain_id: id.d2 } })).id;
    });

    after(async () => {
      await h?.close();
      await db?.drop();
    });

    test('persona x route x status', async () => {
      const routes: Array<[string, string, () => string, (() => unknown) | undefined, Record<string, number>]> = [
        ['list users of d1', 'GET', () => `/v3/users?domain_id=${id.d1}`, undefined,
          { sysadmin: 200, sysreader: 200, domadmin: 200, domreader: 200, projadmin: 403, member: 403 }],
        ['read a user of d1', 'GET', () => `/v3/users/${id.u1}`, undefined,
          { sysadmin: 200, sysreader: 200, domadmin: 200, domreader: 200, projadmin: 403, member: 403, d2admin: 403 }],
        ['create a user in d1', 'POST', () => '/v3/users', () => ({ user: { name: `n-${Math.random().toString(36).slice(2)}`, domain_id: id.d1 } }),
          { sysadmin: 201, sysreader: 403, domadmin: 201, domreader: 403, projadmin: 403, member: 403, d2admin: 403 }],
        ['create a project in d1', 'POST', () => '/v3/projects', () => ({ project: { name: `p-${Math.random().toString(36).slice(2)}`, domain_id: id.d1 } }),
          { sysadmin: 201, sysreader: 403, domadmin: 201, domreader: 403, projadmin: 403, member: 403, d2admin: 403 }],
        ['create a domain', 'POST', () => '/v3/domains', () => ({ domain: { name: `d-${Math.random().toString(36).slice(2)}` } }),
          { sysadmin: 201, sysreader: 403, domadmin: 403, domreader: 403, projadmin: 403, member: 403 }],
        ['grant member on p1 to a d1 user', 'PUT', () => `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_member}`, undefined,
          { sysadmin: 204, sysreader: 403, domadmin: 204, domreader: 403, projadmin: 403, member: 403, d2admin: 403 }],
        ['grant member on p1 to a d2 user', 'PUT', () => `/v3/projects/${id.p1}/users/${id.u2}/roles/${id.role_member}`, undefined,
          { sysadmin: 204, domadmin: 403, d2admin: 403 }],
        ['grant admin on the system', 'PUT', () => `/v3/system/users/${id.u1}/roles/${id.role_admin}`, undefined,
          { sysadmin: 204, sysreader: 403, domadmin: 403, domreader: 403, projadmin: 403, member: 403 }],
        ['read p1', 'GET', () => `/v3/projects/${id.p1}`, undefined,
          { sysadmin: 200, sysreader: 200, domadmin: 200, domreader: 200, projadmin: 200, member: 200, d2admin: 403 }],
        ['read p2', 'GET', () => `/v3/projects/${id.p2}`, undefined,
          { sysadmin: 200, sysreader: 200, domadmin: 403, domreader: 403, projadmin: 403, member: 403, d2admin: 200 }],
        // u2 holds a grant in d1 by now (granted above): its own domain admin may no longer take it over
        ['change a d2 user with a grant elsewhere', 'PATCH', () => `/v3/users/${id.u2}`, () => ({ user: { description: 'x' } }),
          { sysadmin: 200, domadmin: 403, d2admin: 403, projadmin: 403 }],
        ['change a d2 user without', 'PATCH', () => `/v3/users/${id.d2admin}`, () => ({ user: { description: 'x' } }),
          { sysadmin: 200, domadmin: 403, d2admin: 200, projadmin: 403 }],
        ['list role assignments', 'GET', () => '/v3/role_assignments', undefined,
          { sysadmin: 200, sysreader: 200, domadmin: 200, domreader: 200, projadmin: 403, member: 403 }],
        ['list credentials of everyone', 'GET', () => '/v3/credentials', undefined,
          { sysadmin: 200, projadmin: 200, member: 200 }],
      ];
      const failures: string[] = [];
      for (const [name, method, path, body, expected] of routes) {
        for (const [persona, status] of Object.entries(expected)) {
          const r = await call(base, method, path(), { token: t[persona], body: body?.() });
          if (r.status !== status) failures.push(`${persona} ${name}: ${r.status}, expected ${status}`);
        }
      }
      assert.deepEqual(failures, []);
    });

    test('a domain reader sees only its domain\'s users, projects and assignments', async () => {
      const users = (await call(base, 'GET', '/v3/users', { token: t.domreader })).body.users as Array<{ domain_id: string }>;
      assert.ok(users.length > 0 && users.every((u) => u.domain_id === id.d1));
      assert.deepEqual((await call(base, 'GET', `/v3/users?domain_id=${id.d2}`, { token: t.domreader })).body.users, []);
      const projects = (await call(base, 'GET', '/v3/projects', { token: t.domreader })).body.projects as Array<{ domain_id: string }>;
      assert.ok(projects.every((p) => p.domain_id === id.d1));
      const ra = (await call(base, 'GET', '/v3/role_assignments', { token: t.domreader })).body.role_assignments as Array<{ scope: any }>;
      assert.ok(ra.length > 0);
      assert.ok(ra.every((a) => a.scope.domain?.id === id.d1 || a.scope.project?.id === id.p1));
    });

    test('no escalation through users, groups or the admin project', async () => {
      const sys = t.sysadmin!;
      // a d1 group holding admin on the system: the d1 admin may not join it, rename or delete it
      const g = (await call(base, 'POST', '/v3/groups', { token: sys, body: { group: { name: 'cloud-ops', domain_id: id.d1 } } })).body.group;
      assert.equal((await call(base, 'PUT', `/v3/system/groups/${g.id}/roles/${id.role_admin}`, { token: sys })).status, 204);
      assert.equal((await call(base, 'PUT', `/v3/groups/${g.id}/users/${id.domadmin}`, { token: t.domadmin })).status, 403);
      assert.equal((await call(base, 'PATCH', `/v3/groups/${g.id}`, { token: t.domadmin, body: { group: { name: 'x' } } })).status, 403);
      assert.equal((await call(base, 'DELETE', `/v3/groups/${g.id}`, { token: t.domadmin })).status, 403);
      // a d1 user with a grant elsewhere cannot be taken over by the d1 admin
      assert.equal((await call(base, 'PUT', `/v3/projects/${id.p2}/users/${id.u1}/roles/${id.role_member}`, { token: sys })).status, 204);
      assert.equal((await call(base, 'PATCH', `/v3/users/${id.u1}`, { token: t.domadmin, body: { user: { password: 'taken-over-1' } } })).status, 403);
      assert.equal((await call(base, 'DELETE', `/v3/users/${id.u1}`, { token: t.domadmin })).status, 403);
      // the admin of the Default domain is not a cloud admin: the admin project and user are out of reach
      const defAdmin = (await call(base, 'POST', '/v3/users', { token: sys, body: { user: { name: 'defadmin', password: PW } } })).body.user;
      assert.equal((await call(base, 'PUT', `/v3/domains/default/users/${defAdmin.id}/roles/${id.role_admin}`, { token: sys })).status, 204);
      const da = (await issue(base, passwordAuth({ name: 'defadmin' }, PW, { domain: { id: 'default' } }))).id;
      const adminProject = (await call(base, 'GET', '/v3/projects?name=admin', { token: sys })).body.projects[0].id;
      assert.equal((await call(base, 'PUT', `/v3/projects/${adminProject}/users/${defAdmin.id}/roles/${id.role_admin}`, { token: da })).status, 403);
      assert.equal((await call(base, 'PATCH', `/v3/users/${h.adminUserId}`, { token: da, body: { user: { password: 'stolen-pw-1' } } })).status, 403);
      assert.equal((await call(base, 'PATCH', `/v3/projects/${adminProject}`, { token: da, body: { project: { name: 'renamed' } } })).status, 403);
      assert.equal((await call(base, 'POST', '/v3/domains', { token: da, body: { domain: { name: 'nope-domain' } } })).status, 403);
      // the roles every policy names cannot be renamed or deleted, even by a cloud admin
      assert.equal((await call(base, 'PATCH', `/v3/roles/${id.role_admin}`, { token: sys, body: { role: { name: 'notadmin' } } })).status, 403);
      assert.equal((await call(base, 'DELETE', `/v3/roles/${id.role_reader}`, { token: sys })).status, 403);
    });

    test('a project admin outside the admin project is not a cloud admin', async () => {
      const creds = (await call(base, 'GET', '/v3/credentials', { token: t.projadmin })).body.credentials as Array<{ user_id: string }>;
      assert.ok(creds.every((c) => c.user_id === id.projadmin));
      assert.equal((await call(base, 'GET', '/v3/auth/tokens', { token: t.projadmin, subject: t.member })).status, 403);
    });
  });
}
