import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, SYSTEM_TARGET_ID } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, INVALID_JSON, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/** `/v3/policies` (docs/keystone-catalog-extensions.md, "Policies"). */
for (const kind of databaseKinds()) {
  describe(`Keystone policies (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let base: string;
    let admin: string;
    let member: string;
    let sysReader: string;

    const create = async (policy: Record<string, unknown>) => {
      const r = await call(base, 'POST', '/v3/policies', { token: admin, body: { policy } });
      assert.equal(r.status, 201, r.text);
      return r.body.policy;
    };
    const ids = async (query = '') => (await call(base, 'GET', `/v3/policies${query}`, { token: admin })).body.policies.map((p: any) => p.id).sort();

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const a = h.get(AssignmentService);
      for (const [name, grant] of [
        ['mia', { type: 'UserProject' as const, targetId: h.adminProjectId, role: 'member' }],
        ['sam', { type: 'UserSystem' as const, targetId: SYSTEM_TARGET_ID, role: 'reader' }],
      ] as const) {
        const u = await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name, password: `${name}-pw-1` } } });
        await a.grant({ type: grant.type, actorId: u.body.user.id, targetId: grant.targetId, roleId: (await a.findGlobalRole(grant.role))!.id });
      }
      member = (await issue(base, passwordAuth({ name: 'mia' }, 'mia-pw-1', { project: { id: h.adminProjectId } }))).id;
      sysReader = (await issue(base, passwordAuth({ name: 'sam' }, 'sam-pw-1', { system: { all: true } }))).id;
    });

    test('create, show, list with the type filter, update (extras merged), delete', async () => {
      const p = await create({ blob: '{"compute:start": ""}', type: 'application/json', 'x-y:z': 1, id: 'mine', links: { a: 1 }, note: 'n' });
      assert.match(p.id, /^[0-9a-f]{32}$/, 'Keystone assigns the id itself');
      assert.deepEqual(p, {
        x_y_z: 1, note: 'n', id: p.id, blob: '{"compute:start": ""}', type: 'application/json', links: { self: `${base}/v3/policies/${p.id}` },
      });
      assert.deepEqual((await call(base, 'GET', `/v3/policies/${p.id}`, { token: admin })).body, { policy: p });
      const other = await create({ blob: 'b', type: 'text/yaml' });
      assert.deepEqual(Object.keys(other).sort(), ['blob', 'id', 'links', 'type']);

      const list = await call(base, 'GET', '/v3/policies', { token: admin });
      assert.equal(list.status, 200, list.text);
      assert.deepEqual(list.body.links, { self: `${base}/v3/policies`, previous: null, next: null });
      assert.deepEqual(list.body.policies.find((x: any) => x.id === p.id), p);
      assert.deepEqual(await ids(), [p.id, other.id].sort());
      assert.deepEqual(await ids('?type=text/yaml'), [other.id]);
      assert.deepEqual(await ids('?type=nope'), []);

      const u = await call(base, 'PATCH', `/v3/policies/${p.id}`, { token: admin, body: { policy: { type: 'text/plain', note: 'm', extra2: true, 'a-b': 2 } } });
      assert.equal(u.status, 200, u.text);
      assert.deepEqual(u.body.policy, { ...p, type: 'text/plain', note: 'm', extra2: true, 'a-b': 2 });
      assert.deepEqual((await call(base, 'GET', `/v3/policies/${p.id}`, { token: admin })).body.policy, u.body.policy);
      const same = await call(base, 'PATCH', `/v3/policies/${p.id}`, { token: admin, body: { policy: { id: p.id, blob: 'new' } } });
      assert.equal(same.status, 200, same.text);
      assert.equal(same.body.policy.blob, 'new');
      assert.equal(same.body.policy.type, 'text/plain');

      assert.equal((await call(base, 'DELETE', `/v3/policies/${p.id}`, { token: admin })).status, 204);
      for (const [method, body] of [['GET', undefined], ['PATCH', { policy: { type: 't' } }], ['DELETE', undefined]] as const) {
        const e = keystoneError(await call(base, method, `/v3/policies/${p.id}`, { token: admin, body }), 404);
        assert.equal(e.message, `Could not find policy: ${p.id}.`);
      }
      assert.deepEqual(await ids(), [other.id]);
      // HEAD answers as GET does, without a body.
      const head = await call(base, 'HEAD', `/v3/policies/${other.id}`, { token: admin });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
    });

    test('bad input: Keystone schema messages, 400 and nothing written', async () => {
      const p = await create({ blob: 'b', type: 't' });
      const before = await ids();
      for (const [body, message] of [
        [{ policy: { blob: 1, type: 't' } }, "Invalid input for field 'blob': a value of type number is not of type 'string'"],
        [{ policy: { blob: 'b', type: null } }, "Invalid input for field 'type': null is not of type 'string'"],
        [{ policy: { blob: 'b', type: 'a'.repeat(256) } }, "Invalid input for field 'type': the value is longer than 255 characters"],
        [{ policy: { type: 't' } }, "'blob' is a required property"],
        [{ policy: { blob: 'b' } }, "'type' is a required property"],
        [{}, "'blob' is a required property"],
        [{ policy: 'x' }, `"x" is not of type 'object'`],
        [{ policy: null }, "null is not of type 'object'"],
      ] as const) {
        const e = keystoneError(await call(base, 'POST', '/v3/policies', { token: admin, body }), 400);
        assert.equal(e.message, message, JSON.stringify(body));
      }
      for (const [body, message] of [
        [{ policy: {} }, '{} does not have enough properties'],
        [{}, '{} does not have enough properties'],
        [{ policy: { blob: false } }, "Invalid input for field 'blob': a value of type boolean is not of type 'string'"],
        [{ policy: { id: 'other' } }, 'Cannot change policy ID'],
      ] as const) {
        const e = keystoneError(await call(base, 'PATCH', `/v3/policies/${p.id}`, { token: admin, body }), 400);
        assert.equal(e.message, message, JSON.stringify(body));
      }
      // The id check comes before the lookup, as in Keystone.
      assert.equal(keystoneError(await call(base, 'PATCH', '/v3/policies/nope', { token: admin, body: { policy: { id: 'other' } } }), 400).message, 'Cannot change policy ID');
      for (const method of ['POST', 'PATCH']) {
        const path = method === 'POST' ? '/v3/policies' : `/v3/policies/${p.id}`;
        assert.equal(keystoneError(await call(base, method, path, { token: admin, body: [] }), 400).message, INVALID_JSON);
        assert.equal(keystoneError(await call(base, method, path, { token: admin, raw: '{"policy":', headers: { 'Content-Type': 'application/json' } }), 400).message, INVALID_JSON);
      }
      keystoneError(await call(base, 'POST', '/v3/policies', { token: admin, body: { policy: { blob: 'x'.repeat(70 * 1024), type: 't' } } }), 413);
      assert.deepEqual(await ids(), before);
      assert.deepEqual((await call(base, 'GET', `/v3/policies/${p.id}`, { token: admin })).body.policy, { id: p.id, blob: 'b', type: 't', links: p.links });
    });

    test('policy: admin only for writes, admin or system reader for reads; the decision comes before the body is read', async () => {
      const p = await create({ blob: 'b', type: 't' });
      for (const t of [member, sysReader]) {
        for (const [method, path, body, action] of [
          ['POST', '/v3/policies', { policy: { blob: 'b', type: 't' } }, 'create_policy'],
          // Invalid bodies too: Keystone validates them only after the policy decision.
          ['POST', '/v3/policies', { policy: { blob: 5 } }, 'create_policy'],
          ['PATCH', `/v3/policies/${p.id}`, { policy: { type: 'u' } }, 'update_policy'],
          ['PATCH', `/v3/policies/${p.id}`, { policy: {} }, 'update_policy'],
          ['PATCH', '/v3/policies/nope', { policy: { type: 'u' } }, 'update_policy'],
          ['DELETE', `/v3/policies/${p.id}`, undefined, 'delete_policy'],
          ['DELETE', '/v3/policies/nope', undefined, 'delete_policy'],
        ] as const) {
          const e = keystoneError(await call(base, method, path, { token: t, body }), 403);
          assert.equal(e.message, `You are not authorized to perform the requested action: identity:${action}.`, `${method} ${path}`);
        }
      }
      for (const [path, action] of [['/v3/policies', 'list_policies'], [`/v3/policies/${p.id}`, 'get_policy'], ['/v3/policies/nope', 'get_policy']]) {
        const e = keystoneError(await call(base, 'GET', path!, { token: member }), 403);
        assert.equal(e.message, `You are not authorized to perform the requested action: identity:${action}.`);
      }
      assert.equal((await call(base, 'GET', '/v3/policies', { token: sysReader })).status, 200);
      assert.equal((await call(base, 'GET', `/v3/policies/${p.id}`, { token: sysReader })).body.policy.id, p.id);
      keystoneError(await call(base, 'GET', '/v3/policies/nope', { token: sysReader }), 404);
      keystoneError(await call(base, 'GET', '/v3/policies'), 401);
      assert.deepEqual((await call(base, 'GET', `/v3/policies/${p.id}`, { token: admin })).body.policy.type, 't', 'nothing written');
    });
  });
}
