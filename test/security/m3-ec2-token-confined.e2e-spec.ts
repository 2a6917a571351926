import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, ResourceService, DEFAULT_DOMAIN_ID } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, call, keystoneError } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { ec2tokens, keyOwner, sigV4Post, type KeyOwner } from './fixtures.js';

/**
 * M3 (docs/security.md): a token obtained from `/v3/ec2tokens` is for the service that exchanged
 * the signature. It manages no keys anywhere (Keystone, the console, SODA) and cannot be turned
 * into another token with the `token` method.
 */
for (const kind of databaseKinds()) {
  describe(`security M3: ec2-derived tokens manage no keys and are not rescoped (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { adminToken } = adminCalls(ctx);
    let key: KeyOwner;
    let other: string;
    let ec2Token: string;

    before(async () => {
      key = await keyOwner(ctx.h, adminToken(), 'm3-owner', { role: 'admin' });
      other = (await ctx.h.get(ResourceService).createProject({ name: 'm3-other', domainId: DEFAULT_DOMAIN_ID })).id;
      const assignments = ctx.h.get(AssignmentService);
      await assignments.grant({ type: 'UserProject', actorId: key.userId, targetId: other, roleId: (await assignments.findGlobalRole('member'))!.id });
      const r = await ec2tokens(ctx.h, adminToken(), await sigV4Post(key, new Date()));
      assert.equal(r.status, 200, r.text);
      ec2Token = r.headers.get('x-subject-token')!;
      assert.deepEqual(r.body.token.methods, ['ec2credential']);
    });

    test('the token still validates for the service that asked for it (control)', async () => {
      const r = await call(ctx.h.url, 'GET', '/v3/auth/tokens', { token: adminToken(), subject: ec2Token });
      assert.equal(r.status, 200, r.text);
    });

    test('Keystone credentials and the console key API refuse it (403)', async () => {
      keystoneError(await call(ctx.h.url, 'GET', '/v3/credentials', { token: ec2Token }), 403);
      keystoneError(await call(ctx.h.url, 'GET', `/v3/OS-LINTEL/projects/${key.projectId}/access_keys`, { token: ec2Token }), 403);
    });

    test('SODA refuses it: no listing of secrets, no new key', async () => {
      const list = await call(ctx.h.multicloudUrl, 'GET', `/v1/${key.projectId}/aksks/${key.userId}`, { token: ec2Token });
      assert.equal(list.status, 403, list.text);
      assert.equal(list.text, 'Operation is not permitted');
      const download = await call(ctx.h.multicloudUrl, 'GET', `/v1/${key.projectId}/aksks/${key.userId}/download`, { token: ec2Token });
      assert.equal(download.status, 403, download.text);
      const create = await call(ctx.h.multicloudUrl, 'POST', `/v1/${key.projectId}/aksks`, { token: ec2Token, body: {} });
      assert.equal(create.status, 403, create.text);
      const del = await call(ctx.h.multicloudUrl, 'DELETE', `/v1/${key.projectId}/aksks/${key.userId}`, { token: ec2Token });
      assert.equal(del.status, 403, del.text);
      const keys = await call(ctx.h.url, 'GET', `/v3/credentials?user_id=${key.userId}`, { token: adminToken() });
      assert.equal(keys.body.credentials.length, 1, 'no key was made or removed');
    });

    test('the token method refuses it: no rescoping to another project, nor to the same scope', async () => {
      const rescope = (scope?: unknown) => call(ctx.h.url, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['token'], token: { id: ec2Token } }, ...(scope ? { scope } : {}) } },
      });
      const e = keystoneError(await rescope({ project: { id: other } }), 403);
      // Keystone 22's own words (its delegated-token guard), double full stop included.
      assert.equal(e.message, 'You are not authorized to perform the requested action: Using a delegated token to create another token is not allowed..');
      keystoneError(await rescope({ project: { id: key.projectId } }), 403);
      keystoneError(await rescope(), 403);
    });
  });
}
