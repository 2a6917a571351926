import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { alibaba, outscale, type CloudKey } from '../helpers/cloud-clients.js';
import { databaseKinds } from '../helpers/databases.js';
import { ec2tokens } from '../helpers/ec2tokens.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { eventually } from '../helpers/wait.js';

const PW = 'l1-password-1';

/**
 * L1: Outscale and Alibaba accepted keys whose project is disabled, or whose owner no longer
 * holds a role there, where /v3/ec2tokens refused them. One check now serves all three.
 */
for (const kind of databaseKinds()) {
  describe(`L1: a key's project and its owner's role there, in every dialect (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let p: string;
    let userId: string;
    let memberRole: string;
    let key: CloudKey;
    let admin: string;

    /** The three verdicts on the key: [ec2tokens, Outscale, Alibaba] statuses. */
    const verdicts = async () => {
      const { h } = ctx;
      return [
        (await ec2tokens(h.url, admin, key.ak, key.sk)).status,
        (await outscale(h.multicloudUrl, 'ReadAccessKeys', {}, key)).status,
        (await alibaba(h.multicloudUrl, key, { Action: 'ListAccessKeys' })).status,
      ];
    };
    const accepted = (v: number[]) => v.every((s) => s === 200);
    /** Refused by the key's authority: ec2tokens 401, Outscale 401 (authentication), Alibaba 400 (InvalidAccessKeyId.Inactive). */
    const refused = (v: number[]) => v[0] === 401 && v[1] === 401 && v[2] === 400;

    before(async () => {
      const { h } = ctx;
      const assignments = h.get(AssignmentService);
      p = (await h.get(ResourceService).createProject({ name: 'l1-p', domainId: DEFAULT_DOMAIN_ID })).id;
      userId = (await h.get(IdentityService).createUser({ name: 'lena', domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
      memberRole = (await assignments.findGlobalRole('member'))!.id;
      await assignments.grant({ type: 'UserProject', actorId: userId, targetId: p, roleId: memberRole });
      const token = (await issue(h.url, passwordAuth({ name: 'lena' }, PW, { project: { id: p } }))).id;
      const made = await call(h.url, 'POST', `/v3/users/${userId}/credentials/OS-EC2`, { token, body: { tenant_id: p } });
      key = { ak: made.body.credential.access, sk: made.body.credential.secret };
      admin = (await issue(h.url, adminProjectAuth())).id;
    });

    test('while the project is enabled and the role held, every dialect accepts the key', async () => {
      assert.deepEqual(await verdicts(), [200, 200, 200]);
    });

    test('the key\'s project disabled: refused by ec2tokens, Outscale and Alibaba alike; enabled again: accepted', async () => {
      const { h } = ctx;
      const off = await call(h.url, 'PATCH', `/v3/projects/${p}`, { token: admin, body: { project: { enabled: false } } });
      assert.equal(off.status, 200, off.text);
      const v = await eventually(verdicts, refused, { timeoutMs: 3000 });
      assert.deepEqual(v, [401, 401, 400], 'ec2tokens 401, Outscale 401 (authentication failed), Alibaba 400 (InvalidAccessKeyId.Inactive)');
      assert.deepEqual(await verdicts(), v, 'and it stays refused');
      await call(h.url, 'PATCH', `/v3/projects/${p}`, { token: admin, body: { project: { enabled: true } } });
      assert.deepEqual(await eventually(verdicts, accepted, { timeoutMs: 3000 }), [200, 200, 200]);
    });

    test('the owner\'s role on the key\'s project removed: refused everywhere; granted again: accepted', async () => {
      const { h } = ctx;
      const off = await call(h.url, 'DELETE', `/v3/projects/${p}/users/${userId}/roles/${memberRole}`, { token: admin });
      assert.equal(off.status, 204, off.text);
      assert.deepEqual(await eventually(verdicts, refused, { timeoutMs: 3000 }), [401, 401, 400]);
      const r = await alibaba(h.multicloudUrl, key, { Action: 'ListAccessKeys' });
      assert.equal(r.body.Code, 'InvalidAccessKeyId.Inactive', r.text);
      await call(h.url, 'PUT', `/v3/projects/${p}/users/${userId}/roles/${memberRole}`, { token: admin });
      assert.deepEqual(await eventually(verdicts, accepted, { timeoutMs: 3000 }), [200, 200, 200]);
    });

    test('the project\'s domain disabled: refused everywhere', async () => {
      const { h } = ctx;
      const d = (await h.get(ResourceService).createDomain({ name: 'l1-d' })).id;
      const q = (await h.get(ResourceService).createProject({ name: 'l1-q', domainId: d })).id;
      await h.get(AssignmentService).grant({ type: 'UserProject', actorId: userId, targetId: q, roleId: memberRole });
      const token = (await issue(h.url, passwordAuth({ name: 'lena' }, PW, { project: { id: q } }))).id;
      const made = await call(h.url, 'POST', `/v3/users/${userId}/credentials/OS-EC2`, { token, body: { tenant_id: q } });
      const qKey = { ak: made.body.credential.access, sk: made.body.credential.secret };
      const probe = async () => [
        (await ec2tokens(h.url, admin, qKey.ak, qKey.sk)).status,
        (await alibaba(h.multicloudUrl, qKey, { Action: 'ListAccessKeys' })).status,
      ];
      assert.equal((await call(h.url, 'PATCH', `/v3/domains/${d}`, { token: admin, body: { domain: { enabled: false } } })).status, 200);
      assert.deepEqual(await eventually(probe, (x) => x[0] === 401 && x[1] === 400, { timeoutMs: 3000 }), [401, 400]);
    });
  });
}
