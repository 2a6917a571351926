import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, CredentialService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, INVALID_JSON, issue, keystoneError, passwordAuth, statusOnceRevoked } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';


/** Users, projects and domains: Keystone bodies, cascades, token invalidation, bad input. */
for (const kind of databaseKinds()) {
  describe(`Keystone users, projects, domains (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_REVOCATION_REFRESH_MS: '100' });
    let h: Harness;
    let base: string;
    let admin: string;
    const grant = async (userId: string, projectId: string, role = 'member') => {
      const a = h.get(AssignmentService);
      await a.grant({ type: 'UserProject', actorId: userId, targetId: projectId, roleId: (await a.findGlobalRole(role))!.id });
    };

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
    });

    test('create a domain, a project and a child project in it, a user; read them back', async () => {
      const d = await call(base, 'POST', '/v3/domains', { token: admin, body: { domain: { name: 'acme', description: 'Acme Inc.' } } });
      assert.equal(d.status, 201, d.text);
      assert.deepEqual(Object.keys(d.body.domain).sort(), ['description', 'enabled', 'id', 'links', 'name', 'options', 'tags']);
      const domainId = d.body.domain.id;
      const p = await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'web', domain_id: domainId, tags: ['prod'] } } });
      assert.equal(p.status, 201, p.text);
      assert.equal(p.body.project.parent_id, domainId);
      assert.deepEqual(p.body.project.tags, ['prod']);
      // Keystone takes the domain from the token (Default here), not from the parent: 400.
      const stray = keystoneError(await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'web-child', parent_id: p.body.project.id } } }), 400);
      assert.equal(stray.message, `Cannot create project, since it specifies its domain_id default, but specifies a parent in a different domain (${domainId}).`);
      const child = await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'web-child', parent_id: p.body.project.id, domain_id: domainId } } });
      assert.equal(child.status, 201, child.text);
      assert.equal(child.body.project.domain_id, domainId);
      const u = await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'carol', domain_id: domainId, password: 'carol-pw-1', email: 'c@example.com' } } });
      assert.equal(u.status, 201, u.text);
      assert.equal(u.body.user.email, 'c@example.com');
      assert.equal(u.body.user.password, undefined);
      assert.equal(u.body.user.password_expires_at, null);
      assert.equal((await call(base, 'GET', `/v3/users/${u.body.user.id}`, { token: admin })).body.user.name, 'carol');
      assert.equal((await call(base, 'GET', `/v3/projects?domain_id=${domainId}`, { token: admin })).body.projects.length, 2);
      assert.equal((await call(base, 'GET', '/v3/domains?name=acme', { token: admin })).body.domains[0].id, domainId);
    });

    test('duplicates 409, unknown ids 404, bad bodies 400, non-admin 403 — and nothing written', async () => {
      const e = keystoneError(await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'admin', domain_id: 'default' } } }), 409);
      assert.equal(e.message, 'Conflict occurred attempting to store user - Duplicate entry found with name admin at domain ID default.');
      keystoneError(await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'admin' } } }), 409);
      keystoneError(await call(base, 'POST', '/v3/domains', { token: admin, body: { domain: { name: 'Default' } } }), 409);
      keystoneError(await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'x', domain_id: 'nope' } } }), 404);
      keystoneError(await call(base, 'PATCH', '/v3/users/nope', { token: admin, body: { user: { enabled: false } } }), 404);
      keystoneError(await call(base, 'DELETE', '/v3/projects/nope', { token: admin }), 404);
      for (const body of [{}, { user: 'x' }, { user: {} }, { user: { name: 5 } }, { user: { name: 'y', enabled: 'yes' } }, { user: { name: '' } }]) {
        keystoneError(await call(base, 'POST', '/v3/users', { token: admin, body }), 400);
      }
      keystoneError(await call(base, 'PATCH', `/v3/users/${h.adminUserId}`, { token: admin, body: { user: { id: 'other' } } }), 400);
      assert.equal(keystoneError(await call(base, 'POST', '/v3/users', { token: admin, raw: '{"user":', headers: { 'Content-Type': 'application/json' } }), 400).message, INVALID_JSON);
      keystoneError(await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'big', pad: 'x'.repeat(70 * 1024) } } }), 413);
      const u = (await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'dave', password: 'dave-pw-1' } } })).body.user;
      const dave = (await issue(base, passwordAuth({ name: 'dave' }, 'dave-pw-1'))).id;
      keystoneError(await call(base, 'POST', '/v3/users', { token: dave, body: { user: { name: 'eve' } } }), 403);
      keystoneError(await call(base, 'GET', '/v3/users', { token: dave }), 403);
      assert.equal((await call(base, 'GET', `/v3/users/${u.id}`, { token: dave })).status, 200, 'a user reads themself');
      assert.equal((await call(base, 'GET', '/v3/users?name=eve', { token: admin })).body.users.length, 0);
    });

    test('concurrent creates of one name: one 201, the rest 409, one row', async () => {
      const results = await Promise.all(Array.from({ length: 8 }, () => call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'race' } } })));
      assert.deepEqual(results.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409, 409, 409]);
      assert.equal((await call(base, 'GET', '/v3/projects?name=race', { token: admin })).body.projects.length, 1);
    });

    test('disabling a user (PATCH) kills their tokens; a self-service password change too', async () => {
      const u = (await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'frank', password: 'frank-pw-1' } } })).body.user;
      let t = (await issue(base, passwordAuth({ name: 'frank' }, 'frank-pw-1'))).id;
      assert.equal((await call(base, 'PATCH', `/v3/users/${u.id}`, { token: admin, body: { user: { enabled: false } } })).body.user.enabled, false);
      assert.equal(await statusOnceRevoked(base, admin, t), 404);
      keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'frank' }, 'frank-pw-1') }), 401);
      await call(base, 'PATCH', `/v3/users/${u.id}`, { token: admin, body: { user: { enabled: true } } });
      t = (await issue(base, passwordAuth({ name: 'frank' }, 'frank-pw-1'))).id;
      keystoneError(await call(base, 'POST', `/v3/users/${u.id}/password`, { token: t, body: { user: { original_password: 'wrong', password: 'frank-pw-2' } } }), 401);
      // Another user's password cannot be changed with one's own.
      keystoneError(await call(base, 'POST', `/v3/users/${h.adminUserId}/password`, { token: t, body: { user: { original_password: 'frank-pw-1', password: 'x' } } }), 401);
      const ok = await call(base, 'POST', `/v3/users/${u.id}/password`, { token: t, body: { user: { original_password: 'frank-pw-1', password: 'frank-pw-2' } } });
      assert.equal(ok.status, 204, ok.text);
      assert.equal(await statusOnceRevoked(base, admin, t), 404);
      keystoneError(await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'frank' }, 'frank-pw-1') }), 401);
      assert.equal((await call(base, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'frank' }, 'frank-pw-2') })).status, 201);
    });

    test('deleting a project: refused while it has children; then grants, credentials and tokens go with it', async () => {
      const parent = (await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'doomed' } } })).body.project;
      const child = (await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'doomed-child', parent_id: parent.id } } })).body.project;
      const u = (await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'gina', password: 'gina-pw-1' } } })).body.user;
      await grant(u.id, parent.id);
      const t = (await issue(base, passwordAuth({ name: 'gina' }, 'gina-pw-1', { project: { id: parent.id } }))).id;
      await h.get(CredentialService).create({ userId: u.id, projectId: parent.id, type: 'ec2', issuer: 'test', blob: JSON.stringify({ access: 'gina-ak', secret: 'gina-sk' }) });
      const e = keystoneError(await call(base, 'DELETE', `/v3/projects/${parent.id}`, { token: admin }), 403);
      assert.match(e.message, /is not a leaf in the hierarchy/);
      assert.equal((await call(base, 'DELETE', `/v3/projects/${child.id}`, { token: admin })).status, 204);
      assert.equal((await call(base, 'DELETE', `/v3/projects/${parent.id}`, { token: admin })).status, 204);
      assert.equal(await statusOnceRevoked(base, admin, t), 404);
      assert.equal(await h.get(CredentialService).findByAccessKey('gina-ak'), null);
      assert.deepEqual((await call(base, 'GET', `/v3/users/${u.id}/projects`, { token: admin })).body.projects, []);
    });

    test('deleting a user removes their credentials and revokes their tokens', async () => {
      const u = (await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'hank', password: 'hank-pw-1' } } })).body.user;
      const t = (await issue(base, passwordAuth({ name: 'hank' }, 'hank-pw-1'))).id;
      await h.get(CredentialService).create({ userId: u.id, projectId: h.adminProjectId, type: 'ec2', issuer: 'test', blob: JSON.stringify({ access: 'hank-ak', secret: 'hank-sk' }) });
      assert.equal((await call(base, 'DELETE', `/v3/users/${u.id}`, { token: admin })).status, 204);
      assert.equal(await statusOnceRevoked(base, admin, t), 404);
      assert.equal(await h.get(CredentialService).findByAccessKey('hank-ak'), null);
      keystoneError(await call(base, 'GET', `/v3/users/${u.id}`, { token: admin }), 404);
    });

    test('an enabled domain cannot be deleted; a disabled one goes with its projects and users', async () => {
      const d = (await call(base, 'POST', '/v3/domains', { token: admin, body: { domain: { name: 'gone' } } })).body.domain;
      const p = (await call(base, 'POST', '/v3/projects', { token: admin, body: { project: { name: 'p', domain_id: d.id } } })).body.project;
      const u = (await call(base, 'POST', '/v3/users', { token: admin, body: { user: { name: 'ivan', domain_id: d.id, password: 'ivan-pw-1' } } })).body.user;
      await grant(u.id, p.id);
      const t = (await issue(base, passwordAuth({ name: 'ivan', domain: { id: d.id } }, 'ivan-pw-1', { project: { id: p.id } }))).id;
      const e = keystoneError(await call(base, 'DELETE', `/v3/domains/${d.id}`, { token: admin }), 403);
      assert.equal(e.message, 'Cannot delete a domain that is enabled, please disable it first.');
      assert.equal((await call(base, 'PATCH', `/v3/domains/${d.id}`, { token: admin, body: { domain: { enabled: false } } })).status, 200);
      assert.equal(await statusOnceRevoked(base, admin, t), 404);
      assert.equal((await call(base, 'DELETE', `/v3/domains/${d.id}`, { token: admin })).status, 204);
      keystoneError(await call(base, 'GET', `/v3/projects/${p.id}`, { token: admin }), 404);
      keystoneError(await call(base, 'GET', `/v3/users/${u.id}`, { token: admin }), 404);
    });
  });
}
