import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { openstackEnv, openstackJson, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';
import { eventually } from '../helpers/wait.js';

/**
 * The catalog admin API (docs/keystone.md, "Catalog administration") driven by the real
 * python-openstackclient: services, endpoints and regions created, listed, shown and deleted,
 * asserting on `-f json` output.
 */

const skip = skipWithoutOpenstack;
const cliEnv = (authUrl: string) => openstackEnv(authUrl);
const openstack = openstackJson;

for (const kind of databaseKinds()) {
  describe(`openstack CLI: services, endpoints, regions (${kind.kind})`, { skip }, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let env: NodeJS.ProcessEnv;
    let admin: string;

    before(async () => {
      h = ctx.h;
      env = cliEnv(`${h.url}/v3`);
      admin = (await issue(h.url, adminProjectAuth())).id;
    });

    it('service create / list / show, region create / list, endpoint create / list, the catalog, then delete it all', async () => {
      const svc = await openstack(['service', 'create', '--name', 'x', '--description', 'y', 'compute'], env);
      assert.deepEqual(Object.keys(svc).sort(), ['description', 'enabled', 'id', 'name', 'type'], 'service create: fields');
      assert.match(svc.id, /^[0-9a-f]{32}$/);
      assert.deepEqual({ ...svc, id: undefined }, { description: 'y', enabled: true, id: undefined, name: 'x', type: 'compute' });
      assert.equal((await call(h.url, 'GET', `/v3/services/${svc.id}`, { token: admin })).body.service.name, 'x');

      const services = await openstack(['service', 'list'], env);
      assert.deepEqual(services.find((s: any) => s.ID === svc.id), { ID: svc.id, Name: 'x', Type: 'compute' }, 'service list');
      assert.ok(services.some((s: any) => s.Type === 'identity' && s.Name === 'keystone'), 'service list: bootstrap keystone service');
      const long = await openstack(['service', 'list', '--long'], env);
      assert.deepEqual(long.find((s: any) => s.ID === svc.id), { ID: svc.id, Name: 'x', Type: 'compute', Description: 'y', Enabled: true }, 'service list --long');
      assert.deepEqual(await openstack(['service', 'show', 'x'], env), svc, 'service show <name>');
      assert.deepEqual(await openstack(['service', 'show', svc.id], env), svc, 'service show <id>');

      const region = await openstack(['region', 'create', 'RegionTwo'], env);
      // python-keystoneclient sends `enabled`, which Keystone keeps as an extra attribute and echoes.
      assert.deepEqual(region, { description: '', enabled: true, parent_region: null, region: 'RegionTwo' }, 'region create');
      const kid = await openstack(['region', 'create', '--parent-region', 'RegionTwo', '--description', 'kid', 'RegionKid'], env);
      assert.deepEqual(kid, { description: 'kid', enabled: true, parent_region: 'RegionTwo', region: 'RegionKid' }, 'region create --parent-region');
      const regions = await openstack(['region', 'list'], env);
      assert.deepEqual(regions.map((r: any) => r.Region).sort(), ['RegionKid', 'RegionOne', 'RegionTwo'], 'region list');
      assert.deepEqual(regions.find((r: any) => r.Region === 'RegionKid'), { Region: 'RegionKid', 'Parent Region': 'RegionTwo', Description: 'kid' });
      assert.deepEqual(await openstack(['region', 'show', 'RegionTwo'], env), region, 'region show');
      await assert.rejects(openstackText(['region', 'create', 'RegionTwo'], env), /Conflict occurred attempting to store region - Duplicate ID, RegionTwo\. \(HTTP 409\)/);

      const url = 'http://compute.example:8774/v2.1/$(project_id)s';
      const pub = await openstack(['endpoint', 'create', '--region', 'RegionOne', 'x', 'public', url], env);
      assert.deepEqual({ ...pub, id: undefined }, {
        enabled: true, id: undefined, interface: 'public', region: 'RegionOne', region_id: 'RegionOne', service_id: svc.id, service_name: 'x', service_type: 'compute', url,
      }, 'endpoint create');
      const internal = await openstack(['endpoint', 'create', '--region', 'RegionKid', 'x', 'internal', 'http://10.0.0.1:8774'], env);
      assert.equal(internal.region_id, 'RegionKid');
      await assert.rejects(openstackText(['endpoint', 'create', '--region', 'RegionOne', 'x', 'public', 'http://x/$(secret)s'], env), /invalid URL.*\(HTTP 400\)/);

      const endpoints = await openstack(['endpoint', 'list'], env);
      assert.deepEqual(endpoints.find((e: any) => e.ID === pub.id), {
        ID: pub.id, Region: 'RegionOne', 'Service Name': 'x', 'Service Type': 'compute', Enabled: true, Interface: 'public', URL: url,
      }, 'endpoint list');
      assert.equal(endpoints.filter((e: any) => e['Service Type'] === 'identity').length, 3, 'endpoint list: bootstrap identity endpoints');
      assert.deepEqual((await openstack(['endpoint', 'list', '--service', 'x', '--region', 'RegionKid'], env)).map((e: any) => e.ID), [internal.id], 'endpoint list --service --region');
      assert.deepEqual((await openstack(['endpoint', 'list', '--service', 'compute', '--interface', 'public'], env)).map((e: any) => e.ID), [pub.id], 'endpoint list --interface');
      assert.deepEqual(await openstack(['endpoint', 'show', pub.id], env), pub, 'endpoint show');

      // Each CLI run authenticates anew, so once the catalog cache (2 s) has turned over its token shows the service.
      const entry = await eventually(() => openstack(['catalog', 'show', 'compute'], env).catch(() => undefined), (e) => e?.id === svc.id, { timeoutMs: 10_000, intervalMs: 250 });
      assert.equal(entry?.id, svc.id);
      assert.equal(entry.name, 'x');
      assert.deepEqual(entry.endpoints.find((e: any) => e.id === pub.id), {
        id: pub.id, interface: 'public', region_id: 'RegionOne', url: `http://compute.example:8774/v2.1/${h.adminProjectId}`, region: 'RegionOne',
      }, 'catalog show: the project id is substituted');

      await assert.rejects(openstackText(['region', 'delete', 'RegionTwo'], env),
        /Unable to delete region RegionTwo because it or its child regions have associated endpoints\. \(HTTP 403\)/);

      assert.equal(await openstackText(['endpoint', 'delete', pub.id], env), '');
      assert.ok(!(await openstack(['endpoint', 'list'], env)).some((e: any) => e.ID === pub.id), 'endpoint delete: still listed');
      // The service's other endpoint goes with it.
      assert.equal(await openstackText(['service', 'delete', 'x'], env), '');
      assert.ok(!(await openstack(['service', 'list'], env)).some((s: any) => s.ID === svc.id), 'service delete: still listed');
      assert.ok(!(await openstack(['endpoint', 'list'], env)).some((e: any) => e.ID === internal.id), 'service delete: its endpoint is still listed');
      await assert.rejects(openstackText(['service', 'show', svc.id], env), /No service with a type, name or ID/);

      assert.equal(await openstackText(['region', 'delete', 'RegionTwo'], env), '');
      assert.deepEqual((await openstack(['region', 'list'], env)).map((r: any) => r.Region), ['RegionOne'], 'region delete: RegionTwo and its child are gone');
    });
  });
}
