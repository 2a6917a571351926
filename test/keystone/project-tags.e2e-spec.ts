import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ProjectTagEntity } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

const PW = 'parity-password-1';

/**
 * Project tags as Keystone has them (docs/keystone-resources-parity.md, "Tags"): the tag routes,
 * their limits and messages, the policy, tags in project bodies, and the tag list filters.
 */
for (const kind of databaseKinds()) {
  describe(`Keystone project tags (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    const { api, created, names } = adminCalls(ctx);

    before(() => {
      h = ctx.h;
    });

    describe('project tags', () => {
      let p: string;
      before(async () => {
        p = (await created('/v3/projects', { project: { name: 'tagged', tags: ['b', 'a'] } })).id;
      });

      test('list, add one, check, replace, delete one, delete all', async () => {
        const list = await api('GET', `/v3/projects/${p}/tags`);
        assert.equal(list.status, 200, list.text);
        assert.deepEqual(list.body.tags, ['a', 'b'], 'by name');
        assert.equal(list.body.links.self, `${h.url}/v3/projects/${p}/tags`);
        const put = await api('PUT', `/v3/projects/${p}/tags/new%20one`);
        assert.equal(put.status, 201, put.text);
        assert.equal(put.text, '');
        assert.equal(put.headers.get('location'), `${h.url}/v3/projects/${p}/tags/new%20one`);
        assert.equal((await api('GET', `/v3/projects/${p}/tags/new%20one`)).status, 204);
        assert.equal((await api('HEAD', `/v3/projects/${p}/tags/new%20one`)).status, 204);
        assert.equal((await api('HEAD', `/v3/projects/${p}/tags`)).status, 200);
        assert.equal(keystoneError(await api('GET', `/v3/projects/${p}/tags/New%20one`), 404).message, 'Could not find project tag: New one.', 'tags compare exactly');
        assert.equal((await api('HEAD', `/v3/projects/${p}/tags/absent`)).status, 404);
        const replaced = await api('PUT', `/v3/projects/${p}/tags`, { tags: ['z', ' padded ', 'Prod'] });
        assert.equal(replaced.status, 200, replaced.text);
        assert.deepEqual(replaced.body.tags, ['Prod', 'padded', 'z'], 'stripped, by code point');
        assert.deepEqual((await api('GET', `/v3/projects/${p}`)).body.project.tags, ['Prod', 'padded', 'z']);
        assert.equal((await api('DELETE', `/v3/projects/${p}/tags/z`)).status, 204);
        assert.equal(keystoneError(await api('DELETE', `/v3/projects/${p}/tags/z`), 404).message, 'Could not find project tag: z.');
        assert.deepEqual((await api('GET', `/v3/projects/${p}/tags`)).body.tags, ['Prod', 'padded']);
        assert.equal((await api('DELETE', `/v3/projects/${p}/tags`)).status, 204);
        assert.deepEqual((await api('GET', `/v3/projects/${p}/tags`)).body.tags, []);
      });

      test("Keystone's limits and messages: 80 tags, 255 characters, no ',' or '/', no repeats; nothing written", async () => {
        await api('PUT', `/v3/projects/${p}/tags`, { tags: ['keep'] });
        const cases: Array<[unknown, string]> = [
          [{ tags: ['x', 'y', 'x'] }, "['x', 'y', 'x'] has non-unique elements"],
          [{ tags: Array.from({ length: 81 }, (_, i) => `t${i}`) }, "['t0', 't1', "],
          [{}, "{} is not of type 'array'"],
          [{ tags: 'a' }, "Invalid input for field 'tags': 'a' is not of type 'array'"],
          [{ tags: ['a/b'] }, "Invalid input for field 'tags/0': 'a/b' does not match '^[^,/]*$'"],
          [{ tags: ['ok', 'a,b'] }, "Invalid input for field 'tags/1': 'a,b' does not match '^[^,/]*$'"],
          [{ tags: [''] }, "Invalid input for field 'tags/0': '' is too short"],
          [{ tags: [5] }, "Invalid input for field 'tags/0': 5 is not of type 'string'"],
          [{ tags: ['t'.repeat(256)] }, "Invalid input for field 'tags/0': 'tttt"],
          [{ tags: ['a'], other: 1 }, "Additional properties are not allowed ('other' was unexpected)"],
        ];
        for (const [body, message] of cases) {
          const e = keystoneError(await api('PUT', `/v3/projects/${p}/tags`, body), 400);
          assert.ok(e.message.startsWith(message), `${JSON.stringify(body).slice(0, 60)}: ${e.message}`);
        }
        assert.match(keystoneError(await api('PUT', `/v3/projects/${p}/tags`, { tags: Array.from({ length: 81 }, (_, i) => `t${i}`) }), 400).message, / is too long$/);
        assert.equal((await api('PUT', `/v3/projects/${p}/tags`, { tags: Array.from({ length: 80 }, (_, i) => `t${i}`) })).status, 200);
        assert.equal(keystoneError(await api('PUT', `/v3/projects/${p}/tags/t80`), 400).message.endsWith(' is too long'), true, 'the 81st tag');
        assert.equal((await api('PUT', `/v3/projects/${p}/tags`, { tags: ['keep', 'x'.repeat(255)] })).status, 200, '255 characters are fine');
        assert.equal(keystoneError(await api('PUT', `/v3/projects/${p}/tags/a%2Cb`), 400).message, "'a,b' does not match '^[^,/]*$'");
        assert.equal(keystoneError(await api('PUT', `/v3/projects/${p}/tags/a%2Fb`), 400).message, "'a/b' does not match '^[^,/]*$'");
        assert.match(keystoneError(await api('PUT', `/v3/projects/${p}/tags/keep`), 400).message, /^\['keep', 'x+… has non-unique elements$/);
        assert.equal(keystoneError(await api('PUT', `/v3/projects/${p}/tags/%20keep%20`), 400).message.includes('has non-unique elements'), true, 'stripped first');
        assert.equal(keystoneError(await api('POST', '/v3/projects', { project: { name: 'bad-tags', tags: ['a', 'a'] } }), 400).message,
          "Invalid input for field 'tags': ['a', 'a'] has non-unique elements");
        assert.equal(keystoneError(await api('PATCH', `/v3/projects/${p}`, { project: { tags: ['a/b'] } }), 400).message,
          "Invalid input for field 'tags/0': 'a/b' does not match '^[^,/]*$'");
        assert.deepEqual((await api('GET', `/v3/projects/${p}/tags`)).body.tags, ['keep', 'x'.repeat(255)]);
        assert.equal((await api('GET', '/v3/projects?name=bad-tags')).body.projects.length, 0);
      });

      test('unknown project: 404 on every tag route, after the checks Keystone makes first', async () => {
        for (const [method, path, body] of [['GET', '/tags'], ['PUT', '/tags', { tags: ['a'] }], ['DELETE', '/tags'], ['GET', '/tags/a'], ['PUT', '/tags/a'], ['DELETE', '/tags/a']] as const) {
          assert.equal(keystoneError(await api(method, `/v3/projects/nope${path}`, body), 404).message, 'Could not find project: nope.', `${method} ${path}`);
        }
        assert.equal(keystoneError(await api('PUT', '/v3/projects/nope/tags', { tags: ['a', 'a'] }), 400).message, "['a', 'a'] has non-unique elements");
        assert.equal(keystoneError(await api('PUT', '/v3/projects/nope/tags/a%2Cb'), 400).message, "'a,b' does not match '^[^,/]*$'");
      });

      test('policy: a member reads its project\'s tags but may not change them; others get 403 before 404', async () => {
        const mine = (await created('/v3/projects', { project: { name: 'member-p', tags: ['m'] } })).id;
        const u = (await h.get(IdentityService).createUser({ name: 'tag-member', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
        const a = h.get(AssignmentService);
        await a.grant({ type: 'UserProject', actorId: u, targetId: mine, roleId: (await a.findGlobalRole('member'))!.id });
        const t = (await issue(h.url, passwordAuth({ name: 'tag-member' }, PW, { project: { id: mine } }))).id;
        assert.deepEqual((await api('GET', `/v3/projects/${mine}/tags`, undefined, t)).body.tags, ['m']);
        assert.equal((await api('GET', `/v3/projects/${mine}/tags/m`, undefined, t)).status, 204);
        assert.equal(keystoneError(await api('PUT', `/v3/projects/${mine}/tags/n`, undefined, t), 403).message, 'You are not authorized to perform the requested action: identity:create_project_tag.');
        keystoneError(await api('PUT', `/v3/projects/${mine}/tags`, { tags: [] }, t), 403);
        keystoneError(await api('DELETE', `/v3/projects/${mine}/tags/m`, undefined, t), 403);
        keystoneError(await api('DELETE', `/v3/projects/${mine}/tags`, undefined, t), 403);
        keystoneError(await api('GET', `/v3/projects/${p}/tags`, undefined, t), 403);
        keystoneError(await api('GET', '/v3/projects/nope/tags', undefined, t), 403);
        assert.deepEqual((await api('GET', `/v3/projects/${mine}/tags`)).body.tags, ['m']);
      });

      test('the migrated project_tags table is exactly what the entity describes', async () => {
        const pending = (await h.ds.driver.createSchemaBuilder().log()).upQueries.map((q) => q.query).filter((q) => /project_tags|tags`? text|uq_credentials_access_key/.test(q));
        assert.deepEqual(pending, []);
      });

      test('create and PATCH with tags replace them; deleting a project takes its tag rows', async () => {
        const q = await created('/v3/projects', { project: { name: 'body-tags', tags: ['one', 'two'] } });
        assert.deepEqual(q.tags, ['one', 'two']);
        const patched = await api('PATCH', `/v3/projects/${q.id}`, { project: { tags: ['three'] } });
        assert.deepEqual(patched.body.project.tags, ['three']);
        assert.deepEqual((await api('PATCH', `/v3/projects/${q.id}`, { project: { description: 'd' } })).body.project.tags, ['three'], 'kept when not sent');
        assert.equal((await api('DELETE', `/v3/projects/${q.id}`)).status, 204);
        assert.equal(await h.ds.getRepository(ProjectTagEntity).countBy({ projectId: q.id }), 0);
      });
    });

    describe('tag filters on GET /v3/projects', () => {
      before(async () => {
        for (const [name, tags] of [['f-ab', ['fa', 'fb']], ['f-a', ['fa']], ['f-b', ['fb']], ['f-c', ['fc']], ['f-none', []], ['f-caps', ['FA']]] as const) {
          await created('/v3/projects', { project: { name, tags } });
        }
      });
      const listed = async (query: string) => names(await api('GET', `/v3/projects?${query}`), 'projects').filter((n) => n.startsWith('f-'));

      test('tags, tags-any, not-tags, not-tags-any, alone and together (tags compare exactly)', async () => {
        assert.deepEqual(await listed('tags=fa'), ['f-a', 'f-ab']);
        assert.deepEqual(await listed('tags=fa,fb'), ['f-ab']);
        assert.deepEqual(await listed('tags=fa,fa'), ['f-a', 'f-ab']);
        assert.deepEqual(await listed('tags=FA'), ['f-caps']);
        assert.deepEqual(await listed('tags-any=fa,fc'), ['f-a', 'f-ab', 'f-c']);
        assert.deepEqual(await listed('not-tags=fa,fb'), ['f-a', 'f-b', 'f-c', 'f-caps', 'f-none']);
        assert.deepEqual(await listed('not-tags-any=fa,fb'), ['f-c', 'f-caps', 'f-none']);
        assert.deepEqual(await listed('tags=fa&tags-any=fb,fc'), ['f-ab']);
        assert.deepEqual(await listed('tags-any=fa,fb&not-tags=fa,fb'), ['f-a', 'f-b']);
        assert.deepEqual(await listed('tags-any=fa,fb,fc&not-tags-any=fb'), ['f-a', 'f-c']);
        assert.deepEqual(await listed('not-tags=fa,fb&not-tags-any=fc,FA'), ['f-a', 'f-b', 'f-none']);
        assert.deepEqual(await listed('tags=nothing'), []);
        assert.deepEqual(await listed('tags=fa&name=f-a'), ['f-a']);
      });
    });
  });
}
