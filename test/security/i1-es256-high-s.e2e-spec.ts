import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, adminProjectAuth, call, issue } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';

/** The order n of P-256, and n / 2: an ECDSA signature (r, s) has the twin (r, n - s). */
const N = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
const HALF_N = N >> 1n;

const sOf = (token: string): bigint => BigInt(`0x${Buffer.from(token.split('.')[2]!, 'base64url').subarray(32).toString('hex')}`);

/** The same token with its signature's twin (r, n - s): equally valid ECDSA, a different string. */
function twin(token: string): string {
  const [h, p, sig] = token.split('.') as [string, string, string];
  const raw = Buffer.from(sig, 'base64url');
  const s = BigInt(`0x${raw.subarray(32).toString('hex')}`);
  const other = Buffer.from((N - s).toString(16).padStart(64, '0'), 'hex');
  return `${h}.${p}.${Buffer.concat([raw.subarray(0, 32), other]).toString('base64url')}`;
}

/**
 * I1 (docs/security.md): a token's ES256 signature is accepted only in its low-S form
 * (s <= n/2); Lintel mints only that form, so the (r, n - s) twin of a token is no token.
 */
for (const kind of databaseKinds()) {
  describe(`security I1: ES256 signatures must be low-S (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { adminToken } = adminCalls(ctx);

    test('every minted token is low-S', async () => {
      for (let i = 0; i < 40; i++) {
        const { id } = await issue(ctx.h.url, adminProjectAuth());
        assert.ok(sOf(id) <= HALF_N, 'minted a high-S signature');
      }
    });

    test('the twin of a token is refused as subject (404) and as X-Auth-Token (401); the token itself works', async () => {
      const { id } = await issue(ctx.h.url, adminProjectAuth());
      const t = twin(id);
      assert.notEqual(t, id);
      assert.equal((await call(ctx.h.url, 'GET', '/v3/auth/tokens', { token: adminToken(), subject: id })).status, 200);
      assert.equal((await call(ctx.h.url, 'GET', '/v3/auth/tokens', { token: adminToken(), subject: t })).status, 404);
      assert.equal((await call(ctx.h.url, 'GET', '/v3/auth/projects', { token: t })).status, 401);
      const soda = await call(ctx.h.multicloudUrl, 'GET', `/v1/${ctx.h.adminProjectId}/aksks/${ctx.h.adminUserId}`, { token: t });
      assert.equal(soda.status, 401, soda.text);
    });
  });
}
