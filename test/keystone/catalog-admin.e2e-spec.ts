import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, SYSTEM_TARGET_ID } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, INVALID_JSON, issue, keystoneError, NOT_JSON, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { eventually } from '../helpers/wait.js';

const missing = (attribute: string, target: string) =>
  `Expecting to find ${attribute} in ${target}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`;

/** Catalog admin (docs/keystone.md, "Catalog administration"): services, endpoints, regions; their rules, policy and bad input. */
for (const kind of databaseKinds()) {
  describe(`Keystone catalog admin (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let base: string;
    let admin: string;
    /** A project member (no admin role), a system reader, and an unscoped token. */
    let member: string;
    let sysReader: string;
    let unscoped: string;

    const post = async (path: string, body: unknown, status = 201) => {
      const r = await call(base, 'POST', path, { token: admin, body });
      assert.equal(r.status, status, r.text);
      return r.body;
    };
    const count = async (path: string, member: string) => (await call(base, 'GET', path, { token: admin })).body[member].length as number;

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const a = h.get(AssignmentService);
      for (const [name, grant] of [
        ['mia', { type: 'UserProject' as const, targetId: h.adminProjectId, role: 'member' }],
        ['sam', { type: 'UserSystem' as const, targetId: SYSTEM_TARGET_ID, role: 'reader' }],
      ] as const) {
        const u = await post('/v3/users', { user: { name, password: `${name}-pw-1` } });
        await a.grant({ type: grant.type, actorId: u.user.id, targetId: grant.targetId, roleId: (await a.findGlobalRole(grant.role))!.id });
      }
      member = (await issue(base, passwordAuth({ name: 'mia' }, 'mia-pw-1', { project: { id: h.adminProjectId } }))).id;
      sysReader = (await issue(base, passwordAuth({ name: 'sam' }, 'sam-pw-1', { system: { all: true } }))).id;
      unscoped = (await issue(base, passwordAuth({ name: 'mia' }, 'mia-pw-1'))).id;
    });

    test('services: create, read, filter, PATCH (extras merged), Keystone bodies and links', async () => {
      const s = (await post('/v3/services', { service: { type: 'compute', name: 'nova', description: 'Compute', owner: 'ops' } })).service;
      assert.deepEqual(Object.keys(s).sort(), ['description', 'enabled', 'id', 'links', 'name', 'owner', 'type']);
      assert.match(s.id, /^[0-9a-f]{32}$/);
      assert.equal(s.enabled, true);
      assert.equal(s.links.self, `${base}/v3/services/${s.id}`);
      const bare = (await post('/v3/services', { service: { type: 'volume', id: 'ignored' } })).service;
      assert.notEqual(bare.id, 'ignored', 'Keystone assigns service ids itself');
      assert.deepEqual(Object.keys(bare).sort(), ['enabled', 'id', 'links', 'type']);
      assert.deepEqual((await call(base, 'GET', `/v3/services/${s.id}`, { token: admin })).body, { service: s });

      const list = await call(base, 'GET', '/v3/services?type=compute', { token: admin });
      assert.equal(list.status, 200);
      assert.deepEqual(list.body.services.map((x: any) => x.id), [s.id]);
      assert.deepEqual(list.body.links, { self: `${base}/v3/services?type=compute`, previous: null, next: null });
      assert.deepEqual((await call(base, 'GET', '/v3/services?name=nova', { token: admin })).body.services.map((x: any) => x.id), [s.id]);
      assert.equal(await count('/v3/services?name=nope', 'services'), 0);
      assert.ok((await count('/v3/services', 'services')) >= 4, 'bootstrap services are listed too');

      const p = await call(base, 'PATCH', `/v3/services/${s.id}`, { token: admin, body: { service: { name: 'nova2', enabled: false, tier: 1 } } });
      assert.equal(p.status, 200, p.text);
      assert.deepEqual(p.body.service, { ...s, name: 'nova2', enabled: false, tier: 1 });
      assert.deepEqual((await call(base, 'GET', `/v3/services/${s.id}`, { token: admin })).body.service, p.body.service);
    });

    test('regions: POST with and without id, PUT with an explicit id (409 when taken), hierarchy, PATCH', async () => {
      const r = (await post('/v3/regions', { region: { id: 'RegionTwo', description: 'second' } })).region;
      assert.deepEqual(r, { id: 'RegionTwo', description: 'second', parent_region_id: null, links: { self: `${base}/v3/regions/RegionTwo` } });
      const gen = (await post('/v3/regions', { region: {} })).region;
      assert.match(gen.id, /^[0-9a-f]{32}$/);
      assert.equal(gen.description, '');
      const put = await call(base, 'PUT', '/v3/regions/RegionThree', { token: admin, body: { region: { parent_region_id: 'RegionTwo', enabled: true } } });
      assert.equal(put.status, 201, put.text);
      assert.deepEqual(put.body.region, { id: 'RegionThree', description: '', parent_region_id: 'RegionTwo', enabled: true, links: { self: `${base}/v3/regions/RegionThree` } });

      let e = keystoneError(await call(base, 'PUT', '/v3/regions/RegionThree', { token: admin, body: { region: {} } }), 409);
      assert.equal(e.message, 'Conflict occurred attempting to store region - Duplicate ID, RegionThree.');
      e = keystoneError(await call(base, 'POST', '/v3/regions', { token: admin, body: { region: { id: 'RegionOne' } } }), 409);
      assert.equal(e.message, 'Conflict occurred attempting to store region - Duplicate ID, RegionOne.');
      e = keystoneError(await call(base, 'PUT', '/v3/regions/RegionX', { token: admin, body: { region: { id: 'RegionY' } } }), 400);
      assert.equal(e.message, 'Conflicting region IDs specified: "RegionX" != "RegionY"');
      e = keystoneError(await call(base, 'POST', '/v3/regions', { token: admin, body: { region: { id: 'Orphan', parent_region_id: 'nope' } } }), 404);
      assert.equal(e.message, 'Could not find region: nope.');

      assert.deepEqual((await call(base, 'GET', '/v3/regions?parent_region_id=RegionTwo', { token: admin })).body.regions.map((x: any) => x.id), ['RegionThree']);
      const p = await call(base, 'PATCH', '/v3/regions/RegionThree', { token: admin, body: { region: { description: 'third' } } });
      assert.equal(p.status, 200, p.text);
      assert.equal(p.body.region.description, 'third');
      assert.equal(p.body.region.parent_region_id, 'RegionTwo');
      e = keystoneError(await call(base, 'PATCH', '/v3/regions/RegionTwo', { token: admin, body: { region: { parent_region_id: 'RegionThree' } } }), 400);
      assert.equal(e.message, 'The specified parent region RegionThree would create a circular region hierarchy.');
      e = keystoneError(await call(base, 'PATCH', '/v3/regions/RegionTwo', { token: admin, body: { region: { parent_region_id: 'RegionTwo' } } }), 400);
      assert.equal(e.message, 'The specified parent region RegionTwo would create a circular region hierarchy.');
      assert.equal((await call(base, 'GET', '/v3/regions/RegionTwo', { token: admin })).body.region.parent_region_id, null, 'nothing written');
      e = keystoneError(await call(base, 'GET', '/v3/regions/nope', { token: admin }), 404);
      assert.equal(e.message, 'Could not find region: nope.');
    });

    test('endpoints: region_id and region both shown; Keystone 400s for bad interface, unknown service or region', async () => {
      const svc = (await post('/v3/services', { service: { type: 'image', name: 'glance' } })).service;
      await post('/v3/regions', { region: { id: 'EpRegion' } });
      const ep = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://glance.example:9292', region_id: 'EpRegion', note: 'x' } })).endpoint;
      assert.deepEqual(ep, {
        id: ep.id, interface: 'public', region_id: 'EpRegion', region: 'EpRegion', service_id: svc.id, url: 'http://glance.example:9292',
        enabled: true, note: 'x', links: { self: `${base}/v3/endpoints/${ep.id}` },
      });
      assert.match(ep.id, /^[0-9a-f]{32}$/);
      assert.deepEqual((await call(base, 'GET', `/v3/endpoints/${ep.id}`, { token: admin })).body, { endpoint: ep });

      // The legacy `region` (python-keystoneclient sends it) creates a missing region, as Keystone does.
      const legacy = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'internal', url: 'http://10.0.0.1:9292/$(project_id)s', region: 'LegacyRegion' } })).endpoint;
      assert.equal(legacy.region_id, 'LegacyRegion');
      assert.equal(legacy.region, 'LegacyRegion');
      assert.equal((await call(base, 'GET', '/v3/regions/LegacyRegion', { token: admin })).status, 200);
      const noRegion = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'admin', url: 'https://admin.example/%(tenant_id)s' } })).endpoint;
      assert.equal(noRegion.region_id, null);
      assert.equal(noRegion.region, null);

      const before = await count('/v3/endpoints', 'endpoints');
      let e = keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: 'nope', interface: 'public', url: 'http://x' } } }), 400);
      assert.equal(e.message, missing('endpoint service_id', 'service table'));
      e = keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, interface: 'public', url: 'http://x', region_id: 'nope' } } }), 400);
      assert.equal(e.message, missing('endpoint region_id', 'region table'));
      e = keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, interface: 'bogus', url: 'http://x' } } }), 400);
      assert.equal(e.message, "Invalid input for field 'endpoint/interface': \"bogus\" is not one of ['admin', 'internal', 'public']");
      e = keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, interface: 'public', url: 'not a url' } } }), 400);
      assert.match(e.message, /^Invalid input for field 'endpoint\/url': .* does not match/);
      e = keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, interface: 'public', url: 'http://x/$(secret)s' } } }), 400);
      assert.equal(e.message, 'Cannot create an endpoint with an invalid URL: http://x/$(secret)s.');
      e = keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, interface: 'public', url: 'http://x/a%20b' } } }), 400);
      assert.equal(e.message, 'Cannot create an endpoint with an invalid URL: http://x/a%20b.');
      keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, url: 'http://x' } } }), 400);
      keystoneError(await call(base, 'POST', '/v3/endpoints', { token: admin, body: { endpoint: { service_id: svc.id, interface: 'public', url: `http://x/${'a'.repeat(220)}` } } }), 400);
      assert.equal(await count('/v3/endpoints', 'endpoints'), before, 'no failed create wrote anything');

      const byService = (await call(base, 'GET', `/v3/endpoints?service_id=${svc.id}`, { token: admin })).body.endpoints;
      assert.deepEqual(byService.map((x: any) => x.id).sort(), [ep.id, legacy.id, noRegion.id].sort());
      assert.deepEqual((await call(base, 'GET', `/v3/endpoints?service_id=${svc.id}&interface=internal`, { token: admin })).body.endpoints.map((x: any) => x.id), [legacy.id]);
      assert.deepEqual((await call(base, 'GET', '/v3/endpoints?region_id=EpRegion', { token: admin })).body.endpoints.map((x: any) => x.id), [ep.id]);
      // Keystone 22 filters on the value as given: nothing matches, 200.
      const bogus = await call(base, 'GET', '/v3/endpoints?interface=bogus', { token: admin });
      assert.equal(bogus.status, 200, bogus.text);
      assert.deepEqual(bogus.body.endpoints, []);

      const p = await call(base, 'PATCH', `/v3/endpoints/${ep.id}`, { token: admin, body: { endpoint: { url: 'https://glance.example', interface: 'internal', enabled: false } } });
      assert.equal(p.status, 200, p.text);
      assert.deepEqual(p.body.endpoint, { ...ep, url: 'https://glance.example', interface: 'internal', enabled: false });
      e = keystoneError(await call(base, 'PATCH', `/v3/endpoints/${ep.id}`, { token: admin, body: { endpoint: { region_id: 'nope' } } }), 400);
      assert.equal(e.message, missing('endpoint region_id', 'region table'));
      e = keystoneError(await call(base, 'PATCH', `/v3/endpoints/${ep.id}`, { token: admin, body: { endpoint: { service_id: 'nope' } } }), 400);
      assert.equal(e.message, missing('endpoint service_id', 'service table'));
      const cleared = await call(base, 'PATCH', `/v3/endpoints/${ep.id}`, { token: admin, body: { endpoint: { region_id: null } } });
      assert.equal(cleared.body.endpoint.region_id, null);
      assert.equal(cleared.body.endpoint.url, 'https://glance.example');
      e = keystoneError(await call(base, 'GET', '/v3/endpoints/nope', { token: admin }), 404);
      assert.equal(e.message, 'Could not find endpoint: nope.');
    });

    test('deleting: a region with endpoints in it or below is refused; a service takes its endpoints along', async () => {
      const svc = (await post('/v3/services', { service: { type: 'network', name: 'neutron' } })).service;
      await post('/v3/regions', { region: { id: 'Top' } });
      await post('/v3/regions', { region: { id: 'Mid', parent_region_id: 'Top' } });
      await post('/v3/regions', { region: { id: 'Leaf', parent_region_id: 'Mid' } });
      const ep = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://neutron', region_id: 'Leaf' } })).endpoint;
      for (const id of ['Top', 'Mid', 'Leaf']) {
        const e = keystoneError(await call(base, 'DELETE', `/v3/regions/${id}`, { token: admin }), 403);
        assert.equal(e.message, `Unable to delete region ${id} because it or its child regions have associated endpoints.`);
      }
      assert.equal((await call(base, 'DELETE', `/v3/endpoints/${ep.id}`, { token: admin })).status, 204);
      keystoneError(await call(base, 'DELETE', `/v3/endpoints/${ep.id}`, { token: admin }), 404);
      // As in Keystone, child regions without endpoints go with their parent.
      assert.equal((await call(base, 'DELETE', '/v3/regions/Top', { token: admin })).status, 204);
      for (const id of ['Top', 'Mid', 'Leaf']) keystoneError(await call(base, 'GET', `/v3/regions/${id}`, { token: admin }), 404);
      keystoneError(await call(base, 'DELETE', '/v3/regions/Top', { token: admin }), 404);

      const eps = await Promise.all(['public', 'internal', 'admin'].map(async (i) => (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: i, url: `http://neutron/${i}` } })).endpoint));
      assert.equal((await call(base, 'DELETE', `/v3/services/${svc.id}`, { token: admin })).status, 204);
      const e = keystoneError(await call(base, 'GET', `/v3/services/${svc.id}`, { token: admin }), 404);
      assert.equal(e.message, `Could not find service: ${svc.id}.`);
      for (const x of eps) keystoneError(await call(base, 'GET', `/v3/endpoints/${x.id}`, { token: admin }), 404);
      assert.equal(await count(`/v3/endpoints?service_id=${svc.id}`, 'endpoints'), 0);
      keystoneError(await call(base, 'DELETE', `/v3/services/${svc.id}`, { token: admin }), 404);
    });

    test('policy: writes need admin; services and endpoints are read by admins and system readers; regions by anyone', async () => {
      const svc = (await post('/v3/services', { service: { type: 'dns', name: 'designate' } })).service;
      const ep = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://dns', region_id: 'RegionOne' } })).endpoint;
      for (const [path, action] of [
        ['/v3/services', 'list_services'], [`/v3/services/${svc.id}`, 'get_service'], ['/v3/endpoints', 'list_endpoints'], [`/v3/endpoints/${ep.id}`, 'get_endpoint'],
      ]) {
        for (const t of [member, unscoped]) {
          const e = keystoneError(await call(base, 'GET', path!, { token: t }), 403);
          assert.equal(e.message, `You are not authorized to perform the requested action: identity:${action}.`);
        }
        assert.equal((await call(base, 'GET', path!, { token: sysReader })).status, 200, `system reader GET ${path}`);
      }
      for (const t of [member, unscoped, sysReader]) {
        assert.equal((await call(base, 'GET', '/v3/regions', { token: t })).status, 200);
        assert.equal((await call(base, 'GET', '/v3/regions/RegionOne', { token: t })).body.region.id, 'RegionOne');
        for (const [method, path, body, action] of [
          ['POST', '/v3/services', { service: { type: 'x' } }, 'create_service'],
          ['PATCH', `/v3/services/${svc.id}`, { service: { name: 'y' } }, 'update_service'],
          ['DELETE', `/v3/services/${svc.id}`, undefined, 'delete_service'],
          ['POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://y' } }, 'create_endpoint'],
          ['PATCH', `/v3/endpoints/${ep.id}`, { endpoint: { url: 'http://z' } }, 'update_endpoint'],
          ['DELETE', `/v3/endpoints/${ep.id}`, undefined, 'delete_endpoint'],
          ['POST', '/v3/regions', { region: { id: 'Nope' } }, 'create_region'],
          ['PUT', '/v3/regions/Nope', { region: {} }, 'create_region'],
          ['PATCH', '/v3/regions/RegionOne', { region: { description: 'z' } }, 'update_region'],
          ['DELETE', '/v3/regions/RegionOne', undefined, 'delete_region'],
        ] as const) {
          const e = keystoneError(await call(base, method, path, { token: t, body }), 403);
          assert.equal(e.message, `You are not authorized to perform the requested action: identity:${action}.`);
        }
      }
      keystoneError(await call(base, 'GET', '/v3/regions'), 401);
      keystoneError(await call(base, 'GET', '/v3/services'), 401);
      assert.equal((await call(base, 'GET', `/v3/endpoints/${ep.id}`, { token: admin })).body.endpoint.url, 'http://dns', 'nothing written');
      keystoneError(await call(base, 'GET', '/v3/regions/Nope', { token: admin }), 404);
    });

    test('bad input: wrong types, missing members, malformed and oversized bodies, unknown ids — 400/404/413, never a 500, nothing written', async () => {
      const svc = (await post('/v3/services', { service: { type: 'object-store', name: 'swift' } })).service;
      const ep = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://swift' } })).endpoint;
      const counts = async () => [await count('/v3/services', 'services'), await count('/v3/endpoints', 'endpoints'), await count('/v3/regions', 'regions')];
      const start = await counts();
      const cases: Array<[string, string, unknown]> = [
        ['POST', '/v3/services', {}], ['POST', '/v3/services', { service: 'x' }], ['POST', '/v3/services', { service: [] }],
        ['POST', '/v3/services', { service: {} }], ['POST', '/v3/services', { service: { type: '' } }], ['POST', '/v3/services', { service: { type: 5 } }],
        ['POST', '/v3/services', { service: { type: null } }], ['POST', '/v3/services', { service: { type: 'a'.repeat(256) } }],
        ['POST', '/v3/services', { service: { type: 't', name: 7 } }], ['POST', '/v3/services', { service: { type: 't', enabled: 'yes' } }],
        ['POST', '/v3/services', { service: { type: 't', description: {} } }],
        ['PATCH', `/v3/services/${svc.id}`, { service: {} }], ['PATCH', `/v3/services/${svc.id}`, { service: { id: 'other' } }],
        ['PATCH', `/v3/services/${svc.id}`, { service: { enabled: 1 } }], ['PATCH', `/v3/services/${svc.id}`, { service: { type: '' } }],
        ['POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public' } }],
        ['POST', '/v3/endpoints', { endpoint: { service_id: 5, interface: 'public', url: 'http://x' } }],
        ['POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: ['public'], url: 'http://x' } }],
        ['POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://x', region_id: 3 } }],
        ['POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://x', enabled: 'false' } }],
        ['POST', '/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: null } }],
        ['PATCH', `/v3/endpoints/${ep.id}`, { endpoint: {} }], ['PATCH', `/v3/endpoints/${ep.id}`, { endpoint: { url: 'x' } }],
        ['PATCH', `/v3/endpoints/${ep.id}`, { endpoint: { interface: 'private' } }], ['PATCH', `/v3/endpoints/${ep.id}`, { endpoint: { id: 'other' } }],
        ['POST', '/v3/regions', { region: { id: 5 } }], ['POST', '/v3/regions', { region: { description: 5 } }],
        ['POST', '/v3/regions', { region: { id: 'a'.repeat(256) } }], ['POST', '/v3/regions', { region: { parent_region_id: [] } }],
        ['POST', '/v3/regions', { region: { description: 'd'.repeat(256) } }], ['POST', '/v3/regions', { regions: {} }],
        ['PUT', '/v3/regions/NewOne', {}], ['PUT', '/v3/regions/NewOne', { region: { description: false } }],
        ['PATCH', '/v3/regions/RegionOne', { region: {} }], ['PATCH', '/v3/regions/RegionOne', { region: { id: 'other' } }],
      ];
      for (const [method, path, body] of cases) {
        const r = await call(base, method, path, { token: admin, body });
        assert.equal(r.status, 400, `${method} ${path} ${JSON.stringify(body)}: ${r.text}`);
        keystoneError(r, 400);
      }
      for (const path of ['/v3/services', '/v3/endpoints', '/v3/regions']) {
        assert.equal(keystoneError(await call(base, 'POST', path, { token: admin, raw: '{"x":', headers: { 'Content-Type': 'application/json' } }), 400).message, INVALID_JSON);
        assert.equal(keystoneError(await call(base, 'POST', path, { token: admin, raw: '{}', headers: { 'Content-Type': 'text/plain' } }), 400).message, NOT_JSON);
        keystoneError(await call(base, 'POST', path, { token: admin, body: { [path.slice(4, -1)]: { pad: 'x'.repeat(70 * 1024) } } }), 413);
      }
      for (const [method, path, body, message] of [
        ['GET', '/v3/services/nope', undefined, 'Could not find service: nope.'],
        ['PATCH', '/v3/services/nope', { service: { name: 'n' } }, 'Could not find service: nope.'],
        ['DELETE', '/v3/services/nope', undefined, 'Could not find service: nope.'],
        ['PATCH', '/v3/endpoints/nope', { endpoint: { url: 'http://x' } }, 'Could not find endpoint: nope.'],
        ['DELETE', '/v3/endpoints/nope', undefined, 'Could not find endpoint: nope.'],
        ['PATCH', '/v3/regions/nope', { region: { description: 'd' } }, 'Could not find region: nope.'],
        ['DELETE', '/v3/regions/nope', undefined, 'Could not find region: nope.'],
      ] as const) {
        assert.equal(keystoneError(await call(base, method, path, { token: admin, body }), 404).message, message);
      }
      assert.deepEqual(await counts(), start, 'no rejected request wrote anything');
      const unchanged = (await call(base, 'GET', `/v3/endpoints/${ep.id}`, { token: admin })).body.endpoint;
      assert.deepEqual(unchanged, ep);
      // Trailing slashes are tolerated (docs/keystone.md, "Conventions").
      assert.equal((await call(base, 'GET', '/v3/services/', { token: admin })).status, 200);
    });

    test('races: one PUT of a region id wins; endpoints created while their service is deleted never outlive it', async () => {
      const puts = await Promise.all(Array.from({ length: 6 }, () => call(base, 'PUT', '/v3/regions/Racy', { token: admin, body: { region: {} } })));
      assert.deepEqual(puts.map((r) => r.status).sort(), [201, 409, 409, 409, 409, 409]);
      for (let round = 0; round < 3; round++) {
        const svc = (await post('/v3/services', { service: { type: `race-${round}` } })).service;
        const creates = Array.from({ length: 6 }, (_, i) => call(base, 'POST', '/v3/endpoints', {
          token: admin, body: { endpoint: { service_id: svc.id, interface: 'public', url: `http://race/${i}`, region_id: 'Racy' } },
        }));
        const del = call(base, 'DELETE', `/v3/services/${svc.id}`, { token: admin });
        const results = await Promise.all([...creates, del]);
        assert.equal(results.at(-1)!.status, 204);
        for (const r of results.slice(0, -1)) assert.ok(r.status === 201 || r.status === 400, `endpoint create during delete: ${r.status} ${r.text}`);
        assert.equal(await count(`/v3/endpoints?service_id=${svc.id}`, 'endpoints'), 0, 'an endpoint outlived its service');
      }
      assert.equal((await call(base, 'DELETE', '/v3/regions/Racy', { token: admin })).status, 204);
    });

    test('a new service and endpoint reach new tokens and GET /v3/auth/catalog within the 2 s catalog cache', async () => {
      // Prime the cache so the write below has to wait it out.
      const primed = await issue(base, adminProjectAuth());
      assert.ok(primed.body.token.catalog.length > 0);
      const svc = (await post('/v3/services', { service: { type: 'orchestration', name: 'heat' } })).service;
      const ep = (await post('/v3/endpoints', { endpoint: { service_id: svc.id, interface: 'public', url: 'http://heat:8004/v1/$(project_id)s', region_id: 'RegionOne' } })).endpoint;
      const inToken = async () => {
        const t = await issue(base, adminProjectAuth());
        const entry = t.body.token.catalog.find((c: any) => c.id === svc.id);
        return { t, entry };
      };
      const seen = await eventually(inToken, (x) => !!x.entry, { timeoutMs: 2500, intervalMs: 100 });
      assert.ok(seen.entry, 'the new service is not in a new token after 2.5 s');
      assert.deepEqual(seen.entry, {
        endpoints: [{ id: ep.id, interface: 'public', region_id: 'RegionOne', url: `http://heat:8004/v1/${h.adminProjectId}`, region: 'RegionOne' }],
        id: svc.id, type: 'orchestration', name: 'heat',
      });
      const cat = await call(base, 'GET', '/v3/auth/catalog', { token: seen.t.id });
      assert.equal(cat.status, 200, cat.text);
      assert.deepEqual(cat.body.catalog.find((c: any) => c.id === svc.id), seen.entry);

      // Disabling the service takes it out again, within the same bound.
      await call(base, 'PATCH', `/v3/services/${svc.id}`, { token: admin, body: { service: { enabled: false } } });
      const gone = await eventually(async () => !(await inToken()).entry, Boolean, { timeoutMs: 2500, intervalMs: 100 });
      assert.ok(gone, 'a disabled service is still in new tokens after 2.5 s');
    });
  });
}
