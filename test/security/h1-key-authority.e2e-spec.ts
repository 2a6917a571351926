import assert from 'node:assert/strict';
import { describe, test, before } from 'node:test';
import { AssignmentService, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { alibaba, outscale, type CloudKey } from '../helpers/cloud-clients.js';
import { databaseKinds } from '../helpers/databases.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';

const PW = 'h1-password-1';

/**
 * H1: a project admin mints, through SODA, a key owned by a cloud admin who is only a member of
 * the project. The key must carry no more than its owner's roles on the key's own project: it
 * may not manage another domain's user's keys, nor read or mint the cloud admin's other keys.
 */
for (const kind of databaseKinds()) {
  describe(`H1: a key acts with its owner's roles on the key's project only (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let p: string;
    let minted: CloudKey;
    let padminKey: CloudKey;
    const users: Record<string, string> = {};

    before(async () => {
      const { h } = ctx;
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const resources = h.get(ResourceService);
      const role = async (n: string) => (await assignments.findGlobalRole(n))!.id;
      p = (await resources.createProject({ name: 'h1-p', domainId: DEFAULT_DOMAIN_ID })).id;
      for (const [name, r] of [['padmin', 'admin'], ['carl', 'member']] as const) {
        users[name] = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
        await assignments.grant({ type: 'UserProject', actorId: users[name]!, targetId: p, roleId: await role(r) });
      }
      // a user of another domain, with a home project there
      const d2 = await resources.createDomain({ name: 'd2' });
      const q = (await resources.createProject({ name: 'h1-q', domainId: d2.id })).id;
      users.victim = (await identity.createUser({ name: 'victim', domainId: d2.id, password: PW, defaultProjectId: q })).id;
      await assignments.grant({ type: 'UserProject', actorId: users.victim, targetId: q, roleId: await role('member') });
      // the cloud admin is only a member of p, and holds a key of its own on the admin project
      await assignments.grant({ type: 'UserProject', actorId: h.adminUserId, targetId: p, roleId: await role('member') });
      const admin = (await issue(h.url, adminProjectAuth())).id;
      const own = await call(h.url, 'POST', `/v3/users/${h.adminUserId}/credentials/OS-EC2`, { token: admin, body: { tenant_id: h.adminProjectId } });
      assert.equal(own.status, 201, own.text);
      // the project admin mints a key for the cloud admin through SODA (the default policy allows it)
      const padmin = (await issue(h.url, passwordAuth({ name: 'padmin' }, PW, { project: { id: p } }))).id;
      const r = await call(h.multicloudUrl, 'POST', `/v1/${p}/aksks`, { token: padmin, body: { credential: { user_id: h.adminUserId } } });
      assert.equal(r.status, 200, r.text);
      minted = { ak: r.body.access_key, sk: r.body.secret_key };
      const pk = await call(h.url, 'POST', `/v3/users/${users.padmin}/credentials/OS-EC2`, { token: padmin, body: { tenant_id: p } });
      padminKey = { ak: pk.body.credential.access, sk: pk.body.credential.secret };
    });

    const oscRefused = (r: { status: number; text: string; body: any }) => {
      assert.equal(r.status, 401, r.text);
      assert.equal(r.body.Errors[0].Code, '4', r.text);
    };

    test('Outscale: the minted key cannot create a key for another domain\'s user, nor read or mint the cloud admin\'s keys', async () => {
      const { h } = ctx;
      oscRefused(await outscale(h.multicloudUrl, 'CreateAccessKey', { UserName: 'victim@d2' }, minted));
      assert.equal((await h.get(CredentialService).list({ userId: users.victim })).length, 0, 'no key was made for the victim');
      oscRefused(await outscale(h.multicloudUrl, 'ReadAccessKeys', { UserName: 'admin' }, minted));
      const before_ = (await h.get(CredentialService).list({ userId: h.adminUserId })).length;
      oscRefused(await outscale(h.multicloudUrl, 'CreateAccessKey', {}, minted));
      assert.equal((await h.get(CredentialService).list({ userId: h.adminUserId })).length, before_);
    });

    test('Alibaba: the same key is refused the same operations', async () => {
      const { h } = ctx;
      const create = await alibaba(h.multicloudUrl, minted, { Action: 'CreateAccessKey', UserPrincipalName: 'victim@d2' });
      assert.equal(create.status, 403, create.text);
      assert.equal(create.body.Code, 'NoPermission');
      const list = await alibaba(h.multicloudUrl, minted, { Action: 'ListAccessKeys', UserPrincipalName: 'admin@Default' });
      assert.equal(list.status, 403, list.text);
      assert.equal(list.body.Code, 'NoPermission');
      assert.equal((await h.get(CredentialService).list({ userId: users.victim })).length, 0);
    });

    test('the key keeps what its owner holds on its project: ec2tokens gives member on p, the key may delete itself', async () => {
      const { h } = ctx;
      const admin = (await issue(h.url, adminProjectAuth())).id;
      const t = await ec2tokens(h.url, admin, minted.ak, minted.sk);
      assert.equal(t.status, 200, t.text);
      assert.equal(t.body.token.project.id, p);
      assert.ok(!t.body.token.roles.some((r: { name: string }) => r.name === 'admin'), t.text);
      // a project admin's own key still manages the keys of the project's members
      const made = await outscale(h.multicloudUrl, 'CreateAccessKey', { UserName: 'carl' }, padminKey);
      assert.equal(made.status, 200, made.text);
      oscRefused(await outscale(h.multicloudUrl, 'CreateAccessKey', { UserName: 'victim@d2' }, padminKey));
      const del = await outscale(h.multicloudUrl, 'DeleteAccessKey', { AccessKeyId: minted.ak }, minted);
      assert.equal(del.status, 200, del.text);
    });
  });
}
