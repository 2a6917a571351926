import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, keystoneError } from '../helpers/keystone.js';
import { redact } from '../helpers/commands.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { OPENSTACK, openstackEnv, skipWithoutOpenstack } from '../helpers/openstack.js';

const LIMIT = 5;

/** Runs a Python snippet with openstacksdk against the suite's Lintel (the real client's pagination); the credentials go by environment. */
function sdk(authUrl: string, code: string): Promise<string> {
  const env = openstackEnv(`${authUrl}/v3`);
  return new Promise((resolve, reject) => {
    // The interpreter the openstack CLI runs on, which has openstacksdk.
    const python = readFileSync(OPENSTACK!, 'utf8').split('\n')[0]!.replace(/^#!\s*/, '').trim();
    execFile(python, ['-c', `import openstack\nconn = openstack.connect()\n${code}`], { env, timeout: 60_000 }, (err, stdout, stderr) => (
      err ? reject(new Error(`openstacksdk: ${err.code ?? 'killed'}\n${redact(stderr).slice(-2000)}`)) : resolve(stdout)));
  });
}

/** Bounded lists (docs/performance.md, "Bounded lists"): list_limit, truncated, limit and marker. */
for (const kind of databaseKinds()) {
  describe(`Keystone list limits (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_LIST_LIMIT: String(LIMIT), LINTEL_LIST_LIMITS: 'role=0' });
    let h: Harness;
    const { api, created } = adminCalls(ctx);
    const userNames = Array.from({ length: 8 }, (_, i) => `lim-user-${i}`);
    let projectIds: string[] = [];
    let userIds: string[] = [];

    before(async () => {
      h = ctx.h;
      userIds = [];
      for (const name of userNames) userIds.push((await created('/v3/users', { user: { name, password: null } })).id);
      const root = await created('/v3/projects', { project: { name: 'lim-root' } });
      projectIds = [root.id];
      for (let i = 0; i < 7; i++) projectIds.push((await created('/v3/projects', { project: { name: `lim-p-${i}`, parent_id: root.id } })).id);
      for (let i = 0; i < 7; i++) await created('/v3/roles', { role: { name: `lim-role-${i}` } });
    });

    /** Every page of a list, following `links.next`, as Keystone's newer clients do. */
    async function allPages(path: string, key: string, size = LIMIT): Promise<{ names: string[]; pages: number }> {
      const names: string[] = [];
      let next: string | null = path;
      let pages = 0;
      while (next) {
        const r = await api('GET', next);
        assert.equal(r.status, 200, r.text);
        names.push(...(r.body[key] as Array<{ name: string }>).map((x) => x.name));
        assert.ok(r.body[key].length <= size);
        next = r.body.truncated ? new URL(r.body.links.next).pathname + new URL(r.body.links.next).search : null;
        if (r.body.truncated) assert.equal(r.body[key].length, size);
        else assert.equal(r.body.links.next, null);
        pages++;
      }
      return { names, pages };
    }

    test('users and projects: cut at the list limit with truncated: true, every entry once across the pages', async () => {
      const first = await api('GET', '/v3/users');
      assert.equal(first.status, 200);
      assert.equal(first.body.users.length, LIMIT);
      assert.equal(first.body.truncated, true);
      assert.match(first.body.links.next, /[?&]marker=[0-9a-f]+/);
      assert.match(first.body.links.next, /[?&]limit=5(&|$)/);
      const users = await allPages('/v3/users', 'users');
      assert.ok(users.pages >= 2);
      assert.deepEqual(users.names, [...users.names].sort(), 'pages follow the list order (by name)');
      assert.equal(new Set(users.names).size, users.names.length);
      for (const n of [...userNames, 'admin']) assert.ok(users.names.includes(n), n);

      const projects = await allPages('/v3/projects', 'projects');
      assert.equal(new Set(projects.names).size, projects.names.length);
      for (const n of ['lim-root', 'admin', ...Array.from({ length: 7 }, (_, i) => `lim-p-${i}`)]) assert.ok(projects.names.includes(n), n);
      // Filters and the marker work together.
      const below = await allPages(`/v3/projects?parent_id=${projectIds[0]}&limit=3`, 'projects', 3);
      assert.deepEqual(below.names, Array.from({ length: 7 }, (_, i) => `lim-p-${i}`));
    });

    test('limit asks for fewer, never more; a bad limit is a 400, an unknown marker a 404', async () => {
      const two = await api('GET', '/v3/users?limit=2');
      assert.equal(two.body.users.length, 2);
      assert.equal(two.body.truncated, true);
      const many = await api('GET', '/v3/users?limit=1000');
      assert.equal(many.body.users.length, LIMIT);
      assert.equal(many.body.truncated, true);
      const one = await api('GET', '/v3/users?name=lim-user-3');
      assert.equal(one.body.users.length, 1);
      assert.equal('truncated' in one.body, false);
      assert.equal(one.body.links.next, null);
      for (const bad of ['0', '-1', 'abc', '1.5']) keystoneError(await api('GET', `/v3/users?limit=${bad}`), 400);
      const e = keystoneError(await api('GET', '/v3/users?marker=0123456789abcdef0123456789abcdef'), 404);
      assert.equal(e.message, 'Marker 0123456789abcdef0123456789abcdef could not be found.');
    });

    test('groups, domains, credentials are cut too; a section set to 0 is not (roles here)', async () => {
      for (let i = 0; i < 6; i++) await created('/v3/groups', { group: { name: `lim-group-${i}` } });
      const groups = await api('GET', '/v3/groups');
      assert.equal(groups.body.groups.length, LIMIT);
      assert.equal(groups.body.truncated, true);
      const roles = await api('GET', '/v3/roles');
      assert.ok(roles.body.roles.length > LIMIT);
      assert.equal('truncated' in roles.body, false);
      for (let i = 0; i < 6; i++) await created('/v3/credentials', { credential: { user_id: userIds[0], type: 'cert', blob: `blob-${i}` } });
      const creds = await api('GET', '/v3/credentials');
      assert.equal(creds.body.credentials.length, LIMIT);
      assert.equal(creds.body.truncated, true);
    });

    test('role_assignments, direct and effective, and a user\'s projects: cut at the assignment limit', async () => {
      const member = (await api('GET', '/v3/roles?name=member')).body.roles[0].id;
      const user = userIds[1]!;
      // An inherited grant on the root reaches its seven projects: seven effective lines.
      const r = await api('PUT', `/v3/OS-INHERIT/projects/${projectIds[0]}/users/${user}/roles/${member}/inherited_to_projects`);
      assert.equal(r.status, 204, r.text);
      const direct = await api('GET', `/v3/role_assignments?user.id=${user}`);
      assert.equal(direct.body.role_assignments.length, 1);
      assert.equal('truncated' in direct.body, false);
      const effective = await api('GET', `/v3/role_assignments?user.id=${user}&effective&include_names`);
      assert.equal(effective.body.truncated, true);
      assert.equal(effective.body.role_assignments.length, LIMIT);
      for (const line of effective.body.role_assignments) {
        assert.equal(line.user.name, 'lim-user-1');
        assert.match(line.scope.project.name, /^lim-p-/);
        assert.equal(line.role.name === 'member' || line.role.name === 'reader', true);
      }
      const wide = await api('GET', `/v3/role_assignments?user.id=${user}&effective&limit=100`);
      assert.equal(wide.body.role_assignments.length, LIMIT);
      const narrow = await api('GET', `/v3/role_assignments?user.id=${user}&effective&limit=2`);
      assert.equal(narrow.body.role_assignments.length, 2);
      assert.equal(narrow.body.truncated, true);
      const projects = await api('GET', `/v3/users/${user}/projects`);
      assert.equal(projects.body.projects.length, LIMIT);
      assert.equal(projects.body.truncated, true);
      assert.deepEqual(projects.body.projects.map((p: { name: string }) => p.name), ['lim-p-0', 'lim-p-1', 'lim-p-2', 'lim-p-3', 'lim-p-4']);
    });

    test('openstacksdk pages through users and projects with limit and marker', { skip: skipWithoutOpenstack }, async () => {
      const out = await sdk(h.url, 'print("\\n".join(u.name for u in conn.identity.users(limit=3)))\nprint("--")\nprint("\\n".join(p.name for p in conn.identity.projects(limit=2)))');
      const [users, projects] = out.trim().split('\n--\n').map((s) => s.split('\n'));
      for (const n of [...userNames, 'admin']) assert.ok(users!.includes(n), `${n} in ${users}`);
      assert.equal(new Set(users).size, users!.length);
      for (const n of ['lim-root', 'admin', 'lim-p-6']) assert.ok(projects!.includes(n), `${n} in ${projects}`);
    });
  });
}
