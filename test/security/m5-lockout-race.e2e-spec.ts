import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { IdentityService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, call, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { eventually } from '../helpers/wait.js';
import { edgioHttpLogin, edgioRpc, keyOwner, keystoneLogin, outscaleBasic, rpcCall } from './fixtures.js';

const LIMIT = 5;
const WRONG = 30;
const PW = 'm5-password-1';

/** One login path: how to try a password for a user, and whether the answer let the user in. */
interface Path {
  name: string;
  setUp(h: Harness, admin: string, user: string): Promise<{ userId: string; attempt(password: string): Promise<Res> }>;
  accepted(r: Res): boolean;
}

const PATHS: Path[] = [
  {
    name: 'Keystone password',
    setUp: async (h, admin, user) => {
      const o = await keyOwner(h, admin, user, { password: PW });
      return { userId: o.userId, attempt: (pw) => keystoneLogin(h, { name: user, domain: { id: 'default' } }, pw) };
    },
    accepted: (r) => r.status === 201,
  },
  {
    name: 'Edgio login',
    setUp: async (h, admin, user) => {
      const o = await keyOwner(h, admin, user, { password: PW });
      return { userId: o.userId, attempt: (pw) => edgioRpc(h, rpcCall('login', { username: user, password: pw })) };
    },
    accepted: (r) => typeof r.body?.result?.[0] === 'string',
  },
  {
    name: 'Edgio /account/login',
    setUp: async (h, admin, user) => {
      const o = await keyOwner(h, admin, user, { password: PW });
      return { userId: o.userId, attempt: (pw) => edgioHttpLogin(h, user, pw) };
    },
    accepted: (r) => r.status === 200,
  },
  {
    name: 'Outscale Basic',
    setUp: async (h, admin, user) => {
      const o = await keyOwner(h, admin, user, { password: PW });
      return { userId: o.userId, attempt: (pw) => outscaleBasic(h, 'ReadAccessKeys', user, pw) };
    },
    accepted: (r) => r.status === 200,
  },
  {
    name: 'console password confirmation',
    setUp: async (h, admin, user) => {
      const o = await keyOwner(h, admin, user, { password: PW });
      const unscoped = await keystoneLogin(h, { id: o.userId }, PW);
      const r = await call(h.url, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['token'], token: { id: unscoped.headers.get('x-subject-token') } }, scope: { project: { id: o.projectId } } } } });
      assert.equal(r.status, 201, r.text);
      const token = r.headers.get('x-subject-token')!;
      return { userId: o.userId, attempt: (pw) => call(h.url, 'POST', `/v3/OS-LINTEL/projects/${o.projectId}/access_keys`, { token, body: { access_key: {}, password: pw } }) };
    },
    accepted: (r) => r.status === 201,
  },
];

/**
 * M5 (docs/security.md): a failed attempt is reserved in the database (one conditional UPDATE)
 * before the password is hashed, so a burst of concurrent guesses gets no more password checks
 * than the lockout allows, and the right password sent inside the burst, after the allowed
 * attempts, is refused. The same login path serves every dialect.
 *
 * Bcrypt cost 10 on one hash thread makes each check take tens of milliseconds, so the burst's
 * checks queue; the right password is sent once the database shows the lockout's worth of
 * failures. Before the fix the count rose only as hashes finished and ended at 30; the right
 * password sent a fixed 250 ms into the burst was let in on every path.
 */
for (const kind of databaseKinds()) {
  describe(`security M5: lockout holds under a burst of concurrent logins (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_LOCKOUT_FAILURE_ATTEMPTS: String(LIMIT), LINTEL_LOCKOUT_DURATION: '600', LINTEL_BCRYPT_ROUNDS: '10', LINTEL_HASH_THREADS: '1' });
    const { adminToken } = adminCalls(ctx);

    PATHS.forEach((path, i) => {
      test(`${path.name}: ${WRONG} concurrent wrong passwords count ${LIMIT} failures; the right one sent inside the burst is refused`, async () => {
        const { userId, attempt } = await path.setUp(ctx.h, adminToken(), `m5-user-${i}`);
        const identity = ctx.h.get(IdentityService);
        const wrong = Array.from({ length: WRONG }, (_, n) => attempt(`wrong-password-${n}`));
        // The right password goes once the lockout's worth of failures shows in the database,
        // while most of the burst is still queued for bcrypt.
        await eventually(async () => (await identity.getUser(userId))!.failedAuthCount, (n) => n >= LIMIT, { timeoutMs: 10_000, intervalMs: 5 });
        const right = await attempt(PW);
        const answers = await Promise.all(wrong);
        assert.ok(answers.every((r) => !path.accepted(r)));
        assert.ok(!path.accepted(right), `the right password was accepted inside the burst: ${right.status} ${right.text}`);
        const user = await identity.getUser(userId);
        assert.equal(user!.failedAuthCount, LIMIT, `failures counted: ${user!.failedAuthCount}`);
      });
    });

    PATHS.forEach((path, i) => {
      test(`${path.name}: ${LIMIT + 3} concurrent logins with the right password all succeed; the count ends at 0`, async () => {
        const { userId, attempt } = await path.setUp(ctx.h, adminToken(), `m5-many-${i}`);
        const answers = await Promise.all(Array.from({ length: LIMIT + 3 }, () => attempt(PW)));
        assert.deepEqual(answers.map((r) => path.accepted(r)), answers.map(() => true), answers.map((r) => `${r.status} ${r.text.slice(0, 120)}`).join('\n'));
        assert.equal((await ctx.h.get(IdentityService).getUser(userId))!.failedAuthCount, 0);
      });
    });
  });
}
