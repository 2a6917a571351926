import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DEFAULT_DOMAIN_ID, ProjectTagEntity } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, keystoneError } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/**
 * Projects acting as domains, Keystone's checks when a project is created, and the name rules of
 * projects and domains (docs/keystone-resources-parity.md).
 */
for (const kind of databaseKinds()) {
  describe(`Keystone projects acting as domains, project creation (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    const { api, created, names } = adminCalls(ctx);

    before(() => {
      h = ctx.h;
    });

    describe('projects acting as domains', () => {
      test('POST is_domain=true makes a domain, listed by /v3/domains and by /v3/projects?is_domain=true only', async () => {
        const d = await created('/v3/projects', { project: { name: 'as-domain', is_domain: true, description: 'dd', tags: ['dt'], domain_id: null } });
        assert.deepEqual({ ...d, id: undefined, links: undefined }, {
          id: undefined, links: undefined, name: 'as-domain', domain_id: null, parent_id: null, is_domain: true, description: 'dd', enabled: true, tags: ['dt'], options: {},
        });
        assert.ok((await api('GET', '/v3/domains')).body.domains.some((x: { id: string }) => x.id === d.id));
        assert.equal((await api('GET', `/v3/domains/${d.id}`)).body.domain.name, 'as-domain');
        const asProjects = (await api('GET', '/v3/projects?is_domain=true')).body.projects as Array<{ id: string; is_domain: boolean; domain_id: null }>;
        assert.ok(asProjects.some((x) => x.id === d.id) && asProjects.some((x) => x.id === DEFAULT_DOMAIN_ID));
        assert.ok(asProjects.every((x) => x.is_domain && x.domain_id === null));
        assert.ok(!(await api('GET', '/v3/projects')).body.projects.some((x: { is_domain: boolean }) => x.is_domain), 'is_domain=false by default');
        assert.ok(!(await api('GET', '/v3/projects?is_domain=false')).body.projects.some((x: { id: string }) => x.id === d.id));
        assert.deepEqual(names(await api('GET', '/v3/projects?is_domain=true&tags=dt'), 'projects'), ['as-domain']);
        assert.deepEqual(names(await api('GET', '/v3/projects?is_domain=true&domain_id=default'), 'projects'), []);
        assert.deepEqual((await api('GET', '/v3/projects/default')).body.project, {
          id: 'default', name: 'Default', domain_id: null, parent_id: null, is_domain: true, description: 'The default domain', enabled: true, tags: [], options: {},
          links: { self: `${h.url}/v3/projects/default` },
        });
        // A project in the new domain, and the domain's tags through the projects API.
        const child = await created('/v3/projects', { project: { name: 'in-as-domain', domain_id: d.id } });
        assert.equal(child.parent_id, d.id);
        assert.equal((await api('PUT', `/v3/projects/${d.id}/tags/more`)).status, 201);
        assert.deepEqual((await api('GET', `/v3/domains/${d.id}`)).body.domain.tags, ['dt', 'more']);
        // Changed, then deleted through /v3/projects (tempest's cleanup: disable, then delete).
        keystoneError(await api('DELETE', `/v3/projects/${d.id}`), 403);
        const renamed = await api('PATCH', `/v3/projects/${d.id}`, { project: { name: 'as-domain-2', enabled: false, is_domain: true, domain_id: null } });
        assert.equal(renamed.status, 200, renamed.text);
        assert.equal(renamed.body.project.is_domain, true);
        assert.equal((await api('GET', `/v3/domains/${d.id}`)).body.domain.name, 'as-domain-2');
        assert.equal(keystoneError(await api('PATCH', `/v3/projects/${d.id}`, { project: { is_domain: false } }), 400).message, 'Update of `is_domain` is not allowed.');
        assert.equal(keystoneError(await api('PATCH', `/v3/projects/${d.id}`, { project: { domain_id: 'default' } }), 400).message, 'Cannot change Domain ID');
        assert.equal((await api('DELETE', `/v3/projects/${d.id}`)).status, 204);
        keystoneError(await api('GET', `/v3/domains/${d.id}`), 404);
        keystoneError(await api('GET', `/v3/projects/${child.id}`), 404);
        assert.equal(await h.ds.getRepository(ProjectTagEntity).countBy({ projectId: d.id }), 0);
      });

      test('a project acting as a domain is a root; its name is unique among domains', async () => {
        for (const extra of [{ domain_id: 'default' }, { parent_id: 'default' }]) {
          assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'not-root', is_domain: true, ...extra } }), 400).message, 'only root projects are allowed to act as domains.');
        }
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'Default', is_domain: true } }), 409).message,
          'Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: Default.');
        assert.equal(keystoneError(await api('POST', '/v3/domains', { domain: { name: 'Default' } }), 409).message,
          'Conflict occurred attempting to store project - it is not permitted to have two projects acting as domains with the same name: Default.');
        keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', is_domain: 'yes' } }), 400);
      });
    });

    describe('creating a project (Keystone\'s checks, 400 where it says 400)', () => {
      test('unknown domain or parent, mismatched domains, disabled branch, depth', async () => {
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', domain_id: 'nope' } }), 400).message, 'Could not find domain: nope.');
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', parent_id: 'nope' } }), 400).message, 'Could not find project: nope.');
        const other = await created('/v3/domains', { domain: { name: 'other-dom' } });
        const inOther = await created('/v3/projects', { project: { name: 'in-other', domain_id: other.id } });
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', parent_id: inOther.id } }), 400).message,
          `Cannot create project, since it specifies its domain_id default, but specifies a parent in a different domain (${other.id}).`);
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', domain_id: other.id, parent_id: 'default' } }), 400).message,
          `Cannot create project, the parent (default) is acting as a domain, but this project's domain id (${other.id}) does not match the parent's id.`);
        await api('PATCH', `/v3/projects/${inOther.id}`, { project: { enabled: false } });
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', domain_id: other.id, parent_id: inOther.id } }), 400).message,
          `cannot create a project in a branch containing a disabled project: ${inOther.id}`);
        await api('PATCH', `/v3/domains/${other.id}`, { domain: { enabled: false } });
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'x', domain_id: other.id } }), 400).message,
          `cannot create a project in a branch containing a disabled project: ${other.id}`);
        let parent = DEFAULT_DOMAIN_ID;
        for (let level = 1; level <= 5; level++) parent = (await created('/v3/projects', { project: { name: `deep-${level}`, parent_id: parent } })).id;
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'deep-6', parent_id: parent } }), 403).message, `Max hierarchy depth reached for ${parent} branch.`);
        assert.equal((await api('GET', '/v3/projects?name=x')).body.projects.length, 0, 'nothing written');
      });

      test('names: 1 to 64 characters, not only white space, stripped; same rules for domains', async () => {
        for (const [path, member] of [['/v3/projects', 'project'], ['/v3/domains', 'domain']] as const) {
          const long = 'n'.repeat(65);
          assert.equal(keystoneError(await api('POST', path, { [member]: { name: long } }), 400).message, `Invalid input for field 'name': '${long}' is too long`);
          assert.equal(keystoneError(await api('POST', path, { [member]: { name: '' } }), 400).message, `Invalid input for field 'name': '' is too short`);
          assert.equal(keystoneError(await api('POST', path, { [member]: { name: '  \t' } }), 400).message, `Invalid input for field 'name': '  \\t' does not match '[\\\\S]+'`);
          assert.equal(keystoneError(await api('POST', path, { [member]: { name: 7 } }), 400).message, `Invalid input for field 'name': 7 is not of type 'string'`);
          const ok = await created(path, { [member]: { name: `  ${'é'.repeat(60)}  ` } });
          assert.equal(ok.name, 'é'.repeat(60), 'stripped; the 64 characters counted before');
          keystoneError(await api('POST', path, { [member]: { name: ` ${'é'.repeat(64)}` } }), 400);
          keystoneError(await api('PATCH', `${path}/${ok.id}`, { [member]: { name: long } }), 400);
          assert.equal((await api('PATCH', `${path}/${ok.id}`, { [member]: { name: ' renamed ' } })).body[member].name, 'renamed');
        }
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'admin' } }), 409).message.startsWith(
          'Conflict occurred attempting to store project - it is not permitted to have two projects with either the same name or same id in the same domain: name is admin, project id '), true);
      });

      test('PATCH: parent_id may not change (403)', async () => {
        const q = await created('/v3/projects', { project: { name: 'fixed-parent' } });
        assert.equal(keystoneError(await api('PATCH', `/v3/projects/${q.id}`, { project: { parent_id: h.adminProjectId } }), 403).message, 'Update of `parent_id` is not allowed.');
        assert.equal((await api('PATCH', `/v3/projects/${q.id}`, { project: { parent_id: 'default', domain_id: 'default', is_domain: false, description: 'same' } })).status, 200);
      });
    });
  });
}
