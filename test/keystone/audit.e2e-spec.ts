import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, testEnv, useLintel, type Harness } from '../helpers/lintel.js';
import { runNode, scripts } from '../helpers/processes.js';
import { eventually } from '../helpers/wait.js';


/** The CADF audit trail: changes and authentications, success and failure, readable by admins. */
for (const kind of databaseKinds()) {
  describe(`audit trail (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let admin: string;

    before(async () => {
      h = ctx.h;
      admin = (await issue(h.url, adminProjectAuth())).id;
    });

    test('creates, deletes and logins are recorded as CADF events, secrets never', async () => {
      const u = (await call(h.url, 'POST', '/v3/users', { token: admin, body: { user: { name: 'audited', password: 'audited-pw-1' } } })).body.user;
      keystoneError(await call(h.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'audited' }, 'wrong-secret-pw') }), 401);
      assert.equal((await call(h.url, 'DELETE', `/v3/users/${u.id}`, { token: admin })).status, 204);
      // Until the deletion, the last of them, is listed.
      const r = await eventually(() => call(h.url, 'GET', '/v3/OS-AUDIT/events?limit=10', { token: admin }),
        (x) => x.status !== 200 || x.body.events.some((e: any) => e.action === 'deleted.user' && e.target.id === u.id));
      assert.equal(r.status, 200);
      const events = r.body.events as any[];
      const find = (action: string, outcome: string) => events.find((e) => e.action === action && e.outcome === outcome);
      const created = find('created.user', 'success');
      assert.equal(created.target.id, u.id);
      assert.equal(created.target.typeURI, 'data/security/user');
      assert.equal(created.initiator.id, h.adminUserId);
      assert.equal(created.initiator.project_id, h.adminProjectId);
      assert.match(created.requestId, /^req-/);
      assert.equal(created.typeURI, 'http://schemas.dmtf.org/cloud/audit/1.0/event');
      const failed = find('authenticate', 'failure');
      assert.equal(failed.initiator.name, 'audited@Default');
      assert.ok(find('deleted.user', 'success'));
      assert.ok(find('authenticate', 'success'), 'the admin login of the harness');
      const text = JSON.stringify(events);
      assert.ok(!text.includes('wrong-secret-pw') && !text.includes('audited-pw-1') && !text.includes(ADMIN_PASSWORD));
      const member = (await call(h.url, 'POST', '/v3/users', { token: admin, body: { user: { name: 'peeker', password: 'peeker-pw-1' } } })).body.user;
      assert.ok(member.id);
      const peeker = (await issue(h.url, passwordAuth({ name: 'peeker' }, 'peeker-pw-1'))).id;
      keystoneError(await call(h.url, 'GET', '/v3/OS-AUDIT/events', { token: peeker }), 403);
      keystoneError(await call(h.url, 'GET', '/v3/OS-AUDIT/events?limit=0', { token: admin }), 400);
    });

    test('the manage CLI prints the trail', async () => {
      const r = await runNode(scripts.manage, ['audit', 'list', '--limit', '5'], testEnv(ctx.db, { LINTEL_LOG_LEVEL: 'warn' }));
      assert.equal(r.code, 0, r.output);
      const lines = r.output.trim().split('\n').filter((l) => l.startsWith('{"typeURI"'));
      assert.equal(lines.length, 5);
      for (const l of lines) assert.ok(JSON.parse(l).action);
    });
  });
}
