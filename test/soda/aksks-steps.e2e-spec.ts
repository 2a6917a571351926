import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { skipUnless } from '../helpers/commands.js';
import { curl, CURL, CURL_MISSING } from '../helpers/curl.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/**
 * Steps 3 to 6 of SODA's "Access Key, Secret Key" guide (docs/soda.md, "SODA's guide") with the real curl, as the
 * guide writes them: only the host, the ids and the token are this server's. Then the same key
 * seen through Keystone's APIs, and gone from all of them once deleted.
 */
for (const kind of databaseKinds()) {
  describe(`SODA AK/SK guide steps 3-6 with curl (${kind.kind})`, { skip: skipUnless(CURL, CURL_MISSING) }, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let token: string;
    let userId: string;
    let projectId: string;
    const dir = mkdtempSync(join(tmpdir(), 'lintel-soda-'));
    let created: { access_key: string; secret_key: string };

    before(async () => {
      h = ctx.h;
      const scoped = await issue(h.url, adminProjectAuth());
      token = scoped.id;
      userId = scoped.body.token.user.id;
      projectId = scoped.body.token.project.id;
    });

    after(async () => {
      rmSync(dir, { recursive: true, force: true });
    });

    test('step 3: POST /v1/<project_id>/aksks creates an AK/SK', async () => {
      const r = await curl({
        method: 'POST',
        url: `${h.multicloudUrl}/v1/${projectId}/aksks`,
        headers: [`X-Auth-Token: ${token}`, 'Content-Type: application/json'],
        dataRaw: `{
      "credential": {
          "project_id": "${projectId}",
          "user_id": "${userId}"
      }
  }`,
      });
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.deepEqual(Object.keys(r.body), ['access_key', 'secret_key']);
      assert.match(r.body.access_key, /^[0-9A-Za-z]{16}$/);
      assert.match(r.body.secret_key, /^[0-9A-Za-z]{32}$/);
      created = r.body;
    });

    test('step 4: GET /v1/<project_id>/aksks/<user_id> lists it', async () => {
      const r = await curl({
        method: 'GET',
        url: `${h.multicloudUrl}/v1/${projectId}/aksks/${userId}`,
        headers: [`X-Auth-Token: ${token}`],
        dataRaw: '',
      });
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.deepEqual(r.body, [{ project_id: projectId, user_id: userId, type: 'ec2', blob: created }]);
    });

    test('step 5: the same GET with --output downloads it to a file', async () => {
      const file = join(dir, 'aksk.json');
      const r = await curl({
        method: 'GET',
        url: `${h.multicloudUrl}/v1/${projectId}/aksks/${userId}`,
        headers: [`X-Auth-Token: ${token}`],
        dataRaw: '',
        output: file,
      });
      assert.equal(r.status, 200);
      assert.deepEqual(JSON.parse(readFileSync(file, 'utf8')), [{ project_id: projectId, user_id: userId, type: 'ec2', blob: created }]);
      const dl = await call(h.multicloudUrl, 'GET', `/v1/${projectId}/aksks/${userId}/download`, { token });
      assert.equal(dl.status, 200);
      assert.match(dl.headers.get('content-disposition') ?? '', /^attachment/);
    });

    test('the key is an ec2 credential in Keystone\'s APIs', async () => {
      const list = await call(h.url, 'GET', `/v3/credentials?type=ec2&user_id=${userId}`, { token });
      assert.equal(list.status, 200);
      const blobs = list.body.credentials.map((c: { blob: string }) => JSON.parse(c.blob));
      assert.deepEqual(blobs, [{ access: created.access_key, secret: created.secret_key }]);
      const ec2 = await call(h.url, 'GET', `/v3/users/${userId}/credentials/OS-EC2/${created.access_key}`, { token });
      assert.equal(ec2.status, 200);
      assert.equal(ec2.body.credential.tenant_id, projectId);
    });

    test('step 6: DELETE /v1/<project_id>/aksks/<user_id> removes it everywhere', async () => {
      const r = await curl({
        method: 'DELETE',
        url: `${h.multicloudUrl}/v1/${projectId}/aksks/${userId}`,
        headers: [`X-Auth-Token: ${token}`],
        dataRaw: '',
      });
      assert.equal(r.status, 200, r.text.slice(0, 200));
      assert.deepEqual(r.body, {});
      assert.deepEqual((await call(h.multicloudUrl, 'GET', `/v1/${projectId}/aksks/${userId}`, { token })).body, []);
      assert.deepEqual((await call(h.url, 'GET', `/v3/credentials?user_id=${userId}`, { token })).body.credentials, []);
      assert.equal((await call(h.url, 'GET', `/v3/users/${userId}/credentials/OS-EC2/${created.access_key}`, { token })).status, 404);
    });
  });
}
