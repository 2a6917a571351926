import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { outscale } from '../helpers/cloud-clients.js';
import { databaseKinds } from '../helpers/databases.js';
import { call, issue, passwordAuth } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { addPersonas, addProjects } from '../helpers/personas.js';

const PW = 'expiry-utc-password-1';

/**
 * Issue 15: the console read a date-time without a zone in the server's local time, Outscale in
 * UTC. One parser now reads both, as UTC. The server here runs in Tokyo time (TZ is read by
 * Node's Date at once), so a local-time reading would land nine hours early.
 */
for (const kind of databaseKinds()) {
  describe(`an expiry without a zone is UTC in every dialect, whatever the server's time zone (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const tz = process.env.TZ;
    let p: string;
    let token: string;

    before(async () => {
      process.env.TZ = 'Asia/Tokyo';
      [p] = await addProjects(ctx.h, 'utc-p');
      await addPersonas(ctx.h, [['umi', 'member', p!]], PW);
      token = (await issue(ctx.h.url, passwordAuth({ name: 'umi' }, PW, { project: { id: p } }))).id;
    });
    after(() => {
      if (tz === undefined) delete process.env.TZ;
      else process.env.TZ = tz;
    });

    test('the console and Outscale read 2033-04-05T10:00 alike, as 10:00 UTC', async () => {
      assert.equal(new Date(2033, 3, 5, 10).toISOString(), '2033-04-05T01:00:00.000Z', 'the server runs in Tokyo time');
      const c = await call(ctx.h.url, 'POST', `/v3/OS-LINTEL/projects/${p}/access_keys`, { token, body: { access_key: { expires_at: '2033-04-05T10:00' }, password: PW } });
      assert.equal(c.status, 201, c.text);
      assert.equal(c.body.access_key.expires_at, '2033-04-05T10:00:00.000Z');
      const o = await outscale(ctx.h.multicloudUrl, 'CreateAccessKey', { ExpirationDate: '2033-04-05T10:00' }, { login: 'umi', password: PW });
      assert.equal(o.status, 200, o.text);
      assert.equal(o.body.AccessKey.ExpirationDate, '2033-04-05T10:00:00.000+0000');
    });
  });
}
