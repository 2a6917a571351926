import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { BootstrapService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth, type Res, statusOnceRevoked } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

const PW = 'inherit-password-1';

/**
 * OS-INHERIT grants, domain-specific roles and role options over HTTP, compared with what
 * Keystone 22 answers (docs/keystone-inherit-and-roles.md): project tree P1 > C1 > GC1 and P2 in
 * domain D; user U in group G.
 */
for (const kind of databaseKinds()) {
  describe(`Keystone OS-INHERIT, domain-specific roles, role options (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_REVOCATION_REFRESH_MS: '100' });
    let h: Harness;
    let base: string;
    let admin: string;
    let memberToken: string;
    const id: Record<string, string> = {};
    const name: Record<string, string> = {};
    const req = (method: string, path: string, o: { token?: string; body?: unknown } = {}) => call(base, method, path, { token: admin, ...o });
    const mk = async (kind_: string, body: Record<string, unknown>): Promise<string> => {
      const r = await req('POST', `/v3/${kind_}s`, { body: { [kind_]: body } });
      assert.equal(r.status, 201, r.text);
      return r.body[kind_].id;
    };
    const inh = (target: string, actor: string, role?: string) => `/v3/OS-INHERIT/${target}/${actor}/roles${role ? `/${role}` : ''}/inherited_to_projects`;
    const tokenOn = async (user: string, project: string) => call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: user }, PW, { project: { id: project } }) });
    const roleNames = (r: Res) => (r.body.token.roles as Array<{ name: string }>).map((x) => x.name).sort();
    /** role_assignments lines as `role@scope[ inherited][ via group][ implied]`, sorted, with names for ids. */
    const lines = async (query: string): Promise<string[]> => {
      const r = await req('GET', `/v3/role_assignments?${query}`);
      assert.equal(r.status, 200, r.text);
      const n = (x: string) => name[x] ?? x;
      return (r.body.role_assignments as any[]).map((a) => {
        const scope = a.scope.project ? n(a.scope.project.id) : a.scope.domain ? n(a.scope.domain.id) : 'system';
        const who = a.user ? n(a.user.id) : `group ${n(a.group.id)}`;
        return `${n(a.role.id)}@${scope} ${who}${a.scope['OS-INHERIT:inherited_to'] ? ' inherited' : ''}${a.links.membership ? ' via group' : ''}${a.links.prior_role ? ' implied' : ''}`;
      }).sort();
    };
    const named = (key: string, value: string) => {
      id[key] = value;
      name[value] = key;
      return value;
    };

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      named('D', await mk('domain', { name: 'inherit-d' }));
      named('D2', await mk('domain', { name: 'inherit-d2' }));
      named('P1', await mk('project', { name: 'p1', domain_id: id.D }));
      named('C1', await mk('project', { name: 'c1', domain_id: id.D, parent_id: id.P1 }));
      named('GC1', await mk('project', { name: 'gc1', domain_id: id.D, parent_id: id.C1 }));
      named('P2', await mk('project', { name: 'p2', domain_id: id.D }));
      named('U', await mk('user', { name: 'u', domain_id: id.D, password: PW }));
      named('U2', await mk('user', { name: 'u2', domain_id: id.D, password: PW }));
      named('M', await mk('user', { name: 'm', domain_id: id.D, password: PW }));
      named('G', await mk('group', { name: 'g', domain_id: id.D }));
      named('R', await mk('role', { name: 'r' }));
      named('R2', await mk('role', { name: 'r2' }));
      named('DR', await mk('role', { name: 'dr', domain_id: id.D }));
      named('DR2', await mk('role', { name: 'dr2', domain_id: id.D2 }));
      for (const r of (await req('GET', '/v3/roles')).body.roles as Array<{ id: string; name: string }>) named(r.name, r.id);
      named('AP', h.adminProjectId);
      assert.equal((await req('PUT', `/v3/groups/${id.G}/users/${id.U}`)).status, 204);
      assert.equal((await req('PUT', `/v3/projects/${id.P2}/users/${id.M}/roles/${id.member}`)).status, 204);
      memberToken = (await issue(base, passwordAuth({ id: id.M }, PW, { project: { id: id.P2 } }))).id;
    });

    test('OS-INHERIT on a domain: PUT 204 (idempotent), GET/HEAD 204, list; not an ordinary domain grant', async () => {
      const path = inh(`domains/${id.D}`, `users/${id.U}`, id.R);
      assert.equal(keystoneError(await req('GET', path), 404).message,
        `Could not find role assignment with role: ${id.R}, user or group: ${id.U}, project, domain, or system: ${id.D}.`);
      assert.equal((await req('PUT', path)).status, 204);
      assert.equal((await req('PUT', path)).status, 204);
      assert.equal((await req('GET', path)).status, 204);
      assert.equal((await req('HEAD', path)).status, 204);
      const list = await req('GET', inh(`domains/${id.D}`, `users/${id.U}`));
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.roles.map((r: any) => r.id), [id.R]);
      assert.deepEqual(Object.keys(list.body.roles[0]).sort(), ['description', 'domain_id', 'id', 'links', 'name', 'options']);
      assert.equal(list.body.links.self, `${base}${inh(`domains/${id.D}`, `users/${id.U}`)}`);
      // The inherited grant is not a grant on the domain itself.
      assert.deepEqual((await req('GET', `/v3/domains/${id.D}/users/${id.U}/roles`)).body.roles, []);
      keystoneError(await req('GET', `/v3/domains/${id.D}/users/${id.U}/roles/${id.R}`), 404);
      // Group grants on a project, inherited by the projects below it (not by the project).
      assert.equal((await req('PUT', inh(`projects/${id.P1}`, `groups/${id.G}`, id.member))).status, 204);
      assert.equal((await req('HEAD', inh(`projects/${id.P1}`, `groups/${id.G}`, id.member))).status, 204);
      keystoneError(await req('GET', `/v3/projects/${id.P1}/groups/${id.G}/roles/${id.member}`), 404);
      assert.deepEqual((await req('GET', inh(`domains/${id.D}`, `groups/${id.G}`))).body.roles, []);
    });

    test('OS-INHERIT: 404s after the policy, 403 for a project member whatever exists, no list on projects', async () => {
      const cases: Array<[string, string, string]> = [
        ['PUT', inh(`domains/${id.D}`, `users/${id.U}`, 'nope'), 'Could not find role: nope.'],
        ['PUT', inh('domains/nope', `users/${id.U}`, id.R!), 'Could not find domain: nope.'],
        ['PUT', inh('projects/nope', `groups/${id.G}`, id.R!), 'Could not find project: nope.'],
        ['PUT', inh(`domains/${id.D}`, 'users/nope', id.R!), 'Could not find user: nope.'],
        ['PUT', inh(`projects/${id.P1}`, 'groups/nope', id.R!), 'Could not find group: nope.'],
        ['GET', inh(`domains/${id.D}`, `users/${id.U}`, 'nope'), 'Could not find role: nope.'],
        ['GET', inh('domains/nope', `users/${id.U}`, id.R!), 'Could not find domain: nope.'],
        ['GET', inh(`projects/${id.P1}`, 'groups/nope', id.R!), `Could not find role assignment with role: ${id.R}, user or group: nope, project, domain, or system: ${id.P1}.`],
        ['DELETE', inh(`domains/${id.D}`, `users/${id.U}`, 'nope'), 'Could not find role: nope.'],
        ['DELETE', inh('projects/nope', `groups/${id.G}`, id.R!), `Could not find role assignment with role: ${id.R}, user or group: ${id.G}, project, domain, or system: nope.`],
        ['GET', inh('domains/nope', `users/${id.U}`), 'Could not find domain: nope.'],
      ];
      for (const [method, path, message] of cases) assert.equal(keystoneError(await req(method, path), 404).message, message, `${method} ${path}`);
      assert.deepEqual((await req('GET', inh(`domains/${id.D}`, 'users/nope'))).body.roles, [], 'Keystone lists nothing for an unknown actor');
      const forbidden: Array<[string, string, string]> = [
        ['PUT', inh(`domains/${id.D}`, `users/${id.U}`, id.R), 'identity:create_grant'],
        ['GET', inh(`domains/${id.D}`, `users/${id.U}`, id.R), 'identity:check_grant'],
        ['HEAD', inh(`domains/${id.D}`, `users/${id.U}`, id.R), ''],
        ['DELETE', inh(`domains/${id.D}`, `users/${id.U}`, id.R), 'identity:revoke_grant'],
        ['GET', inh(`domains/${id.D}`, `users/${id.U}`), 'identity:list_grants'],
        ['PUT', inh(`projects/${id.P2}`, `users/${id.M}`, id.member), 'identity:create_grant'],
        ['PUT', inh('domains/nope', 'users/nope', 'nope'), 'identity:create_grant'],
      ];
      for (const [method, path, action] of forbidden) {
        const r = await req(method, path, { token: memberToken });
        if (method === 'HEAD') assert.equal(r.status, 403, `${method} ${path}`);
        else assert.equal(keystoneError(r, 403).message, `You are not authorized to perform the requested action: ${action}.`, `${method} ${path}`);
      }
      assert.equal((await req('GET', inh(`domains/${id.D}`, `users/${id.U}`, id.R))).status, 204, 'the refused DELETE removed nothing');
      assert.equal((await req('GET', inh(`projects/${id.P1}`, `users/${id.U}`))).status, 404, 'Keystone has no list on projects');
    });

    test('role_assignments: inherited lines, the OS-INHERIT filter, effective expansion below the target', async () => {
      const direct = await req('GET', `/v3/role_assignments?user.id=${id.U}`);
      assert.deepEqual(direct.body.role_assignments, [{
        role: { id: id.R }, user: { id: id.U }, scope: { domain: { id: id.D }, 'OS-INHERIT:inherited_to': 'projects' },
        links: { assignment: `${base}${inh(`domains/${id.D}`, `users/${id.U}`, id.R)}` },
      }]);
      assert.deepEqual(await lines(`group.id=${id.G}`), ['member@P1 group G inherited']);
      assert.deepEqual(await lines(`user.id=${id.U}&scope.OS-INHERIT:inherited_to=projects`), ['r@D U inherited']);
      assert.deepEqual(await lines(`user.id=${id.U}&scope.OS-INHERIT:inherited_to=none`), []);
      assert.deepEqual(await lines(`scope.project.id=${id.C1}`), [], 'nothing is granted on C1 itself');
      assert.deepEqual(await lines(`scope.project.id=${id.P1}&include_subtree`), ['member@P1 group G inherited']);

      assert.deepEqual(await lines(`effective&user.id=${id.U}`), [
        'member@C1 U inherited via group', 'member@GC1 U inherited via group',
        'r@C1 U inherited', 'r@GC1 U inherited', 'r@P1 U inherited', 'r@P2 U inherited',
        'reader@C1 U inherited via group implied', 'reader@GC1 U inherited via group implied',
      ]);
      assert.deepEqual(await lines(`effective&scope.project.id=${id.P1}`), ['r@P1 U inherited'], 'a project grant is not inherited by the project itself');
      assert.deepEqual(await lines(`effective&scope.project.id=${id.C1}&include_subtree`), [
        'member@C1 U inherited via group', 'member@GC1 U inherited via group', 'r@C1 U inherited', 'r@GC1 U inherited',
        'reader@C1 U inherited via group implied', 'reader@GC1 U inherited via group implied',
      ]);
      assert.deepEqual(await lines(`effective&scope.domain.id=${id.D}`), [], 'domains inherit nothing');
      assert.deepEqual(await lines(`effective&user.id=${id.U}&scope.OS-INHERIT:inherited_to=none`), []);

      const eff = await req('GET', `/v3/role_assignments?effective&scope.project.id=${id.GC1}&role.id=${id.reader}&include_names`);
      assert.equal(eff.body.role_assignments.length, 1);
      const [a] = eff.body.role_assignments;
      assert.deepEqual(a.links, {
        assignment: `${base}${inh(`projects/${id.P1}`, `groups/${id.G}`, id.member)}`,
        membership: `${base}/v3/groups/${id.G}/users/${id.U}`,
        prior_role: `${base}/v3/prior_role/${id.reader}/implies/${id.member}`,
      });
      assert.deepEqual(a.scope, { project: { id: id.GC1, name: 'gc1', domain: { id: id.D, name: 'inherit-d' } }, 'OS-INHERIT:inherited_to': 'projects' });
      assert.equal(keystoneError(await req('GET', `/v3/role_assignments?effective&scope.domain.id=${id.D}&scope.OS-INHERIT:inherited_to=projects`), 400).message,
        'Combining effective, domain and inherited filters will always result in an empty list.');
      assert.equal(keystoneError(await req('GET', `/v3/role_assignments?scope.system=all&scope.project.id=${id.P1}`), 400).message, 'Specify system or project, not both');
    });

    test('tokens, /v3/auth/projects and /v3/users/{id}/projects count inherited grants; removing them revokes the tokens they fed', async () => {
      assert.deepEqual(roleNames(await tokenOn(id.U!, id.GC1!)), ['member', 'r', 'reader']);
      assert.deepEqual(roleNames(await tokenOn(id.U!, id.P1!)), ['r']);
      const unscoped = (await issue(base, passwordAuth({ id: id.U }, PW))).id;
      const projectNames = (r: Res) => (r.body.projects as Array<{ name: string }>).map((p) => p.name).sort();
      assert.deepEqual(projectNames(await call(base, 'GET', '/v3/auth/projects', { token: unscoped })), ['c1', 'gc1', 'p1', 'p2']);
      assert.deepEqual(projectNames(await req('GET', `/v3/users/${id.U}/projects`)), ['c1', 'gc1', 'p1', 'p2']);

      const onP2 = (await tokenOn(id.U!, id.P2!)).headers.get('x-subject-token')!;
      const onGC1 = (await tokenOn(id.U!, id.GC1!)).headers.get('x-subject-token')!;
      assert.equal((await req('DELETE', inh(`domains/${id.D}`, `users/${id.U}`, id.R))).status, 204);
      keystoneError(await req('DELETE', inh(`domains/${id.D}`, `users/${id.U}`, id.R)), 404);
      assert.equal(await statusOnceRevoked(base, admin, onP2), 404, 'the token on P2 carried r');
      assert.equal(await statusOnceRevoked(base, admin, onGC1), 404, 'the token on GC1 carried r');
      keystoneError(await tokenOn(id.U!, id.P2!), 401);
      assert.deepEqual(roleNames(await tokenOn(id.U!, id.GC1!)), ['member', 'reader']);

      const onC1 = (await tokenOn(id.U!, id.C1!)).headers.get('x-subject-token')!;
      assert.equal((await req('DELETE', inh(`projects/${id.P1}`, `groups/${id.G}`, id.member))).status, 204);
      assert.equal(await statusOnceRevoked(base, admin, onC1), 404, 'the token on C1 carried member');
      keystoneError(await tokenOn(id.U!, id.GC1!), 401);
      assert.deepEqual((await req('GET', `/v3/users/${id.U}/projects`)).body.projects, []);
      assert.deepEqual(await lines(`effective&user.id=${id.U}`), []);
    });

    test('domain-specific roles: only what they imply reaches tokens and effective lists; granted on projects of their domain only', async () => {
      assert.equal(keystoneError(await req('PUT', `/v3/projects/${id.AP}/users/${id.U2}/roles/${id.DR}`), 403).message,
        `Project ${id.AP} must be in the same domain as the role ${id.DR} being assigned.`);
      assert.equal(keystoneError(await req('PUT', inh(`projects/${id.AP}`, `users/${id.U2}`, id.DR)), 403).message,
        `Project ${id.AP} must be in the same domain as the role ${id.DR} being assigned.`);
      assert.equal(keystoneError(await req('PUT', `/v3/system/users/${id.U2}/roles/${id.DR}`), 400).message,
        `Role ${id.DR} is a domain-specific role. Unable to use a domain-specific role in a system assignment.`);
      keystoneError(await req('PUT', `/v3/projects/${id.P2}/users/${id.U2}/roles/${id.DR}`, { token: memberToken }), 403);
      assert.equal((await req('PUT', `/v3/projects/${id.P2}/users/${id.U2}/roles/${id.DR}`)).status, 204);

      assert.deepEqual(await lines(`scope.project.id=${id.P2}&user.id=${id.U2}`), ['DR@P2 U2']);
      assert.deepEqual(await lines(`effective&scope.project.id=${id.P2}&user.id=${id.U2}`), []);
      keystoneError(await tokenOn(id.U2!, id.P2!), 401);
      assert.deepEqual((await req('GET', `/v3/users/${id.U2}/projects`)).body.projects, []);

      assert.equal((await req('PUT', `/v3/roles/${id.DR}/implies/${id.R2}`)).status, 201);
      assert.equal((await req('PUT', `/v3/roles/${id.DR}/implies/${id.DR2}`)).status, 201, 'across domains too');
      assert.equal((await req('HEAD', `/v3/roles/${id.DR}/implies/${id.R2}`)).status, 204);
      assert.equal((await req('HEAD', `/v3/roles/${id.R2}/implies/${id.DR}`)).status, 404);
      assert.equal((await req('HEAD', `/v3/roles/${id.DR}/implies/${id.R2}`, { token: memberToken })).status, 403);
      assert.deepEqual(roleNames(await tokenOn(id.U2!, id.P2!)), ['r2']);
      assert.deepEqual(await lines(`effective&scope.project.id=${id.P2}&user.id=${id.U2}`), ['r2@P2 U2 implied']);
      const implied = (await req('GET', `/v3/role_assignments?effective&user.id=${id.U2}`)).body.role_assignments[0];
      assert.deepEqual(implied.links, {
        assignment: `${base}/v3/projects/${id.P2}/users/${id.U2}/roles/${id.DR}`,
        prior_role: `${base}/v3/prior_role/${id.R2}/implies/${id.DR}`,
      });
      assert.deepEqual((await req('GET', `/v3/users/${id.U2}/projects`)).body.projects.map((p: any) => p.name), ['p2']);

      const refused: Array<[string, string]> = [[id.R2!, id.DR!], [id.DR!, id.admin!], [id.R2!, id.admin!]];
      for (const [prior, impliedRole] of refused) {
        assert.equal(keystoneError(await req('PUT', `/v3/roles/${prior}/implies/${impliedRole}`), 403).message, `${impliedRole} cannot be an implied roles.`);
      }
      keystoneError(await req('PUT', `/v3/roles/${id.DR}/implies/nope`), 404);
      keystoneError(await req('PUT', `/v3/roles/${id.DR}/implies/${id.R}`, { token: memberToken }), 403);

      const globalNames = (await req('GET', '/v3/roles')).body.roles.map((r: any) => r.name);
      assert.ok(globalNames.includes('admin') && !globalNames.includes('dr'), globalNames.join());
      assert.deepEqual((await req('GET', '/v3/roles?domain_id=')).body.roles.map((r: any) => r.name), globalNames);
      assert.deepEqual((await req('GET', `/v3/roles?domain_id=${id.D}`)).body.roles.map((r: any) => r.name), ['dr']);
    });

    test('roles: bootstrap roles are immutable (403 with Keystone\'s texts); options on create and update', async () => {
      for (const role of ['admin', 'manager', 'member', 'reader', 'service']) {
        assert.deepEqual((await req('GET', `/v3/roles/${id[role]}`)).body.role.options, { immutable: true }, role);
      }
      assert.equal(keystoneError(await req('PATCH', `/v3/roles/${id.admin}`, { body: { role: { description: 'x' } } }), 403).message,
        `Unable to update immutable role resource: \`${id.admin}. Set resource option "immutable" to false first.`);
      assert.equal(keystoneError(await req('DELETE', `/v3/roles/${id.member}`), 403).message,
        `Unable to delete immutable role resource: \`${id.member}. Set resource option "immutable" to false first.`);

      const created = await req('POST', '/v3/roles', { body: { role: { name: 'fixed', options: { immutable: true } } } });
      assert.equal(created.status, 201, created.text);
      assert.deepEqual(created.body.role.options, { immutable: true });
      const fixed = created.body.role.id;
      const bad: Array<[unknown, string]> = [
        [{ foo: true }, "Invalid input for field 'options': Additional properties are not allowed ('foo' was unexpected)"],
        [{ immutable: 'yes' }, "Invalid input for field 'options/immutable': 'yes' is not of type 'boolean', 'null'"],
        ['x', "Invalid input for field 'options': 'x' is not of type 'object'"],
        [null, "Invalid input for field 'options': None is not of type 'object'"],
      ];
      for (const [options, message] of bad) {
        assert.equal(keystoneError(await req('POST', '/v3/roles', { body: { role: { name: 'other', options } } }), 400).message, message);
        assert.equal(keystoneError(await req('PATCH', `/v3/roles/${fixed}`, { body: { role: { options } } }), 400).message, message);
      }
      keystoneError(await req('POST', '/v3/roles', { token: memberToken, body: { role: { name: 'other', options: { immutable: true } } } }), 403);
      keystoneError(await req('PATCH', `/v3/roles/${fixed}`, { token: memberToken, body: { role: { options: { immutable: false } } } }), 403);
      keystoneError(await req('PATCH', '/v3/roles/nope', { body: { role: { options: { immutable: false } } } }), 404);

      // Only unsetting the option, alone, passes an immutable role.
      keystoneError(await req('PATCH', `/v3/roles/${fixed}`, { body: { role: { description: 'd', options: { immutable: false } } } }), 403);
      keystoneError(await req('PATCH', `/v3/roles/${fixed}`, { body: { role: { options: { immutable: true } } } }), 403);
      keystoneError(await req('DELETE', `/v3/roles/${fixed}`), 403);
      const unset = await req('PATCH', `/v3/roles/${fixed}`, { body: { role: { options: { immutable: false } } } });
      assert.equal(unset.status, 200, unset.text);
      assert.deepEqual(unset.body.role.options, { immutable: false });
      assert.deepEqual((await req('PATCH', `/v3/roles/${fixed}`, { body: { role: { options: { immutable: null }, description: 'd' } } })).body.role,
        { id: fixed, name: 'fixed', domain_id: null, description: 'd', options: {}, links: { self: `${base}/v3/roles/${fixed}` } });
      assert.equal(keystoneError(await req('PATCH', `/v3/roles/${fixed}`, { body: { role: { domain_id: id.D } } }), 400).message, 'Update of `domain_id` is not allowed.');
      assert.equal((await req('DELETE', `/v3/roles/${fixed}`)).status, 204);
    });

    test('an existing database gets the bootstrap roles immutable once; an operator\'s later choice survives bootstrap', async () => {
      const q = (sql: string, params: unknown[] = []) => h.ds.writes.write((m) => m.query(sql, params));
      await q('UPDATE roles SET options = ? WHERE domain_id = ? AND name IN (?, ?)', ['{}', '<<null>>', 'reader', 'service']);
      await q('DELETE FROM migrations WHERE name = ?', ['ImmutableDefaultRoles1766100000000']);
      assert.deepEqual((await req('GET', `/v3/roles/${id.reader}`)).body.role.options, {});
      await h.ds.migrate();
      assert.deepEqual((await req('GET', `/v3/roles/${id.reader}`)).body.role.options, { immutable: true });
      assert.deepEqual((await req('GET', `/v3/roles/${id.service}`)).body.role.options, { immutable: true });

      assert.equal((await req('PATCH', `/v3/roles/${id.service}`, { body: { role: { options: { immutable: false } } } })).status, 200);
      await h.get(BootstrapService).bootstrap({ identityUrl: `${base}/v3/`, multicloudUrl: `${h.multicloudUrl}/v1/$(project_id)s` });
      assert.deepEqual((await req('GET', `/v3/roles/${id.service}`)).body.role.options, { immutable: false });
      assert.equal((await req('PATCH', `/v3/roles/${id.service}`, { body: { role: { options: { immutable: true } } } })).status, 200);
    });

    test('deleting a domain takes its own roles along, with their grants and inferences', async () => {
      const d = await mk('domain', { name: 'doomed' });
      const role = await mk('role', { name: 'doomed-role', domain_id: d });
      const p = await mk('project', { name: 'doomed-p', domain_id: d });
      const u = await mk('user', { name: 'doomed-u', domain_id: d });
      assert.equal((await req('PUT', `/v3/projects/${p}/users/${u}/roles/${role}`)).status, 204);
      assert.equal((await req('PUT', `/v3/roles/${role}/implies/${id.reader}`)).status, 201);
      assert.equal((await req('PATCH', `/v3/domains/${d}`, { body: { domain: { enabled: false } } })).status, 200);
      assert.equal((await req('DELETE', `/v3/domains/${d}`)).status, 204);
      keystoneError(await req('GET', `/v3/roles/${role}`), 404);
      assert.equal(Number((await h.ds.query('SELECT COUNT(*) AS n FROM role_assignments WHERE role_id = ?', [role]))[0].n), 0);
      assert.equal(Number((await h.ds.query('SELECT COUNT(*) AS n FROM implied_roles WHERE prior_role_id = ?', [role]))[0].n), 0);
    });
  });
}
