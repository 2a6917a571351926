import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { alibaba, outscale, type CloudKey } from '../helpers/cloud-clients.js';
import { databaseKinds } from '../helpers/databases.js';
import { call, issue, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';

const PW = 'l4-password-1';

/**
 * L4: Outscale (5075 InvalidResource) and Alibaba (404 EntityNotExist.User) told an unknown user
 * from one the caller may not manage (401 code 4 / 403 NoPermission): a member could enumerate
 * the users of every domain. Both now get the answer of a user one may not manage.
 */
for (const kind of databaseKinds()) {
  describe(`L4: an unknown user looks like a forbidden one (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let key: CloudKey;

    before(async () => {
      const { h } = ctx;
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const resources = h.get(ResourceService);
      const member = (await assignments.findGlobalRole('member'))!.id;
      const p = (await resources.createProject({ name: 'l4-p', domainId: DEFAULT_DOMAIN_ID })).id;
      const alice = (await identity.createUser({ name: 'alice', domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
      await assignments.grant({ type: 'UserProject', actorId: alice, targetId: p, roleId: member });
      for (const name of ['bob']) {
        const id = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
        await assignments.grant({ type: 'UserProject', actorId: id, targetId: p, roleId: member });
      }
      const acme = await resources.createDomain({ name: 'acme' });
      const ap = (await resources.createProject({ name: 'acme-p', domainId: acme.id })).id;
      const dora = (await identity.createUser({ name: 'dora', domainId: acme.id, password: PW, defaultProjectId: ap })).id;
      await assignments.grant({ type: 'UserProject', actorId: dora, targetId: ap, roleId: member });
      const token = (await issue(h.url, passwordAuth({ name: 'alice' }, PW, { project: { id: p } }))).id;
      const made = await call(h.url, 'POST', `/v3/users/${alice}/credentials/OS-EC2`, { token, body: { tenant_id: p } });
      key = { ak: made.body.credential.access, sk: made.body.credential.secret };
    });

    /** What a client can tell from an answer: status and body without the request id. */
    const shape = (r: Res) => {
      const body = { ...r.body };
      delete body.RequestId;
      delete body.ResponseContext;
      if (typeof body.Recommend === 'string') delete body.Recommend;
      return JSON.stringify([r.status, body]);
    };

    test('Outscale: ReadAccessKeys and CreateAccessKey for an unknown and for a forbidden user answer alike', async () => {
      const base = ctx.h.multicloudUrl;
      for (const action of ['ReadAccessKeys', 'CreateAccessKey']) {
        const answers = [];
        for (const name of ['bob', 'dora@acme', 'nobody', 'nobody@acme', 'dora@nodomain']) answers.push(await outscale(base, action, { UserName: name }, key));
        for (const r of answers) assert.equal(r.status, 401, r.text);
        assert.equal(new Set(answers.map(shape)).size, 1, answers.map((r) => r.text).join('\n'));
      }
    });

    test('Alibaba: ListAccessKeys and CreateAccessKey for an unknown and for a forbidden user answer alike', async () => {
      const base = ctx.h.multicloudUrl;
      for (const action of ['ListAccessKeys', 'CreateAccessKey']) {
        const answers = [];
        for (const name of ['bob@Default', 'dora@acme', 'nobody@Default', 'nobody@acme', 'dora@nodomain']) answers.push(await alibaba(base, key, { Action: action, UserPrincipalName: name }));
        for (const r of answers) assert.equal(r.status, 403, r.text);
        assert.equal(new Set(answers.map(shape)).size, 1, answers.map((r) => r.text).join('\n'));
      }
    });
  });
}
