import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, call, keystoneError } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { keyOwner, type KeyOwner } from './fixtures.js';

/** `depth` nested arrays around a number, as JSON text. */
const nested = (depth: number) => `${'['.repeat(depth)}1${']'.repeat(depth)}`;
const DEEP = nested(30_000);

/**
 * L5 (docs/security.md): JSON bodies nested deeper than 64 levels are refused when they are parsed,
 * with a 400 in the format of the dialect that owns the path, never a 500; 64 levels still pass.
 */
for (const kind of databaseKinds()) {
  describe(`security L5: deeply nested JSON is a 400 in every dialect (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { adminToken } = adminCalls(ctx);
    let key: KeyOwner;

    before(async () => {
      key = await keyOwner(ctx.h, adminToken(), 'l5-owner');
    });

    const json = { 'Content-Type': 'application/json' };

    test('Keystone: an extra attribute nested 30,000 deep is a 400 ValidationError, nothing stored', async () => {
      const raw = `{"credential": {"type": "cert", "user_id": "${key.userId}", "blob": "x", "extra": ${DEEP}}}`;
      const e = keystoneError(await call(ctx.h.url, 'POST', '/v3/credentials', { token: adminToken(), raw, headers: json }), 400);
      assert.match(e.message, /nest/i);
      const e2 = keystoneError(await call(ctx.h.url, 'PATCH', `/v3/users/${key.userId}`, { token: adminToken(), raw: `{"user": {"extra_thing": ${DEEP}}}`, headers: json }), 400);
      assert.match(e2.message, /nest/i);
      const listed = await call(ctx.h.url, 'GET', `/v3/credentials?user_id=${key.userId}&type=cert`, { token: adminToken() });
      assert.deepEqual(listed.body.credentials, []);
    });

    test('Keystone: a body without Content-Type is parsed with the same bound', async () => {
      keystoneError(await call(ctx.h.url, 'POST', '/v3/auth/tokens', { raw: `{"auth": ${DEEP}}` }), 400);
    });

    test('Keystone: 64 levels are still accepted', async () => {
      const raw = `{"credential": {"type": "cert", "user_id": "${key.userId}", "blob": "x", "extra": ${nested(62)}}}`;
      const r = await call(ctx.h.url, 'POST', '/v3/credentials', { token: adminToken(), raw, headers: json });
      assert.equal(r.status, 201, r.text);
    });

    test('SODA: plain-text 400', async () => {
      const token = (await call(ctx.h.url, 'POST', '/v3/auth/tokens', { body: { auth: { identity: { methods: ['password'], password: { user: { id: key.userId, password: key.password } } }, scope: { project: { id: key.projectId } } } } })).headers.get('x-subject-token')!;
      const r = await call(ctx.h.multicloudUrl, 'POST', `/v1/${key.projectId}/aksks`, { token, raw: `{"credential": ${DEEP}}`, headers: json });
      assert.equal(r.status, 400, r.text);
      assert.match(r.headers.get('content-type')!, /^text\/plain/);
      assert.match(r.text, /nest/i);
    });

    test('Outscale: its JSON error body, 400', async () => {
      const r = await call(ctx.h.multicloudUrl, 'POST', '/api/v1/ReadAccessKeys', { raw: `{"Filters": ${DEEP}}`, headers: json });
      assert.equal(r.status, 400, r.text);
      assert.deepEqual(Object.keys(r.body).sort(), ['Errors', 'ResponseContext']);
      assert.match(r.body.Errors[0].Details, /nest/i);
    });

    test('Edgio: a JSON-RPC parse error, for application/json and application/json-rpc alike', async () => {
      for (const type of ['application/json', 'application/json-rpc']) {
        const r = await call(ctx.h.multicloudUrl, 'POST', '/jsonrpc2', { raw: `{"jsonrpc": "2.0", "id": 1, "method": "login", "params": ${DEEP}}`, headers: { 'Content-Type': type } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.body.error.code, -32700, r.text);
        assert.match(r.body.error.message, /nest/i);
      }
    });

    test('Alibaba: its error body, 400', async () => {
      const r = await call(ctx.h.multicloudUrl, 'POST', '/', { raw: DEEP, headers: json });
      assert.equal(r.status, 400, r.text);
      assert.equal(r.body.Code, 'InvalidParameter', r.text);
      assert.match(r.body.Message, /nest/i);
    });
  });
}
