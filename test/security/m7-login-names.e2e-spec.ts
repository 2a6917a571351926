import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { edgioHttpLogin, edgioRpc, outscaleBasic, rpcCall } from './fixtures.js';

const VICTIM_PW = 'm7-victim-password';
const ATTACKER_PW = 'm7-attacker-password';

/**
 * M7 (docs/security.md, "Login names"): a cloud dialect's login `name@D`, where D names a domain,
 * is user `name` of domain D and nothing else; a user of domain Default whose own name is
 * `name@D` is reached as `name@D@Default`. A name whose suffix names no domain stays a Default
 * user's name.
 */
for (const kind of databaseKinds()) {
  describe(`security M7: login names resolve to one user (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { api } = adminCalls(ctx);
    const ids: Record<string, string> = {};

    before(async () => {
      const resources = ctx.h.get(ResourceService);
      const identity = ctx.h.get(IdentityService);
      const assignments = ctx.h.get(AssignmentService);
      const member = (await assignments.findGlobalRole('member'))!.id;
      const d1 = (await resources.createDomain({ name: 'D1' })).id;
      const p1 = (await resources.createProject({ name: 'd1-project', domainId: d1 })).id;
      ids.victim = (await identity.createUser({ name: 'victim', domainId: d1, password: VICTIM_PW, defaultProjectId: p1 })).id;
      await assignments.grant({ type: 'UserProject', actorId: ids.victim, targetId: p1, roleId: member });
      // A Default-domain admin (here the cloud admin, through Keystone's API) makes the look-alike.
      const r = await api('POST', '/v3/users', { user: { name: 'victim@D1', domain_id: DEFAULT_DOMAIN_ID, password: ATTACKER_PW } });
      assert.equal(r.status, 201, r.text);
      ids.lookalike = r.body.user.id;
      const p0 = (await resources.createProject({ name: 'default-project', domainId: DEFAULT_DOMAIN_ID })).id;
      await assignments.grant({ type: 'UserProject', actorId: ids.lookalike, targetId: p0, roleId: member });
      ids.mail = (await identity.createUser({ name: 'carol@example.org', domainId: DEFAULT_DOMAIN_ID, password: ATTACKER_PW })).id;
    });

    const edgioLogin = async (username: string, password: string) => (await edgioRpc(ctx.h, rpcCall('login', { username, password, detail: true }))).body.result;

    test('Edgio login victim@D1 reaches the D1 user, never the Default user of that name', async () => {
      assert.deepEqual(await edgioLogin('victim@D1', ATTACKER_PW), [null, null]);
      const [token, info] = await edgioLogin('victim@D1', VICTIM_PW);
      assert.equal(typeof token, 'string');
      assert.equal(info.path, '/d1-project');
      assert.equal((await edgioHttpLogin(ctx.h, 'victim@D1', ATTACKER_PW)).status, 400);
      assert.equal((await edgioHttpLogin(ctx.h, 'victim@D1', VICTIM_PW)).status, 200);
    });

    test('Outscale Basic victim@D1 is the D1 user too', async () => {
      assert.equal((await outscaleBasic(ctx.h, 'ReadAccessKeys', 'victim@D1', ATTACKER_PW)).status, 401);
      assert.equal((await outscaleBasic(ctx.h, 'ReadAccessKeys', 'victim@D1', VICTIM_PW)).status, 200);
    });

    test('the Default user named victim@D1 is reached as victim@D1@Default', async () => {
      const [token] = await edgioLogin('victim@D1@Default', ATTACKER_PW);
      assert.equal(typeof token, 'string');
      assert.deepEqual(await edgioLogin('victim@D1@Default', VICTIM_PW), [null, null]);
      assert.equal((await outscaleBasic(ctx.h, 'ReadAccessKeys', 'victim@D1@Default', ATTACKER_PW)).status, 200);
    });

    test('a name whose suffix names no domain stays a Default user\'s name', async () => {
      const [token] = await edgioLogin('carol@example.org', ATTACKER_PW);
      assert.equal(typeof token, 'string');
    });

    test('Outscale UserName victim@D1 names the D1 user: the look-alike cannot read its keys', async () => {
      // The look-alike is no administrator: asking for victim@D1's keys must target the D1 user and be refused.
      const r = await outscaleBasic(ctx.h, 'ReadAccessKeys', 'victim@D1@Default', ATTACKER_PW, { UserName: 'victim@D1' });
      assert.equal(r.status, 401, r.text);
      const own = await outscaleBasic(ctx.h, 'ReadAccessKeys', 'victim@D1', VICTIM_PW, { UserName: 'victim@D1' });
      assert.equal(own.status, 200, own.text);
    });
  });
}
