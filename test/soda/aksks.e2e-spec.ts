import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { DEFAULT_DOMAIN_ID, IdentityService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminSystemAuth, call, issue, passwordAuth, type Res } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { addPersonas, addProjects } from '../helpers/personas.js';
import { eventually } from '../helpers/wait.js';

const PW = 'persona-password-1';

/** SODA's aksks API: the authorization matrix, bad input and error bodies (plain text). */
for (const kind of databaseKinds()) {
  describe(`SODA /v1/{project}/aksks (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let mc: string;
    let p: string;
    let q: string;
    const users: Record<string, string> = {};
    const tokens: Record<string, string> = {};

    const aksks = (who: string, method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
      call(mc, method, `/v1/${path}`, { token: tokens[who], body, headers });
    const text = (r: Res, status: number, message: string | RegExp) => {
      assert.equal(r.status, status, r.text);
      assert.match(r.headers.get('content-type') ?? '', /^text\/plain/);
      if (typeof message === 'string') assert.equal(r.text, message);
      else assert.match(r.text, message);
    };

    before(async () => {
      h = ctx.h;
      mc = h.multicloudUrl;
      [p, q] = await addProjects(h, 'soda-p', 'soda-q');
      const made = await addPersonas(h, [['padmin', 'admin', p], ['member', 'member', p], ['member2', 'member', p], ['reader', 'reader', p], ['outsider', 'member', q]], PW, { tokens: true });
      Object.assign(users, made.users);
      Object.assign(tokens, made.tokens);
      users.lonely = (await h.get(IdentityService).createUser({ name: 'lonely', domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
      tokens.sysadmin = (await issue(h.url, adminSystemAuth())).id;
      tokens.unscoped = (await issue(h.url, passwordAuth({ name: 'member' }, PW, 'unscoped'))).id;
    });

    const body = (userId?: string, projectId?: string) => ({ credential: { ...(projectId ? { project_id: projectId } : {}), ...(userId ? { user_id: userId } : {}) } });

    test('authorization matrix: persona x operation', async () => {
      const cases: Array<[string, string, () => Promise<Res>, number]> = [
        ['member creates own', 'member', () => aksks('member', 'POST', `${p}/aksks`, body(users.member, p)), 200],
        ['member creates with an empty body (ids from the token)', 'member', () => aksks('member', 'POST', `${p}/aksks`, {}), 200],
        ['member creates for another user', 'member', () => aksks('member', 'POST', `${p}/aksks`, body(users.member2, p)), 403],
        ['member reads own', 'member', () => aksks('member', 'GET', `${p}/aksks/${users.member}`), 200],
        ['member reads another user\'s', 'member', () => aksks('member', 'GET', `${p}/aksks/${users.member2}`), 403],
        ['member deletes another user\'s', 'member', () => aksks('member', 'DELETE', `${p}/aksks/${users.member2}`), 403],
        ['reader creates own', 'reader', () => aksks('reader', 'POST', `${p}/aksks`, body(users.reader, p)), 403],
        ['reader reads own', 'reader', () => aksks('reader', 'GET', `${p}/aksks/${users.reader}`), 200],
        ['reader deletes own', 'reader', () => aksks('reader', 'DELETE', `${p}/aksks/${users.reader}`), 403],
        ['project admin creates for a member', 'padmin', () => aksks('padmin', 'POST', `${p}/aksks`, body(users.member2, p)), 200],
        ['project admin reads a member\'s', 'padmin', () => aksks('padmin', 'GET', `${p}/aksks/${users.member2}`), 200],
        ['project admin creates for a user without a role here', 'padmin', () => aksks('padmin', 'POST', `${p}/aksks`, body(users.lonely, p)), 404],
        ['project admin creates for an unknown user', 'padmin', () => aksks('padmin', 'POST', `${p}/aksks`, body('ffffffffffffffffffffffffffffffff', p)), 404],
        ['project admin of P on project Q', 'padmin', () => aksks('padmin', 'POST', `${q}/aksks`, body(users.outsider, q)), 403],
        ['body project differs from the path', 'padmin', () => aksks('padmin', 'POST', `${p}/aksks`, body(users.member, q)), 403],
        ['token of project Q on project P', 'outsider', () => aksks('outsider', 'GET', `${p}/aksks/${users.outsider}`), 403],
        ['system admin creates for a member of P', 'sysadmin', () => aksks('sysadmin', 'POST', `${p}/aksks`, body(users.member, p)), 200],
        ['project admin deletes a member\'s', 'padmin', () => aksks('padmin', 'DELETE', `${p}/aksks/${users.member2}`), 200],
      ];
      for (const [name, , run, status] of cases) {
        const r = await run();
        assert.equal(r.status, status, `${name}: ${r.status} ${r.text}`);
        if (status === 403) assert.equal(r.text, 'Operation is not permitted', name);
        if (status === 404) assert.match(r.text, /^user [0-9a-f]{32} not found$/, name);
      }
      const own = await aksks('member', 'GET', `${p}/aksks/${users.member}`);
      assert.equal(own.body.length, 3, 'two by the member, one by the system admin');
      assert.deepEqual((await aksks('padmin', 'GET', `${p}/aksks/${users.member2}`)).body, [], 'deleted by the project admin');
    });

    test('401s with SODA\'s texts', async () => {
      text(await call(mc, 'GET', `/v1/${p}/aksks/${users.member}`), 401, 'token not found in header');
      text(await call(mc, 'GET', `/v1/${p}/aksks/${users.member}`, { token: 'garbage' }), 401, /^get token failed,/);
      text(await aksks('unscoped', 'GET', `${p}/aksks/${users.member}`), 401, 'extract project failed,token is not project scoped');
      const revoked = (await issue(h.url, passwordAuth({ name: 'member' }, PW, { project: { id: p } }))).id;
      assert.equal((await call(h.url, 'DELETE', '/v3/auth/tokens', { token: revoked, subject: revoked })).status, 204);
      // The multicloud app learns of revocations through the database, within the 2 s bound.
      const r = await eventually(() => call(mc, 'GET', `/v1/${p}/aksks/${users.member}`, { token: revoked }), (x) => x.status !== 200, { timeoutMs: 2000 });
      text(r, 401, /^get token failed,/);
    });

    test('bad input: 400, 413, 415, 404 and 405 as plain text, nothing written', async () => {
      const before_ = (await aksks('padmin', 'GET', `${p}/aksks/${users.member2}`)).body.length;
      text(await aksks('padmin', 'POST', `${p}/aksks`, undefined, { 'Content-Type': 'application/json' }), 400, /^failed to read request body: /);
      text(await call(mc, 'POST', `/v1/${p}/aksks`, { token: tokens.padmin, raw: '{"credential": ', headers: { 'Content-Type': 'application/json' } }), 400, /^failed to read request body: /);
      text(await aksks('padmin', 'POST', `${p}/aksks`, [1, 2]), 400, 'invalid credential body');
      text(await aksks('padmin', 'POST', `${p}/aksks`, { credential: 'x' }), 400, 'invalid credential body');
      text(await aksks('padmin', 'POST', `${p}/aksks`, { credential: { user_id: 7 } }), 400, 'invalid credential body');
      text(await call(mc, 'POST', `/v1/${p}/aksks`, { token: tokens.padmin, raw: 'user_id=x', headers: { 'Content-Type': 'text/plain' } }), 415, '415: Unsupported Media Type');
      const big = await aksks('padmin', 'POST', `${p}/aksks`, { credential: { user_id: users.member2 }, pad: 'x'.repeat(70 * 1024) });
      assert.equal(big.status, 413);
      text(await aksks('padmin', 'GET', `${p}/aksk`), 404, '404: Page Not Found');
      text(await aksks('padmin', 'PUT', `${p}/aksks/${users.member2}`, {}), 405, '405: Method Not Allowed');
      assert.equal((await aksks('padmin', 'GET', `${p}/aksks/${users.member2}`)).body.length, before_, 'a refused request wrote nothing');
    });

    test('no leak: SODA error bodies carry no other dialect\'s envelope', async () => {
      for (const r of [await call(mc, 'GET', `/v1/${p}/aksks/x`), await aksks('member', 'POST', `${p}/aksks`, [1])]) {
        assert.doesNotMatch(r.text, /"error"|"Errors"|"Code"|"jsonrpc"/);
      }
    });
  });
}
