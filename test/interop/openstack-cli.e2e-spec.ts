import { before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { openstackEnv, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';

/**
 * The real python-openstackclient (Debian's python3-openstackclient) against Lintel: `token issue
 * -f json` and `catalog list -f json` answer as they do against Keystone 22.
 */

const skip = skipWithoutOpenstack;
const cliEnv = (authUrl: string | undefined) => openstackEnv(authUrl);
/** `args` carry their own `-f json`. */
const openstack = async (args: string[], env: NodeJS.ProcessEnv) => JSON.parse(await openstackText(args, env));

function assertTokenIssue(t: any, h: Harness, what: string): void {
  assert.equal(typeof t, 'object', `${what}: not a JSON object`);
  assert.deepEqual(Object.keys(t).sort(), ['expires', 'id', 'project_id', 'user_id'], `${what}: fields`);
  assert.ok(typeof t.id === 'string' && t.id.length > 20, `${what}: id is not a token string`);
  assert.match(t.expires, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+0000$/, `${what}: expires format`);
  const expires = Date.parse(t.expires.replace(/\+0000$/, 'Z'));
  const inS = (expires - Date.now()) / 1000;
  assert.ok(inS > 3500 && inS <= 3600, `${what}: expires ${t.expires} is not about an hour from now`);
  assert.equal(t.project_id, h.adminProjectId, `${what}: project_id`);
  assert.equal(t.user_id, h.adminUserId, `${what}: user_id`);
}

/** The CLI-issued token validates on the service as the admin's token scoped to project admin. */
async function assertValidOnService(h: Harness, tokenId: string, what: string): Promise<void> {
  const admin = await issue(h.url, adminProjectAuth());
  const r = await call(h.url, 'GET', '/v3/auth/tokens', { token: admin.id, subject: tokenId });
  assert.equal(r.status, 200, `${what}: GET /v3/auth/tokens on the CLI's token answered ${r.status}`);
  assert.equal(r.body?.token?.project?.id, h.adminProjectId, `${what}: validated token's project`);
  assert.equal(r.body?.token?.user?.id, h.adminUserId, `${what}: validated token's user`);
}

for (const kind of databaseKinds()) {
  describe(`openstack CLI against Lintel (${kind.kind})`, { skip }, () => {
    const ctx = useLintel(kind);
    let h: Harness;

    before(async () => {
      h = ctx.h;
    });

    it('token issue -f json (OS_AUTH_URL=<url>/v3)', async () => {
      const t = await openstack(['token', 'issue', '-f', 'json'], cliEnv(`${h.url}/v3`));
      assertTokenIssue(t, h, 'token issue');
      await assertValidOnService(h, t.id, 'token issue');
    });

    it('token issue -f json --os-auth-url <url>/identity/v3 (the devstack path)', async () => {
      // OS_AUTH_URL is left out: the flag alone names the endpoint, so a pass shows the
      // devstack path served discovery and authentication.
      const t = await openstack(['--os-auth-url', `${h.url}/identity/v3`, 'token', 'issue', '-f', 'json'], cliEnv(undefined));
      assertTokenIssue(t, h, 'token issue via /identity/v3');
      await assertValidOnService(h, t.id, 'token issue via /identity/v3');
    });

    it('catalog list -f json', async () => {
      const list = await openstack(['catalog', 'list', '-f', 'json'], cliEnv(`${h.url}/v3`));
      assert.ok(Array.isArray(list), 'catalog list: not a JSON array');
      assert.ok(list.length > 0, 'catalog list: empty');
      for (const e of list) assert.deepEqual(Object.keys(e).sort(), ['Endpoints', 'Name', 'Type'], 'catalog list: entry fields');

      const byName = (name: string) => list.filter((e: any) => e.Name === name);
      for (const [name, type, urlEnd] of [['keystone', 'identity', '/v3/'], ['multicloud', 'multicloud', `/v1/${h.adminProjectId}`]] as const) {
        const entries = byName(name);
        assert.equal(entries.length, 1, `catalog list: one ${name} entry expected, got ${entries.length}`);
        const e = entries[0];
        assert.equal(e.Type, type, `catalog list: ${name} type`);
        assert.ok(Array.isArray(e.Endpoints), `catalog list: ${name} Endpoints is not a list`);
        assert.deepEqual(e.Endpoints.map((x: any) => x.interface).sort(), ['admin', 'internal', 'public'], `catalog list: ${name} interfaces`);
        for (const ep of e.Endpoints) {
          assert.deepEqual(Object.keys(ep).sort(), ['id', 'interface', 'region', 'region_id', 'url'], `catalog list: ${name} endpoint fields`);
          assert.equal(ep.region_id, 'RegionOne', `catalog list: ${name} ${ep.interface} region_id`);
          assert.equal(ep.region, 'RegionOne', `catalog list: ${name} ${ep.interface} region`);
          assert.match(ep.url, /^https?:\/\//, `catalog list: ${name} ${ep.interface} url`);
          assert.ok(ep.url.endsWith(urlEnd), `catalog list: ${name} ${ep.interface} url ${ep.url} should end with ${urlEnd}`);
        }
      }
    });
    it('ec2 credentials create / list / show / delete', async () => {
      const env = cliEnv(`${h.url}/v3`);
      const c = await openstack(['ec2', 'credentials', 'create', '-f', 'json'], env);
      assert.deepEqual(Object.keys(c).sort(), ['access', 'links', 'project_id', 'secret', 'trust_id', 'user_id'], 'ec2 credentials create: fields');
      assert.match(c.access, /^[0-9a-f]{32}$/);
      assert.equal(c.project_id, h.adminProjectId);
      assert.equal(c.user_id, h.adminUserId);
      const list = await openstack(['ec2', 'credentials', 'list', '-f', 'json'], env);
      assert.ok(list.some((x: any) => x.Access === c.access && x['Project ID'] === h.adminProjectId), 'ec2 credentials list shows the new key');
      const shown = await openstack(['ec2', 'credentials', 'show', c.access, '-f', 'json'], env);
      assert.equal(shown.access, c.access);
      assert.equal(await openstackText(['ec2', 'credentials', 'delete', c.access], env), '');
      const after_ = await openstack(['ec2', 'credentials', 'list', '-f', 'json'], env);
      assert.ok(!after_.some((x: any) => x.Access === c.access), 'deleted key still listed');
    });

    it('credential create / list / delete (an ec2 blob, seen by OS-EC2 too)', async () => {
      const env = cliEnv(`${h.url}/v3`);
      const blob = JSON.stringify({ access: 'cli-access-key-1', secret: 'cli-secret-key-1' });
      const c = await openstack(['credential', 'create', h.adminUserId, blob, '--type', 'ec2', '--project', h.adminProjectId, '-f', 'json'], env);
      assert.equal(c.type, 'ec2');
      assert.equal(c.user_id, h.adminUserId);
      assert.equal(c.project_id, h.adminProjectId);
      const list = await openstack(['credential', 'list', '-f', 'json'], env);
      assert.ok(list.some((x: any) => x.ID === c.id), 'credential list shows it');
      const ec2 = await openstack(['ec2', 'credentials', 'list', '-f', 'json'], env);
      assert.ok(ec2.some((x: any) => x.Access === 'cli-access-key-1'), 'the same key through OS-EC2');
      assert.equal(await openstackText(['credential', 'delete', c.id], env), '');
      const after_ = await openstack(['credential', 'list', '-f', 'json'], env);
      assert.ok(!after_.some((x: any) => x.ID === c.id));
    });
  });
}
