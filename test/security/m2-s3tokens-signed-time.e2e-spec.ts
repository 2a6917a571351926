import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, keystoneError } from '../helpers/keystone.js';
import { useLintel } from '../helpers/lintel.js';
import { HOUR, httpDate, keyOwner, s3tokensV2, s3tokensV4, YEAR, type KeyOwner } from './fixtures.js';

/**
 * M2 (docs/security.md): `/v3/s3tokens` needs a date inside the string to sign (the `Date` line,
 * an `x-amz-date:` line, a presigned URL's expiry, or SigV4's timestamp line), within the window.
 */
for (const kind of databaseKinds()) {
  describe(`security M2: s3tokens needs a signed date in the window (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { adminToken } = adminCalls(ctx);
    let key: KeyOwner;

    before(async () => {
      key = await keyOwner(ctx.h, adminToken(), 'm2-owner');
    });

    const v2 = (stringToSign: string) => s3tokensV2(ctx.h, adminToken(), key, stringToSign);

    test('SigV2 with a fresh Date line, or a fresh x-amz-date line, is exchanged (control)', async () => {
      const r = await v2(`GET\n\n\n${httpDate(new Date())}\n/bucket/key`);
      assert.equal(r.status, 200, r.text);
      assert.equal(r.body.token.user.id, key.userId);
      const amz = await v2(`PUT\n\ntext/plain\n\nx-amz-date:${httpDate(new Date())}\n/bucket/key`);
      assert.equal(amz.status, 200, amz.text);
    });

    test('a SigV2 string to sign without any date is refused', async () => {
      keystoneError(await v2('GET\n\n\n\n/bucket/key'), 401);
    });

    test('an EC2-v1 style string to sign (no lines) dated 2001 is refused', async () => {
      keystoneError(await v2('ActionDescribeInstancesAWSAccessKeyIdAKIDSignatureVersion1Timestamp2001-01-01T00:00:00ZVersion2010-08-31'), 401);
    });

    test('SigV2 dates outside the window are refused, before and after', async () => {
      keystoneError(await v2(`GET\n\n\n${httpDate(new Date(Date.now() - 5 * HOUR))}\n/bucket/key`), 401);
      keystoneError(await v2(`GET\n\n\n${httpDate(new Date(Date.now() + 10 * YEAR))}\n/bucket/key`), 401);
      keystoneError(await v2(`GET\n\n\n\nx-amz-date:${httpDate(new Date(Date.now() + 10 * YEAR))}\n/bucket/key`), 401);
    });

    test('a presigned SigV2 URL (expiry in the Date line) passes until it expires, not when it expires years ahead', async () => {
      const epoch = (ms: number) => String(Math.floor(ms / 1000));
      const ok = await v2(`GET\n\n\n${epoch(Date.now() + HOUR)}\n/bucket/key`);
      assert.equal(ok.status, 200, ok.text);
      keystoneError(await v2(`GET\n\n\n${epoch(Date.now() - HOUR)}\n/bucket/key`), 401);
      keystoneError(await v2(`GET\n\n\n${epoch(Date.now() + 10 * YEAR)}\n/bucket/key`), 401);
    });

    test('SigV4: a fresh timestamp line passes, one 10 years ahead or 5 hours old does not', async () => {
      const r = await s3tokensV4(ctx.h, adminToken(), key, new Date());
      assert.equal(r.status, 200, r.text);
      keystoneError(await s3tokensV4(ctx.h, adminToken(), key, new Date(Date.now() + 10 * YEAR)), 401);
      keystoneError(await s3tokensV4(ctx.h, adminToken(), key, new Date(Date.now() - 5 * HOUR)), 401);
    });
  });
}
