import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { outscale, type BasicLogin, type CloudKey } from '../helpers/cloud-clients.js';
import { databaseKinds } from '../helpers/databases.js';
import { useLintel } from '../helpers/lintel.js';

const PW = 'l3-password-1';

/**
 * L3: UpdateAccessKey without ExpirationDate cleared the expiry, so a key's owner removed an
 * expiry an administrator had set. Omitted now means unchanged; lifting an expiry (clearing it or
 * moving it later) takes `lintel:extend_key_expiry`, an administrator's by default; bringing it
 * forward stays with whoever may update the key.
 */
for (const kind of databaseKinds()) {
  describe(`L3: an owner cannot lift an expiry an admin set (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const padmin: BasicLogin = { login: 'padmin', password: PW };
    let carl: CloudKey;
    let capped: string;
    const expiryOf = async (access: string) => (await ctx.h.get(CredentialService).findByAccessKey(access))?.expiresAt?.toISOString() ?? null;

    before(async () => {
      const { h } = ctx;
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      const p = (await h.get(ResourceService).createProject({ name: 'l3-p', domainId: DEFAULT_DOMAIN_ID })).id;
      for (const [name, r] of [['padmin', 'admin'], ['carl', 'member']] as const) {
        const id = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW, defaultProjectId: p })).id;
        await assignments.grant({ type: 'UserProject', actorId: id, targetId: p, roleId: (await assignments.findGlobalRole(r))!.id });
      }
      const own = await outscale(h.multicloudUrl, 'CreateAccessKey', {}, { login: 'carl', password: PW });
      assert.equal(own.status, 200, own.text);
      carl = { ak: own.body.AccessKey.AccessKeyId, sk: own.body.AccessKey.SecretKey };
      // the project admin gives carl a key that expires
      const r = await outscale(h.multicloudUrl, 'CreateAccessKey', { UserName: 'carl', ExpirationDate: '2040-01-01' }, padmin);
      assert.equal(r.status, 200, r.text);
      capped = r.body.AccessKey.AccessKeyId;
    });

    test('an update that omits ExpirationDate keeps the expiry', async () => {
      const r = await outscale(ctx.h.multicloudUrl, 'UpdateAccessKey', { AccessKeyId: capped, State: 'ACTIVE' }, carl);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.AccessKey.ExpirationDate, '2040-01-01T00:00:00.000+0000');
      assert.equal(await expiryOf(capped), '2040-01-01T00:00:00.000Z');
    });

    test('the owner may not clear the expiry nor move it later; nothing changes', async () => {
      for (const body of [{ ClearExpirationDate: true }, { ExpirationDate: '2050-01-01' }]) {
        const r = await outscale(ctx.h.multicloudUrl, 'UpdateAccessKey', { AccessKeyId: capped, ...body }, carl);
        assert.equal(r.status, 401, r.text);
        assert.equal(r.body.Errors[0].Code, '4', r.text);
        assert.equal(await expiryOf(capped), '2040-01-01T00:00:00.000Z', JSON.stringify(body));
      }
    });

    test('the owner may bring it forward; the admin may lift it', async () => {
      const earlier = await outscale(ctx.h.multicloudUrl, 'UpdateAccessKey', { AccessKeyId: capped, ExpirationDate: '2035-06-01' }, carl);
      assert.equal(earlier.status, 200, earlier.text);
      assert.equal(await expiryOf(capped), '2035-06-01T00:00:00.000Z');
      const lifted = await outscale(ctx.h.multicloudUrl, 'UpdateAccessKey', { UserName: 'carl', AccessKeyId: capped, ClearExpirationDate: true }, padmin);
      assert.equal(lifted.status, 200, lifted.text);
      assert.ok(!('ExpirationDate' in lifted.body.AccessKey));
      assert.equal(await expiryOf(capped), null);
    });
  });
}
