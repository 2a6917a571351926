import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { TokenService } from '@lintel/auth';
import { AssignmentService, ProjectEndpointEntity, ProjectEndpointGroupEntity, SYSTEM_TARGET_ID } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, expecting, INVALID_JSON, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

const EP = '/v3/OS-EP-FILTER';

/** A token catalog reduced to `service id -> sorted endpoint ids`. */
function catalogOf(catalog: Array<{ id: string; endpoints: Array<{ id: string }> }>): Record<string, string[]> {
  return Object.fromEntries(catalog.map((s) => [s.id, s.endpoints.map((e) => e.id).sort()]));
}

/** OS-EP-FILTER (docs/keystone-catalog-extensions.md, "Endpoint filter"). */
for (const kind of databaseKinds()) {
  describe(`Keystone endpoint filter (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let base: string;
    let admin: string;
    let member: string;
    let sysReader: string;
    /** Two compute endpoints (public, internal) and one image endpoint, on their own services. */
    let compute: { id: string };
    let image: { id: string };
    let cPublic: { id: string };
    let cInternal: { id: string };
    let iPublic: { id: string };
    let patId: string;

    const req = async (method: string, path: string, body?: unknown, status = 200, token = admin) => {
      const r = await call(base, method, path, { token, body });
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      return r.body;
    };
    const newProject = async (name: string, domainId = 'default') => {
      const p = (await req('POST', '/v3/projects', { project: { name, domain_id: domainId } }, 201)).project;
      const a = h.get(AssignmentService);
      await a.grant({ type: 'UserProject', actorId: patId, targetId: p.id, roleId: (await a.findGlobalRole('member'))!.id });
      return p;
    };
    const patToken = async (projectId: string) => issue(base, passwordAuth({ name: 'pat' }, 'pat-pw-1', { project: { id: projectId } }));
    const group = async (name: string, filters: Record<string, unknown>) =>
      (await req('POST', `${EP}/endpoint_groups`, { endpoint_group: { name, filters } }, 201)).endpoint_group;

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const a = h.get(AssignmentService);
      for (const [name, grant] of [
        ['mia', { type: 'UserProject' as const, targetId: h.adminProjectId, role: 'member' }],
        ['sam', { type: 'UserSystem' as const, targetId: SYSTEM_TARGET_ID, role: 'reader' }],
      ] as const) {
        const u = await req('POST', '/v3/users', { user: { name, password: `${name}-pw-1` } }, 201);
        await a.grant({ type: grant.type, actorId: u.user.id, targetId: grant.targetId, roleId: (await a.findGlobalRole(grant.role))!.id });
      }
      member = (await issue(base, passwordAuth({ name: 'mia' }, 'mia-pw-1', { project: { id: h.adminProjectId } }))).id;
      sysReader = (await issue(base, passwordAuth({ name: 'sam' }, 'sam-pw-1', { system: { all: true } }))).id;
      patId = (await req('POST', '/v3/users', { user: { name: 'pat', password: 'pat-pw-1' } }, 201)).user.id;

      compute = (await req('POST', '/v3/services', { service: { type: 'compute', name: 'nova' } }, 201)).service;
      image = (await req('POST', '/v3/services', { service: { type: 'image', name: 'glance' } }, 201)).service;
      const endpoint = async (service_id: string, iface: string, url: string) =>
        (await req('POST', '/v3/endpoints', { endpoint: { service_id, interface: iface, url, region_id: 'RegionOne' } }, 201)).endpoint;
      cPublic = await endpoint(compute.id, 'public', 'http://nova/v2.1/$(project_id)s');
      cInternal = await endpoint(compute.id, 'internal', 'http://nova-int/v2.1');
      iPublic = await endpoint(image.id, 'public', 'http://glance');
    });

    test('endpoint groups: create, show (HEAD too), list with the name filter, update, delete; Keystone bodies and 404s', async () => {
      const g = (await req('POST', `${EP}/endpoint_groups`, { endpoint_group: { name: 'computes', filters: { service_id: compute.id } } }, 201)).endpoint_group;
      assert.match(g.id, /^[0-9a-f]{32}$/);
      assert.deepEqual(g, {
        id: g.id, name: 'computes', description: null, filters: { service_id: compute.id }, links: { self: `${base}${EP}/endpoint_groups/${g.id}` },
      });
      assert.deepEqual(await req('GET', `${EP}/endpoint_groups/${g.id}`), { endpoint_group: g });
      const head = await call(base, 'HEAD', `${EP}/endpoint_groups/${g.id}`, { token: admin });
      assert.equal(head.status, 200);
      assert.equal(head.text, '');
      const other = await group('publics', { interface: 'public', region_id: 'RegionOne' });

      const list = await req('GET', `${EP}/endpoint_groups`);
      assert.deepEqual(list.links, { self: `${base}${EP}/endpoint_groups`, previous: null, next: null });
      assert.deepEqual(list.endpoint_groups.map((x: any) => x.id).sort(), [g.id, other.id].sort());
      assert.deepEqual(list.endpoint_groups.find((x: any) => x.id === g.id), g);
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups?name=publics`)).endpoint_groups.map((x: any) => x.id), [other.id]);
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups?name=nope`)).endpoint_groups, []);

      // The endpoints a group stands for: every endpoint whose attributes equal its filters.
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups/${g.id}/endpoints`)).endpoints.map((e: any) => e.id).sort(), [cPublic.id, cInternal.id].sort());
      const publics = await req('GET', `${EP}/endpoint_groups/${other.id}/endpoints`);
      assert.deepEqual(publics.links, { self: `${base}${EP}/endpoint_groups/${other.id}/endpoints`, previous: null, next: null });
      assert.ok(publics.endpoints.some((e: any) => e.id === iPublic.id) && publics.endpoints.every((e: any) => e.interface === 'public'));
      assert.deepEqual(publics.endpoints.find((e: any) => e.id === iPublic.id), iPublic, 'endpoints are shown as /v3/endpoints shows them');

      const u = await req('PATCH', `${EP}/endpoint_groups/${g.id}`, { endpoint_group: { name: 'nova-only', description: 'd', filters: { service_id: compute.id, interface: 'internal' } } });
      assert.deepEqual(u.endpoint_group, { ...g, name: 'nova-only', description: 'd', filters: { service_id: compute.id, interface: 'internal' } });
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups/${g.id}/endpoints`)).endpoints.map((e: any) => e.id), [cInternal.id]);
      assert.equal((await req('PATCH', `${EP}/endpoint_groups/${g.id}`, { endpoint_group: { description: null } })).endpoint_group.description, null);

      assert.equal((await call(base, 'DELETE', `${EP}/endpoint_groups/${g.id}`, { token: admin })).status, 204);
      for (const [method, path, body] of [
        ['GET', `${EP}/endpoint_groups/${g.id}`, undefined], ['PATCH', `${EP}/endpoint_groups/${g.id}`, { endpoint_group: { name: 'x' } }],
        ['DELETE', `${EP}/endpoint_groups/${g.id}`, undefined], ['GET', `${EP}/endpoint_groups/${g.id}/endpoints`, undefined],
      ] as const) {
        assert.equal(keystoneError(await call(base, method, path, { token: admin, body }), 404).message, `Could not find Endpoint Group: ${g.id}.`);
      }
      await req('DELETE', `${EP}/endpoint_groups/${other.id}`, undefined, 204);
    });

    test('endpoint groups: bad bodies are 400 with Keystone messages, and nothing is written', async () => {
      const g = await group('kept', { interface: 'admin' });
      const count = async () => (await req('GET', `${EP}/endpoint_groups`)).endpoint_groups.length;
      const before = await count();
      const ok = { name: 'n', filters: { interface: 'public' } };
      for (const [body, message] of [
        [{ endpoint_group: { name: 'n', filters: { interface: 'bogus' } } }, `Invalid input for field 'endpoint_group/filters/interface': "bogus" is not one of ['admin', 'internal', 'public']`],
        [{ endpoint_group: { name: 'n', filters: { service_id: 5 } } }, "Invalid input for field 'endpoint_group/filters/service_id': 5 is not of type 'string'"],
        [{ endpoint_group: { name: 'n', filters: { region_id: [] } } }, "Invalid input for field 'endpoint_group/filters/region_id': [] is not of type 'string', 'null'"],
        [{ endpoint_group: { name: 'n', filters: 'x' } }, `Invalid input for field 'endpoint_group/filters': "x" is not of type 'object'`],
        [{ endpoint_group: { name: 'n', filters: {} } }, 'filters field is required and cannot be empty'],
        [{}, 'filters field is required and cannot be empty'],
        [{ endpoint_group: { name: 'n', filters: { enabled: true } } }, expecting('service_id or region_id or interface', 'endpoint_group')],
        [{ endpoint_group: { name: 'n', filters: { region: 'RegionOne' } } }, expecting('service_id or region_id or interface', 'endpoint_group')],
        [{ endpoint_group: { filters: { interface: 'public' } } }, "Invalid input for field 'endpoint_group': 'name' is a required property"],
        [{ endpoint_group: { name: 'n' } }, "Invalid input for field 'endpoint_group': 'filters' is a required property"],
        [{ endpoint_group: { ...ok, name: '' } }, "Invalid input for field 'endpoint_group/name': '' is too short"],
        [{ endpoint_group: { ...ok, name: '   ' } }, `Invalid input for field 'endpoint_group/name': "   " does not match '[\\S]+'`],
        [{ endpoint_group: { ...ok, name: 'a'.repeat(256) } }, "Invalid input for field 'endpoint_group/name': the value is longer than 255 characters"],
        [{ endpoint_group: { ...ok, description: 5 } }, "Invalid input for field 'endpoint_group/description': 5 is not of type 'string', 'null'"],
        [{ endpoint_group: { ...ok, id: 'mine' } }, "Invalid input for field 'endpoint_group': Additional properties are not allowed ('id' was unexpected)"],
        [{ endpoint_group: ok, other: 1 }, "Additional properties are not allowed ('other' was unexpected)"],
        [{ endpoint_group: [] }, "Invalid input for field 'endpoint_group': [] is not of type 'object'"],
      ] as const) {
        const e = keystoneError(await call(base, 'POST', `${EP}/endpoint_groups`, { token: admin, body }), 400);
        assert.equal(e.message, message, JSON.stringify(body));
      }
      for (const [body, message] of [
        [{}, "'endpoint_group' is a required property"],
        [{ endpoint_group: {} }, "Invalid input for field 'endpoint_group': {} does not have enough properties"],
        [{ endpoint_group: { filters: { url: 'x' } } }, expecting('service_id or region_id or interface', 'endpoint_group')],
        [{ endpoint_group: { id: g.id } }, "Invalid input for field 'endpoint_group': Additional properties are not allowed ('id' was unexpected)"],
        [{ endpoint_group: { name: 7 } }, "Invalid input for field 'endpoint_group/name': 7 is not of type 'string'"],
      ] as const) {
        const e = keystoneError(await call(base, 'PATCH', `${EP}/endpoint_groups/${g.id}`, { token: admin, body }), 400);
        assert.equal(e.message, message, JSON.stringify(body));
      }
      assert.equal(keystoneError(await call(base, 'POST', `${EP}/endpoint_groups`, { token: admin, body: [ok] }), 400).message, INVALID_JSON);
      assert.equal(keystoneError(await call(base, 'POST', `${EP}/endpoint_groups`, { token: admin, raw: '{"endpoint_group":', headers: { 'Content-Type': 'application/json' } }), 400).message, INVALID_JSON);
      // An empty filter on update is allowed, as in Keystone: the group then stands for every endpoint.
      const all = await req('PATCH', `${EP}/endpoint_groups/${g.id}`, { endpoint_group: { filters: {} } });
      assert.deepEqual(all.endpoint_group.filters, {});
      assert.ok((await req('GET', `${EP}/endpoint_groups/${g.id}/endpoints`)).endpoints.length >= 3);
      assert.equal(await count(), before);
      await req('DELETE', `${EP}/endpoint_groups/${g.id}`, undefined, 204);
    });

    test('project associations: groups and endpoints, their listings, 409 on repeats, 404s in Keystone order', async () => {
      const p = await newProject('assoc');
      const g = await group('images', { service_id: image.id });

      // Endpoint group <-> project.
      const link = `${EP}/endpoint_groups/${g.id}/projects/${p.id}`;
      assert.equal(keystoneError(await call(base, 'GET', link, { token: admin }), 404).message, 'Endpoint Group Project Association not found');
      await req('PUT', link, undefined, 204);
      assert.equal(keystoneError(await call(base, 'PUT', link, { token: admin }), 409).message, 'Conflict occurred attempting to store project_endpoint_group - Duplicate entry.');
      assert.deepEqual(await req('GET', link), {
        project_endpoint_group: { endpoint_group_id: g.id, project_id: p.id, links: { self: `/OS-EP-FILTER/endpoint_groups/${g.id}/projects/${p.id}` } },
      });
      assert.equal((await call(base, 'HEAD', link, { token: admin })).status, 200);
      const projects = await req('GET', `${EP}/endpoint_groups/${g.id}/projects`);
      assert.deepEqual(projects.projects, [p]);
      assert.deepEqual(projects.links, { self: `${base}${EP}/endpoint_groups/${g.id}/projects`, previous: null, next: null });
      assert.deepEqual((await req('GET', `${EP}/projects/${p.id}/endpoint_groups`)).endpoint_groups, [g]);
      assert.deepEqual((await req('GET', `${EP}/projects/${p.id}/endpoints`)).endpoints.map((e: any) => e.id), [iPublic.id]);
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups/nope/projects`)).projects, [], 'Keystone does not look the group up here');
      for (const [method, path, message] of [
        ['PUT', `${EP}/endpoint_groups/${g.id}/projects/nope`, 'Could not find project: nope.'],
        ['PUT', `${EP}/endpoint_groups/nope/projects/nope`, 'Could not find project: nope.'],
        ['PUT', `${EP}/endpoint_groups/nope/projects/${p.id}`, 'Could not find Endpoint Group: nope.'],
        ['GET', `${EP}/endpoint_groups/nope/projects/${p.id}`, 'Could not find Endpoint Group: nope.'],
        ['DELETE', `${EP}/endpoint_groups/nope/projects/nope`, 'Could not find project: nope.'],
        ['GET', `${EP}/projects/nope/endpoint_groups`, 'Could not find project: nope.'],
        ['GET', `${EP}/projects/nope/endpoints`, 'Could not find project: nope.'],
      ] as const) {
        assert.equal(keystoneError(await call(base, method, path, { token: admin }), 404).message, message, `${method} ${path}`);
      }
      await req('DELETE', link, undefined, 204);
      assert.equal(keystoneError(await call(base, 'DELETE', link, { token: admin }), 404).message, 'Endpoint Group Project Association not found');
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups/${g.id}/projects`)).projects, []);

      // Endpoint <-> project.
      const direct = `${EP}/projects/${p.id}/endpoints/${cInternal.id}`;
      assert.equal(keystoneError(await call(base, 'GET', direct, { token: admin }), 404).message, `Endpoint ${cInternal.id} not found in project ${p.id}`);
      await req('PUT', direct, undefined, 204);
      assert.equal(keystoneError(await call(base, 'PUT', direct, { token: admin }), 409).message, 'Conflict occurred attempting to store project_endpoint - Duplicate entry.');
      const check = await call(base, 'GET', direct, { token: admin });
      assert.equal(check.status, 204);
      assert.equal(check.text, '');
      assert.equal((await call(base, 'HEAD', direct, { token: admin })).status, 204);
      const eps = await req('GET', `${EP}/projects/${p.id}/endpoints`);
      assert.deepEqual(eps.endpoints, [cInternal]);
      assert.deepEqual(eps.links, { self: `${base}${EP}/projects/${p.id}/endpoints`, previous: null, next: null });
      assert.deepEqual((await req('GET', `${EP}/endpoints/${cInternal.id}/projects`)).projects, [p]);
      for (const [method, path, message] of [
        ['GET', `${EP}/projects/nope/endpoints/nope`, 'Could not find endpoint: nope.'],
        ['PUT', `${EP}/projects/nope/endpoints/nope`, 'Could not find endpoint: nope.'],
        ['PUT', `${EP}/projects/nope/endpoints/${cInternal.id}`, 'Could not find project: nope.'],
        ['GET', `${EP}/projects/nope/endpoints/${cInternal.id}`, 'Could not find project: nope.'],
        ['DELETE', `${EP}/projects/nope/endpoints/nope`, 'Endpoint nope not found in project nope'],
        ['GET', `${EP}/endpoints/nope/projects`, 'Could not find endpoint: nope.'],
      ] as const) {
        assert.equal(keystoneError(await call(base, method, path, { token: admin }), 404).message, message, `${method} ${path}`);
      }
      await req('DELETE', direct, undefined, 204);
      assert.equal(keystoneError(await call(base, 'DELETE', direct, { token: admin }), 404).message, `Endpoint ${cInternal.id} not found in project ${p.id}`);
      assert.deepEqual((await req('GET', `${EP}/projects/${p.id}/endpoints`)).endpoints, []);
      await req('DELETE', `${EP}/endpoint_groups/${g.id}`, undefined, 204);
    });

    test('policy: a project member gets 403 everywhere; a system reader reads but does not write', async () => {
      const p = await newProject('guarded');
      const g = await group('guarded', { interface: 'public' });
      const routes = [
        ['GET', `${EP}/endpoint_groups`, undefined, 'list_endpoint_groups', true],
        ['POST', `${EP}/endpoint_groups`, { endpoint_group: { name: 'x', filters: { interface: 'public' } } }, 'create_endpoint_group', false],
        ['GET', `${EP}/endpoint_groups/${g.id}`, undefined, 'get_endpoint_group', true],
        ['PATCH', `${EP}/endpoint_groups/${g.id}`, { endpoint_group: { name: 'y' } }, 'update_endpoint_group', false],
        ['DELETE', `${EP}/endpoint_groups/${g.id}`, undefined, 'delete_endpoint_group', false],
        ['GET', `${EP}/endpoint_groups/${g.id}/endpoints`, undefined, 'list_endpoints_associated_with_endpoint_group', true],
        ['GET', `${EP}/endpoint_groups/${g.id}/projects`, undefined, 'list_projects_associated_with_endpoint_group', true],
        ['PUT', `${EP}/endpoint_groups/${g.id}/projects/${p.id}`, undefined, 'add_endpoint_group_to_project', false],
        ['GET', `${EP}/endpoint_groups/${g.id}/projects/${p.id}`, undefined, 'get_endpoint_group_in_project', true],
        ['DELETE', `${EP}/endpoint_groups/${g.id}/projects/${p.id}`, undefined, 'remove_endpoint_group_from_project', false],
        ['GET', `${EP}/projects/${p.id}/endpoint_groups`, undefined, 'list_endpoint_groups_for_project', true],
        ['GET', `${EP}/projects/${p.id}/endpoints`, undefined, 'list_endpoints_for_project', true],
        ['PUT', `${EP}/projects/${p.id}/endpoints/${iPublic.id}`, undefined, 'add_endpoint_to_project', false],
        ['GET', `${EP}/projects/${p.id}/endpoints/${iPublic.id}`, undefined, 'check_endpoint_in_project', true],
        ['DELETE', `${EP}/projects/${p.id}/endpoints/${iPublic.id}`, undefined, 'remove_endpoint_from_project', false],
        ['GET', `${EP}/endpoints/${iPublic.id}/projects`, undefined, 'list_projects_for_endpoint', true],
      ] as const;
      for (const [method, path, body, action, read] of routes) {
        const e = keystoneError(await call(base, method, path, { token: member, body }), 403);
        assert.equal(e.message, `You are not authorized to perform the requested action: identity:${action}.`, `${method} ${path}`);
        const r = await call(base, method, path, { token: sysReader, body });
        if (read) assert.ok(r.status === 200 || r.status === 204 || r.status === 404, `system reader ${method} ${path}: ${r.status} ${r.text}`);
        else assert.equal(keystoneError(r, 403).message, `You are not authorized to perform the requested action: identity:${action}.`);
      }
      // A member's 403 does not depend on whether what it names exists.
      keystoneError(await call(base, 'GET', `${EP}/endpoint_groups/nope`, { token: member }), 403);
      keystoneError(await call(base, 'PUT', `${EP}/projects/nope/endpoints/nope`, { token: member }), 403);
      keystoneError(await call(base, 'GET', `${EP}/endpoint_groups`), 401);
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups/${g.id}`)).endpoint_group.name, 'guarded', 'nothing written');
      assert.deepEqual((await req('GET', `${EP}/projects/${p.id}/endpoints`)).endpoints, []);
      await req('DELETE', `${EP}/endpoint_groups/${g.id}`, undefined, 204);
    });

    test('token catalogs: a project with associated endpoints sees only those, a plain project everything', async () => {
      const plain = await newProject('plain');
      const filtered = await newProject('filtered');
      const full = catalogOf((await patToken(plain.id)).body.token.catalog);
      assert.deepEqual(full[compute.id], [cPublic.id, cInternal.id].sort());
      assert.deepEqual(full[image.id], [iPublic.id]);
      assert.ok(Object.keys(full).length >= 4, 'the bootstrap services are there too');
      assert.deepEqual(catalogOf((await patToken(filtered.id)).body.token.catalog), full, 'nothing associated yet');

      // Through a group: public compute endpoints only; services left empty disappear.
      const g = await group('public-compute', { service_id: compute.id, interface: 'public' });
      await req('PUT', `${EP}/endpoint_groups/${g.id}/projects/${filtered.id}`, undefined, 204);
      const t = await patToken(filtered.id);
      assert.deepEqual(catalogOf(t.body.token.catalog), { [compute.id]: [cPublic.id] });
      assert.deepEqual(t.body.token.catalog[0].endpoints, [
        { id: cPublic.id, interface: 'public', region_id: 'RegionOne', url: `http://nova/v2.1/${filtered.id}`, region: 'RegionOne' },
      ]);
      const validated = await call(base, 'GET', '/v3/auth/tokens', { token: admin, subject: t.id });
      assert.equal(validated.status, 200, validated.text);
      assert.deepEqual(validated.body.token.catalog, t.body.token.catalog);
      const own = await call(base, 'GET', '/v3/auth/catalog', { token: t.id });
      assert.deepEqual(own.body.catalog, t.body.token.catalog);
      assert.deepEqual(catalogOf((await patToken(plain.id)).body.token.catalog), full, 'other projects are not affected');
      assert.deepEqual(catalogOf((await call(base, 'GET', '/v3/auth/catalog', { token: (await patToken(plain.id)).id })).body.catalog), full);

      // Plus a direct association: the union. The same token validated again shows the change.
      await req('PUT', `${EP}/projects/${filtered.id}/endpoints/${iPublic.id}`, undefined, 204);
      const union = { [compute.id]: [cPublic.id], [image.id]: [iPublic.id] };
      assert.deepEqual(catalogOf((await call(base, 'GET', '/v3/auth/tokens', { token: admin, subject: t.id })).body.token.catalog), union);
      assert.deepEqual(catalogOf((await patToken(filtered.id)).body.token.catalog), union);

      // An associated endpoint that is disabled is left out, not replaced by the whole catalog.
      await req('PATCH', `/v3/endpoints/${iPublic.id}`, { endpoint: { enabled: false } });
      h.get(TokenService).catalogChanged();
      assert.deepEqual(catalogOf((await patToken(filtered.id)).body.token.catalog), { [compute.id]: [cPublic.id] });
      await req('PATCH', `/v3/endpoints/${iPublic.id}`, { endpoint: { enabled: true } });

      // Associations that resolve to no endpoint at all leave the catalog whole (Keystone's rule).
      const none = await newProject('matches-nothing');
      const empty = await group('nothing', { service_id: image.id, interface: 'admin' });
      await req('PUT', `${EP}/endpoint_groups/${empty.id}/projects/${none.id}`, undefined, 204);
      assert.deepEqual(catalogOf((await patToken(none.id)).body.token.catalog), full);

      // Taking the associations away gives the whole catalog back.
      await req('DELETE', `${EP}/endpoint_groups/${g.id}/projects/${filtered.id}`, undefined, 204);
      await req('DELETE', `${EP}/projects/${filtered.id}/endpoints/${iPublic.id}`, undefined, 204);
      assert.deepEqual(catalogOf((await patToken(filtered.id)).body.token.catalog), full);
      for (const id of [g.id, empty.id]) await req('DELETE', `${EP}/endpoint_groups/${id}`, undefined, 204);
    });

    test('deleting a project, an endpoint, an endpoint group or a domain removes its associations', async () => {
      const rows = async (where: object) => (await h.ds.getRepository(ProjectEndpointEntity).countBy(where)) + (await h.ds.getRepository(ProjectEndpointGroupEntity).countBy(where));
      const g = await group('cascade', { service_id: compute.id });
      const spare = (await req('POST', '/v3/endpoints', { endpoint: { service_id: image.id, interface: 'admin', url: 'http://glance-admin' } }, 201)).endpoint;

      const p = await newProject('doomed');
      await req('PUT', `${EP}/endpoint_groups/${g.id}/projects/${p.id}`, undefined, 204);
      await req('PUT', `${EP}/projects/${p.id}/endpoints/${iPublic.id}`, undefined, 204);
      assert.equal(await rows({ projectId: p.id }), 2);
      await req('DELETE', `/v3/projects/${p.id}`, undefined, 204);
      assert.equal(await rows({ projectId: p.id }), 0);
      assert.deepEqual((await req('GET', `${EP}/endpoint_groups/${g.id}/projects`)).projects, []);
      assert.deepEqual((await req('GET', `${EP}/endpoints/${iPublic.id}/projects`)).projects, []);

      const q = await newProject('keeps');
      await req('PUT', `${EP}/projects/${q.id}/endpoints/${spare.id}`, undefined, 204);
      await req('PUT', `${EP}/endpoint_groups/${g.id}/projects/${q.id}`, undefined, 204);
      await req('DELETE', `/v3/endpoints/${spare.id}`, undefined, 204);
      assert.equal(await h.ds.getRepository(ProjectEndpointEntity).countBy({ endpointId: spare.id }), 0);
      await req('DELETE', `${EP}/endpoint_groups/${g.id}`, undefined, 204);
      assert.equal(await h.ds.getRepository(ProjectEndpointGroupEntity).countBy({ endpointGroupId: g.id }), 0);
      assert.equal(await rows({ projectId: q.id }), 0);

      // A service takes its endpoints' associations along.
      const svc = (await req('POST', '/v3/services', { service: { type: 'dns' } }, 201)).service;
      const dns = (await req('POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://dns' } }, 201)).endpoint;
      await req('PUT', `${EP}/projects/${q.id}/endpoints/${dns.id}`, undefined, 204);
      await req('DELETE', `/v3/services/${svc.id}`, undefined, 204);
      assert.equal(await h.ds.getRepository(ProjectEndpointEntity).countBy({ endpointId: dns.id }), 0);

      // A domain takes its projects' associations along.
      const d = (await req('POST', '/v3/domains', { domain: { name: 'ep-filter-doomed' } }, 201)).domain;
      const inD = await newProject('in-domain', d.id);
      const g2 = await group('cascade2', { interface: 'internal' });
      await req('PUT', `${EP}/endpoint_groups/${g2.id}/projects/${inD.id}`, undefined, 204);
      await req('PUT', `${EP}/projects/${inD.id}/endpoints/${cPublic.id}`, undefined, 204);
      await req('PATCH', `/v3/domains/${d.id}`, { domain: { enabled: false } });
      await req('DELETE', `/v3/domains/${d.id}`, undefined, 204);
      assert.equal(await rows({ projectId: inD.id }), 0);
      await req('DELETE', `${EP}/endpoint_groups/${g2.id}`, undefined, 204);
    });
  });
}
