import assert from 'node:assert/strict';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { PolicyFacts, PolicyService, TokenService } from '@lintel/auth';
import { AssignmentService, GroupService, IdentityService, ResourceService } from '@lintel/domain';
import type { PolicyInput } from '@lintel/policy';
import { domainTarget, groupTarget, projectTarget, roleTarget, userTarget } from '../../apps/identity/src/targets.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, adminSystemAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

const PW = 'persona-password-1';
const STRICT = resolve(dirname(fileURLToPath(import.meta.url)), '../../../deploy/policy/strict.yaml');
const rnd = () => Math.random().toString(36).slice(2, 10);

type Persona = 'sysadmin' | 'sysreader' | 'cloudadmin' | 'domadmin' | 'manager' | 'domreader' | 'projadmin' | 'member' | 'reader' | 'd2manager';
const PERSONAS: Persona[] = ['sysadmin', 'sysreader', 'cloudadmin', 'domadmin', 'manager', 'domreader', 'projadmin', 'member', 'reader', 'd2manager'];

/** A route of the matrix: the request, the action and target the policy must be asked with, the status when allowed. */
interface Route {
  name: string;
  method: string;
  path: () => string;
  body?: () => unknown;
  action: string;
  input: () => Promise<PolicyInput>;
  ok: number;
}

/**
 * Who may do what, as a matrix of persona x route x status computed by the policy engine (for
 * Keystone's default rules and for the strict posture of deploy/policy/strict.yaml), checked
 * against what the HTTP API answers: every route must ask the engine with Keystone's action and
 * the target read from the database. Anchors hand-written from Keystone's rules keep the engine
 * honest; escalation attempts show that in the strict posture nobody below cloud admin gets there.
 */
for (const kind of databaseKinds()) {
  for (const posture of ['default', 'strict'] as const) {
    describe(`RBAC personas, ${posture} posture (${kind.kind})`, () => {
      const ctx = useLintel(kind, posture === 'strict' ? { LINTEL_POLICY_FILE: STRICT } : {});
      let h: Harness;
      let base: string;
      const t = {} as Record<Persona, string>;
      const id: Record<string, string> = {};
      const identity = () => h.get(IdentityService);
      const resources = () => h.get(ResourceService);
      const groups = () => h.get(GroupService);

      before(async () => {
        h = ctx.h;
        base = h.url;
        t.sysadmin = (await issue(base, adminSystemAuth())).id;
        t.cloudadmin = (await issue(base, adminProjectAuth())).id;
        const mk = async (path: string, body: unknown) => {
          const r = await call(base, 'POST', path, { token: t.sysadmin, body });
          assert.equal(r.status, 201, r.text);
          return Object.values(r.body)[0] as { id: string };
        };
        id.d1 = (await mk('/v3/domains', { domain: { name: 'd1' } })).id;
        id.d2 = (await mk('/v3/domains', { domain: { name: 'd2' } })).id;
        id.p1 = (await mk('/v3/projects', { project: { name: 'p1', domain_id: id.d1 } })).id;
        id.p2 = (await mk('/v3/projects', { project: { name: 'p2', domain_id: id.d2 } })).id;
        id.g1 = (await mk('/v3/groups', { group: { name: 'g1', domain_id: id.d1 } })).id;
        const roles = (await call(base, 'GET', '/v3/roles', { token: t.sysadmin })).body.roles as Array<{ id: string; name: string }>;
        for (const r of roles) id[`role_${r.name}`] = r.id;
        const personas: Array<[Persona, string, 'system' | 'domain' | 'project', string]> = [
          ['sysreader', 'default', 'system', 'reader'], ['domadmin', id.d1!, 'domain', 'admin'], ['manager', id.d1!, 'domain', 'manager'],
          ['domreader', id.d1!, 'domain', 'reader'], ['projadmin', id.d1!, 'project', 'admin'], ['member', id.d1!, 'project', 'member'],
          ['reader', id.d1!, 'project', 'reader'], ['d2manager', id.d2!, 'domain', 'manager'],
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
        // wide1: a d1 user who also holds a role in d2 (not confined to its domain)
        id.wide1 = (await mk('/v3/users', { user: { name: 'wide1', domain_id: id.d1 } })).id;
        assert.equal((await call(base, 'PUT', `/v3/projects/${id.p2}/users/${id.wide1}/roles/${id.role_member}`, { token: t.sysadmin })).status, 204);
      });

      const userT = async (uid: string) => ({ user: userTarget((await identity().getUser(uid))!) });
      /** The facts a rule reads, computed now (the matrix itself changes who holds what). */
      const facts = async (action: string, about: Parameters<PolicyFacts['forAction']>[1]) => (await h.get(PolicyFacts).forAction(action, about)) ?? {};
      const routes = (): Route[] => [
        { name: 'list users of d1', method: 'GET', path: () => `/v3/users?domain_id=${id.d1}`, action: 'identity:list_users', ok: 200, input: async () => ({}) },
        { name: 'read a user of d1', method: 'GET', path: () => `/v3/users/${id.u1}`, action: 'identity:get_user', ok: 200, input: async () => ({ target: await userT(id.u1!) }) },
        {
          name: 'create a user in d1', method: 'POST', path: () => '/v3/users', body: () => ({ user: { name: `n-${rnd()}`, domain_id: id.d1 } }),
          action: 'identity:create_user', ok: 201, input: async () => ({ target: { user: { name: 'n', domain_id: id.d1 }, lintel: { name_shadows_login: false } } }),
        },
        {
          name: 'create a user in d2', method: 'POST', path: () => '/v3/users', body: () => ({ user: { name: `n-${rnd()}`, domain_id: id.d2 } }),
          action: 'identity:create_user', ok: 201, input: async () => ({ target: { user: { name: 'n', domain_id: id.d2 }, lintel: { name_shadows_login: false } } }),
        },
        {
          name: 'change a confined d1 user', method: 'PATCH', path: () => `/v3/users/${id.u1}`, body: () => ({ user: { description: rnd() } }),
          action: 'identity:update_user', ok: 200, input: async () => ({ target: { ...(await userT(id.u1!)), ...(await facts('identity:update_user', { user: await identity().getUser(id.u1!), userName: { name: 'plain1', domainId: id.d1! } })) } }),
        },
        {
          name: 'change a d1 user holding a role in d2', method: 'PATCH', path: () => `/v3/users/${id.wide1}`, body: () => ({ user: { description: rnd() } }),
          action: 'identity:update_user', ok: 200, input: async () => ({ target: { ...(await userT(id.wide1!)), ...(await facts('identity:update_user', { user: await identity().getUser(id.wide1!), userName: { name: 'wide1', domainId: id.d1! } })) } }),
        },
        {
          name: 'create a project in d1', method: 'POST', path: () => '/v3/projects', body: () => ({ project: { name: `p-${rnd()}`, domain_id: id.d1 } }),
          action: 'identity:create_project', ok: 201, input: async () => ({ target: { project: { name: 'p', domain_id: id.d1 }, lintel: { project_is_admin_project: false } } }),
        },
        { name: 'read p1', method: 'GET', path: () => `/v3/projects/${id.p1}`, action: 'identity:get_project', ok: 200, input: async () => ({ target: { project: projectTarget((await resources().getProject(id.p1!))!) } }) },
        { name: 'read p2', method: 'GET', path: () => `/v3/projects/${id.p2}`, action: 'identity:get_project', ok: 200, input: async () => ({ target: { project: projectTarget((await resources().getProject(id.p2!))!) } }) },
        { name: 'list projects', method: 'GET', path: () => '/v3/projects', action: 'identity:list_projects', ok: 200, input: async () => ({}) },
        { name: 'create a domain', method: 'POST', path: () => '/v3/domains', body: () => ({ domain: { name: `d-${rnd()}` } }), action: 'identity:create_domain', ok: 201, input: async () => ({}) },
        { name: 'read d1', method: 'GET', path: () => `/v3/domains/${id.d1}`, action: 'identity:get_domain', ok: 200, input: async () => ({ target: { domain: domainTarget((await resources().getDomain(id.d1!))!) } }) },
        {
          name: 'grant member on p1 to a d1 user', method: 'PUT', path: () => `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_member}`, action: 'identity:create_grant', ok: 204,
          input: async () => ({ target: { role: roleTarget(await roleOf('member')), ...(await userT(id.u1!)), project: projectTarget((await resources().getProject(id.p1!))!), lintel: { project_is_admin_project: false } } }),
        },
        {
          name: 'grant admin on p1 to a d1 user', method: 'PUT', path: () => `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_admin}`, action: 'identity:create_grant', ok: 204,
          input: async () => ({ target: { role: roleTarget(await roleOf('admin')), ...(await userT(id.u1!)), project: projectTarget((await resources().getProject(id.p1!))!), lintel: { project_is_admin_project: false } } }),
        },
        {
          name: 'grant service on d1 to a d1 user', method: 'PUT', path: () => `/v3/domains/${id.d1}/users/${id.u1}/roles/${id.role_service}`, action: 'identity:create_grant', ok: 204,
          input: async () => ({ target: { role: roleTarget(await roleOf('service')), ...(await userT(id.u1!)), domain: domainTarget((await resources().getDomain(id.d1!))!) } }),
        },
        {
          name: 'grant member on p1 to a d2 user', method: 'PUT', path: () => `/v3/projects/${id.p1}/users/${id.u2}/roles/${id.role_member}`, action: 'identity:create_grant', ok: 204,
          input: async () => ({ target: { role: roleTarget(await roleOf('member')), ...(await userT(id.u2!)), project: projectTarget((await resources().getProject(id.p1!))!), lintel: { project_is_admin_project: false } } }),
        },
        { name: 'grant admin on the system', method: 'PUT', path: () => `/v3/system/users/${id.u1}/roles/${id.role_admin}`, action: 'identity:create_system_grant_for_user', ok: 204, input: async () => ({ target: { role: roleTarget(await roleOf('admin')), ...(await userT(id.u1!)) } }) },
        {
          name: 'add a confined d1 user to g1', method: 'PUT', path: () => `/v3/groups/${id.g1}/users/${id.u1}`, action: 'identity:add_user_to_group', ok: 204,
          input: async () => ({ target: { group: groupTarget((await groups().get(id.g1!))!), ...(await userT(id.u1!)), ...(await facts('identity:add_user_to_group', { group: await groups().get(id.g1!), user: await identity().getUser(id.u1!) })) } }),
        },
        { name: 'list groups', method: 'GET', path: () => '/v3/groups', action: 'identity:list_groups', ok: 200, input: async () => ({}) },
        { name: 'list role assignments', method: 'GET', path: () => '/v3/role_assignments', action: 'identity:list_role_assignments', ok: 200, input: async () => ({}) },
        { name: 'list roles', method: 'GET', path: () => '/v3/roles', action: 'identity:list_roles', ok: 200, input: async () => ({}) },
        { name: 'create a role', method: 'POST', path: () => '/v3/roles', body: () => ({ role: { name: `r-${rnd()}` } }), action: 'identity:create_role', ok: 201, input: async () => ({}) },
        { name: 'list services', method: 'GET', path: () => '/v3/services', action: 'identity:list_services', ok: 200, input: async () => ({}) },
        { name: 'list regions', method: 'GET', path: () => '/v3/regions', action: 'identity:list_regions', ok: 200, input: async () => ({}) },
        { name: 'list credentials', method: 'GET', path: () => '/v3/credentials', action: 'identity:list_credentials', ok: 200, input: async () => ({ target: {} }) },
        { name: 'read the audit log', method: 'GET', path: () => '/v3/OS-AUDIT/events?limit=1', action: 'lintel:list_audit_events', ok: 200, input: async () => ({}) },
      ];
      const roleOf = async (name: string) => (await h.get(AssignmentService).findGlobalRole(name))!;

      test('persona x route x status follows the policy engine', async () => {
        const policy = h.get(PolicyService);
        const tokens = h.get(TokenService);
        const failures: string[] = [];
        let allowed = 0;
        let refused = 0;
        for (const r of routes()) {
          for (const persona of PERSONAS) {
            const caller = await tokens.authenticate(t[persona]);
            // Targets that depend on the caller (a domain-scoped list) are added as the controllers do.
            const input = await r.input();
            const scoped = caller.scope && 'domain' in caller.scope ? caller.scope.domain : undefined;
            const target = { ...(input.target ?? {}) } as Record<string, unknown>;
            if (scoped && ['identity:list_users', 'identity:list_projects', 'identity:list_role_assignments'].includes(r.action)) target.domain_id = scoped;
            if (scoped && r.action === 'identity:list_groups') target.group = { domain_id: scoped };
            if (r.action === 'identity:list_credentials' && !(caller.scope && 'system' in caller.scope)) target.credential = { user_id: caller.userId };
            const yes = policy.allows(caller, r.action, { ...input, target });
            const expected = yes ? r.ok : 403;
            yes ? allowed++ : refused++;
            const res = await call(base, r.method, r.path(), { token: t[persona], body: r.body?.() });
            if (res.status !== expected) failures.push(`${persona} ${r.name}: ${res.status}, the engine says ${expected}`);
          }
        }
        assert.deepEqual(failures, []);
        assert.ok(allowed > 40 && refused > 40, `allowed ${allowed}, refused ${refused}`);
      });

      /** Cells fixed by Keystone's rules (or the strict file), independent of the engine. */
      test('anchors', async () => {
        const expect = async (persona: Persona, method: string, path: string, status: number, body?: unknown) => {
          const r = await call(base, method, path, { token: t[persona], body });
          assert.equal(r.status, status, `${persona} ${method} ${path}: ${r.text}`);
        };
        const strict = posture === 'strict';
        // Keystone's admin_required is role:admin at any scope; the strict posture keeps it to the system and the admin project.
        await expect('projadmin', 'POST', '/v3/domains', strict ? 403 : 201, { domain: { name: `pa-${rnd()}` } });
        await expect('cloudadmin', 'POST', '/v3/domains', 201, { domain: { name: `ca-${rnd()}` } });
        // create_domain is for system and project scopes only: a domain-scoped admin is refused either way.
        await expect('domadmin', 'POST', '/v3/domains', 403, { domain: { name: `da-${rnd()}` } });
        await expect('projadmin', 'GET', `/v3/users?domain_id=${id.d2}`, strict ? 403 : 200);
        // The domain manager: users, projects and grants of its own domain only, and never admin or service.
        await expect('manager', 'POST', '/v3/users', 201, { user: { name: `m-${rnd()}`, domain_id: id.d1 } });
        await expect('manager', 'POST', '/v3/users', 403, { user: { name: `m-${rnd()}`, domain_id: id.d2 } });
        await expect('manager', 'POST', '/v3/users', 403, { user: { name: `m-${rnd()}` } });
        await expect('manager', 'PUT', `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_member}`, 204);
        await expect('manager', 'PUT', `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_admin}`, 403);
        await expect('manager', 'PUT', `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_service}`, 403);
        await expect('d2manager', 'PUT', `/v3/projects/${id.p1}/users/${id.u1}/roles/${id.role_member}`, 403);
        // Readers read, members read their project, and a project-scoped member reads its own domain.
        await expect('domreader', 'GET', `/v3/users?domain_id=${id.d1}`, 200);
        await expect('member', 'GET', `/v3/users?domain_id=${id.d1}`, 403);
        await expect('member', 'GET', `/v3/projects/${id.p1}`, 200);
        await expect('member', 'GET', `/v3/domains/${id.d1}`, 200);
        await expect('member', 'GET', `/v3/domains/${id.d2}`, 403);
        await expect('sysreader', 'POST', '/v3/roles', 403, { role: { name: `sr-${rnd()}` } });
        // Lintel's own rules: the audit log is for admins and system readers.
        await expect('sysreader', 'GET', '/v3/OS-AUDIT/events?limit=1', 200);
        await expect('member', 'GET', '/v3/OS-AUDIT/events?limit=1', 403);
      });

      test('a domain reader sees only its domain\'s users, projects and assignments', async () => {
        const users = (await call(base, 'GET', '/v3/users', { token: t.domreader })).body.users as Array<{ domain_id: string }>;
        assert.ok(users.length > 0 && users.every((u) => u.domain_id === id.d1));
        assert.deepEqual((await call(base, 'GET', `/v3/users?domain_id=${id.d2}`, { token: t.domreader })).body.users, []);
        const projects = (await call(base, 'GET', '/v3/projects', { token: t.domreader })).body.projects as Array<{ domain_id: string }>;
        assert.ok(projects.length > 0 && projects.every((p) => p.domain_id === id.d1));
        const ra = (await call(base, 'GET', '/v3/role_assignments', { token: t.domreader })).body.role_assignments as Array<{ scope: any }>;
        assert.ok(ra.length > 0);
        assert.ok(ra.every((a) => a.scope.domain?.id === id.d1 || a.scope.project?.id === id.p1));
      });

      if (posture === 'strict') {
        test('strict posture: nobody below cloud admin reaches it, by any path', async () => {
          const sys = t.sysadmin;
          // A manager and a domain admin of the Default domain, where the cloud admin lives.
          const defManager = (await call(base, 'POST', '/v3/users', { token: sys, body: { user: { name: 'defmanager', password: PW } } })).body.user;
          assert.equal((await call(base, 'PUT', `/v3/domains/default/users/${defManager.id}/roles/${id.role_manager}`, { token: sys })).status, 204);
          const dm = (await issue(base, passwordAuth({ name: 'defmanager' }, PW, { domain: { id: 'default' } }))).id;
          const defAdmin = (await call(base, 'POST', '/v3/users', { token: sys, body: { user: { name: 'defadmin', password: PW } } })).body.user;
          assert.equal((await call(base, 'PUT', `/v3/domains/default/users/${defAdmin.id}/roles/${id.role_admin}`, { token: sys })).status, 204);
          const da = (await issue(base, passwordAuth({ name: 'defadmin' }, PW, { domain: { id: 'default' } }))).id;
          const adminProject = h.adminProjectId;
          const ops = (await call(base, 'POST', '/v3/groups', { token: sys, body: { group: { name: 'cloud-ops' } } })).body.group;
          assert.equal((await call(base, 'PUT', `/v3/projects/${adminProject}/groups/${ops.id}/roles/${id.role_admin}`, { token: sys })).status, 204);
          const sysGroup = (await call(base, 'POST', '/v3/groups', { token: sys, body: { group: { name: 'sys-ops' } } })).body.group;
          assert.equal((await call(base, 'PUT', `/v3/system/groups/${sysGroup.id}/roles/${id.role_reader}`, { token: sys })).status, 204);
          const plainProject = (await call(base, 'POST', '/v3/projects', { token: sys, body: { project: { name: 'plain' } } })).body.project;

          for (const [who, tok] of [['manager of Default', dm], ['admin of Default', da]] as const) {
            const refuse = async (what: string, method: string, path: string, body?: unknown) => {
              const r = await call(base, method, path, { token: tok, body });
              assert.equal(r.status, 403, `${who} ${what}: ${r.status} ${r.text}`);
            };
            // modifying users that hold roles on the admin project or outside the domain
            await refuse('resets the cloud admin\'s password', 'PATCH', `/v3/users/${h.adminUserId}`, { user: { password: 'stolen-pw-1' } });
            await refuse('disables the cloud admin', 'PATCH', `/v3/users/${h.adminUserId}`, { user: { enabled: false } });
            await refuse('deletes the cloud admin', 'DELETE', `/v3/users/${h.adminUserId}`);
            // joining (or changing) groups that hold roles on the admin project or the system
            await refuse('joins a group with admin on the admin project', 'PUT', `/v3/groups/${ops.id}/users/${defManager.id}`);
            await refuse('joins a group with a system role', 'PUT', `/v3/groups/${sysGroup.id}/users/${defManager.id}`);
            await refuse('renames such a group', 'PATCH', `/v3/groups/${ops.id}`, { group: { name: 'renamed' } });
            await refuse('deletes such a group', 'DELETE', `/v3/groups/${ops.id}`);
            // granting admin or service, or anything on the admin project
            await refuse('grants itself admin on a project', 'PUT', `/v3/projects/${plainProject.id}/users/${defManager.id}/roles/${id.role_admin}`);
            await refuse('grants itself service', 'PUT', `/v3/domains/default/users/${defManager.id}/roles/${id.role_service}`);
            await refuse('grants itself member on the admin project', 'PUT', `/v3/projects/${adminProject}/users/${defManager.id}/roles/${id.role_member}`);
            await refuse('grants admin on the system', 'PUT', `/v3/system/users/${defManager.id}/roles/${id.role_admin}`);
            // the admin project itself
            await refuse('renames the admin project', 'PATCH', `/v3/projects/${adminProject}`, { project: { name: 'renamed' } });
            await refuse('deletes the admin project', 'DELETE', `/v3/projects/${adminProject}`);
            await refuse('renames a project to the admin project\'s name', 'PATCH', `/v3/projects/${plainProject.id}`, { project: { name: 'admin' } });
            // login names that shadow another domain's user
            await refuse('creates a user named like a d1 login', 'POST', '/v3/users', { user: { name: 'plain1@d1', domain_id: 'default' } });
            await refuse('renames itself to shadow a d1 login', 'PATCH', `/v3/users/${defManager.id}`, { user: { name: 'plain1@d1' } });
            // cloud-admin operations
            await refuse('creates a domain', 'POST', '/v3/domains', { domain: { name: `x-${rnd()}` } });
            await refuse('creates a role', 'POST', '/v3/roles', { role: { name: `x-${rnd()}` } });
          }
          // ... while a manager still manages its domain's confined users and projects.
          const ok = async (what: string, status: number, method: string, path: string, body?: unknown) => {
            const r = await call(base, method, path, { token: dm, body });
            assert.equal(r.status, status, `manager ${what}: ${r.status} ${r.text}`);
          };
          const u = (await call(base, 'POST', '/v3/users', { token: dm, body: { user: { name: `ok-${rnd()}`, domain_id: 'default', password: PW } } }));
          assert.equal(u.status, 201, u.text);
          await ok('resets a confined user\'s password', 200, 'PATCH', `/v3/users/${u.body.user.id}`, { user: { password: 'reset-pw-1' } });
          await ok('grants member on a project of its domain', 204, 'PUT', `/v3/projects/${plainProject.id}/users/${u.body.user.id}/roles/${id.role_member}`);
          await ok('names a user with an @ that names no domain', 201, 'POST', '/v3/users', { user: { name: `mail-${rnd()}@example.org`, domain_id: 'default' } });
          // A project admin is not a cloud admin: not another domain's users, not keys of a user holding roles elsewhere.
          assert.equal((await call(base, 'GET', `/v3/users?domain_id=${id.d2}`, { token: t.projadmin })).status, 403);
          assert.equal((await call(base, 'PUT', `/v3/projects/${id.p1}/users/${h.adminUserId}/roles/${id.role_member}`, { token: sys })).status, 204);
          const soda = await fetch(`${h.multicloudUrl}/v1/${id.p1}/aksks`, {
            method: 'POST', headers: { 'X-Auth-Token': t.projadmin, 'Content-Type': 'application/json' }, body: JSON.stringify({ credential: { user_id: h.adminUserId } }),
          });
          assert.equal(soda.status, 403, await soda.text());
          const sodaOwn = await fetch(`${h.multicloudUrl}/v1/${id.p1}/aksks`, {
            method: 'POST', headers: { 'X-Auth-Token': t.projadmin, 'Content-Type': 'application/json' }, body: JSON.stringify({ credential: { user_id: id.member } }),
          });
          assert.equal(sodaOwn.status, 200, 'a confined member\'s keys stay manageable by the project admin');
        });
      } else {
        test('default posture: Keystone\'s manager may not hand out admin or service, nor act outside its domain', async () => {
          const refuse = async (what: string, method: string, path: string, body?: unknown) => {
            const r = await call(base, method, path, { token: t.manager, body });
            assert.equal(r.status, 403, `manager ${what}: ${r.status} ${r.text}`);
          };
          await refuse('grants itself admin', 'PUT', `/v3/domains/${id.d1}/users/${id.manager}/roles/${id.role_admin}`);
          await refuse('grants itself service', 'PUT', `/v3/projects/${id.p1}/users/${id.manager}/roles/${id.role_service}`);
          await refuse('changes a d2 user', 'PATCH', `/v3/users/${id.u2}`, { user: { description: 'x' } });
          await refuse('creates a domain', 'POST', '/v3/domains', { domain: { name: `x-${rnd()}` } });
          await refuse('grants on the system', 'PUT', `/v3/system/users/${id.manager}/roles/${id.role_reader}`);
          // the roles every rule names cannot be renamed or deleted, even by a cloud admin
          assert.equal((await call(base, 'PATCH', `/v3/roles/${id.role_admin}`, { token: t.sysadmin, body: { role: { name: 'notadmin' } } })).status, 403);
          assert.equal((await call(base, 'DELETE', `/v3/roles/${id.role_reader}`, { token: t.sysadmin })).status, 403);
        });
      }
    });
  }
}
