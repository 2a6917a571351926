import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { before, describe, test } from 'node:test';
import { AssignmentService, AuditService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { alibaba, outscale, type CloudKey } from '../helpers/cloud-clients.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, passwordAuth } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';

const PW = 'audit-keys-password-1';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/**
 * Issue 15, scope 5: key changes are audited by the access-key core where they happen, once each,
 * whichever API made them (the identity app's after-the-fact hook no longer records them, and the
 * multicloud app had no audit trail for keys at all).
 */
for (const kind of databaseKinds()) {
  describe(`key changes are audited by the core, once, in every dialect (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let p: string;
    let alice: string;
    let token: string;
    let admin: string;

    before(async () => {
      const { h } = ctx;
      const assignments = h.get(AssignmentService);
      p = (await h.get(ResourceService).createProject({ name: 'audit-p', domainId: DEFAULT_DOMAIN_ID })).id;
      alice = (await h.get(IdentityService).createUser({ name: 'alice', domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
      await assignments.grant({ type: 'UserProject', actorId: alice, targetId: p, roleId: (await assignments.findGlobalRole('member'))!.id });
      token = (await issue(h.url, passwordAuth({ name: 'alice' }, PW, { project: { id: p } }))).id;
      admin = (await issue(h.url, adminProjectAuth())).id;
    });

    /** The credential events recorded about `credentialId`, oldest first, once both apps have written theirs. */
    async function eventsOf(credentialId: string): Promise<any[]> {
      const { h } = ctx;
      await h.multicloud.get(AuditService).flush();
      const r = await call(h.url, 'GET', '/v3/OS-AUDIT/events?limit=1000', { token: admin });
      assert.equal(r.status, 200, r.text);
      return (r.body.events as any[]).filter((e) => e.target.id === credentialId).reverse();
    }
    const actions = (events: any[]) => events.map((e) => `${e.action}:${e.outcome}`);

    test('console: created, updated, deleted, each once, by the caller on the project', async () => {
      const { h } = ctx;
      const base = `/v3/OS-LINTEL/projects/${p}/access_keys`;
      const made = await call(h.url, 'POST', base, { token, body: { access_key: {}, password: PW } });
      assert.equal(made.status, 201, made.text);
      const access = made.body.access_key.access;
      assert.equal((await call(h.url, 'PATCH', `${base}/${access}`, { token, body: { access_key: { state: 'inactive' } } })).status, 200);
      assert.equal((await call(h.url, 'DELETE', `${base}/${access}`, { token })).status, 204);
      const events = await eventsOf(sha256(access));
      assert.deepEqual(actions(events), ['created.credential:success', 'updated.credential:success', 'deleted.credential:success']);
      for (const e of events) {
        assert.equal(e.initiator.id, alice);
        assert.equal(e.initiator.project_id, p);
        assert.equal(e.target.typeURI, 'data/security/credential');
        assert.match(e.requestId, /^req-/);
      }
      assert.ok(!JSON.stringify(events).includes(made.body.access_key.secret));
    });

    test('SODA, Outscale, Alibaba and Edgio changes are audited too', async () => {
      const { h } = ctx;
      const soda = await call(h.multicloudUrl, 'POST', `/v1/${p}/aksks`, { token, body: {} });
      assert.equal(soda.status, 200, soda.text);
      assert.equal((await call(h.multicloudUrl, 'DELETE', `/v1/${p}/aksks/${alice}`, { token })).status, 200);
      assert.deepEqual(actions(await eventsOf(sha256(soda.body.access_key))), ['created.credential:success', 'deleted.credential:success']);

      const osc = await outscale(h.multicloudUrl, 'CreateAccessKey', {}, { login: 'alice', password: PW });
      assert.equal(osc.status, 200, osc.text);
      const key: CloudKey = { ak: osc.body.AccessKey.AccessKeyId, sk: osc.body.AccessKey.SecretKey };
      assert.equal((await outscale(h.multicloudUrl, 'UpdateAccessKey', { AccessKeyId: key.ak, State: 'ACTIVE' }, key)).status, 200);
      const ali = await alibaba(h.multicloudUrl, key, { Action: 'CreateAccessKey' });
      assert.equal(ali.status, 200, ali.text);
      assert.equal((await alibaba(h.multicloudUrl, key, { Action: 'DeleteAccessKey', UserAccessKeyId: ali.body.AccessKey.AccessKeyId })).status, 200);
      const oscEvents = await eventsOf(sha256(key.ak));
      assert.deepEqual(actions(oscEvents), ['created.credential:success', 'updated.credential:success']);
      assert.equal(oscEvents[0].initiator.project_id, undefined, 'a password login acts on no project');
      assert.equal(oscEvents[1].initiator.project_id, p, 'a signed request acts on its key\'s project');
      assert.deepEqual(actions(await eventsOf(sha256(ali.body.AccessKey.AccessKeyId))), ['created.credential:success', 'deleted.credential:success']);

      const rpc = async (method: string, params: unknown[]) => (await call(h.multicloudUrl, 'POST', '/jsonrpc2', { body: { jsonrpc: '2.0', method, params, id: 1 } })).body.result;
      const [session] = await rpc('login', ['alice', PW]);
      const first = await rpc('initKeyPair', [session]);
      const second = await rpc('initKeyPair', [session]);
      assert.deepEqual(actions(await eventsOf(sha256(first.access_key))), ['created.credential:success', 'deleted.credential:success'], 'replaced by the second pair');
      const events = await eventsOf(sha256(second.access_key));
      assert.deepEqual(actions(events), ['created.credential:success']);
      assert.equal(events[0].initiator.id, alice);
    });
  });
}
