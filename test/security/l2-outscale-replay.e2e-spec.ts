import assert from 'node:assert/strict';
import { request } from 'node:http';
import { before, describe, test } from 'node:test';
import aws4 from 'aws4';
import { signOsc4 } from '@lintel/credentials';
import { CredentialService } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls } from '../helpers/keystone.js';
import { useLintel, type Replica } from '../helpers/lintel.js';
import { keyOwner, type KeyOwner } from './fixtures.js';

const REGION = 'eu-west-2';

interface Sent {
  status: number;
  body: any;
}

/** Sends exactly these bytes and headers (Host included) to `base`. */
function send(base: string, path: string, headers: Record<string, string>, body: string): Promise<Sent> {
  const u = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path, method: 'POST', headers: { ...headers, 'Content-Length': String(Buffer.byteLength(body)) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, body: text ? JSON.parse(text) : undefined });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * L2 (docs/security.md): an Outscale request signed with an access key that changes something
 * (CreateAccessKey, UpdateAccessKey, DeleteAccessKey) runs once: the same signed request sent
 * again within the freshness window is refused, by every replica (the used signatures are kept
 * in the database until their window closes).
 */
for (const kind of databaseKinds()) {
  describe(`security L2: Outscale signed requests are not replayed (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    const { adminToken } = adminCalls(ctx);
    let key: KeyOwner;
    let host: string;
    let replica: Replica;

    before(async () => {
      key = await keyOwner(ctx.h, adminToken(), 'l2-owner');
      host = new URL(ctx.h.multicloudUrl).host;
      // A second replica: its own process state and connection pool, the same database.
      replica = await ctx.h.replica();
    });

    /**
     * A request as osc-sdk-js signs it (AWS4, service `api`). Signatures are deterministic: two
     * requests with the same body signed within the same second are the same request, so each
     * test signs a body of its own.
     */
    const signed = (action: string, body: unknown) => {
      const text = JSON.stringify(body);
      const path = `/api/v1/${action}`;
      const s = aws4.sign({ host, path, method: 'POST', body: text, service: 'api', region: REGION, headers: { 'Content-Type': 'application/json' } }, { accessKeyId: key.access, secretAccessKey: key.secret });
      const headers = Object.fromEntries(Object.entries(s.headers ?? {}).filter(([k]) => !/^content-length$/i.test(k)).map(([k, v]) => [k, String(v)]));
      return { path, headers: { ...headers, Host: host }, text };
    };
    const keyCount = async () => (await ctx.h.get(CredentialService).list({ userId: key.userId })).length;

    test('CreateAccessKey replayed on the same replica: the second is refused, one key made', async () => {
      const before = await keyCount();
      const r = signed('CreateAccessKey', { Tag: 'l2-same-replica' });
      const first = await send(ctx.h.multicloudUrl, r.path, r.headers, r.text);
      assert.equal(first.status, 200, JSON.stringify(first.body));
      assert.ok(first.body.AccessKey.SecretKey);
      const again = await send(ctx.h.multicloudUrl, r.path, r.headers, r.text);
      assert.equal(again.status, 401, JSON.stringify(again.body));
      assert.equal(again.body.Errors[0].Code, '1');
      assert.equal(again.body.Errors[0].Type, 'AccessDenied');
      assert.equal(again.body.AccessKey, undefined);
      assert.equal(await keyCount(), before + 1);
    });

    test('replayed on another replica: refused too', async () => {
      const before = await keyCount();
      const r = signed('CreateAccessKey', { Tag: 'l2-other-replica' });
      assert.equal((await send(ctx.h.multicloudUrl, r.path, r.headers, r.text)).status, 200);
      const again = await send(replica.multicloudUrl, r.path, r.headers, r.text);
      assert.equal(again.status, 401, JSON.stringify(again.body));
      assert.equal(await keyCount(), before + 1);
    });

    test('concurrent copies of one signed request: exactly one runs', async () => {
      const before = await keyCount();
      const r = signed('CreateAccessKey', { Tag: 'l2-concurrent' });
      const answers = await Promise.all([ctx.h.multicloudUrl, replica.multicloudUrl, ctx.h.multicloudUrl, replica.multicloudUrl].map((b) => send(b, r.path, r.headers, r.text)));
      assert.deepEqual(answers.map((a) => a.status).sort(), [200, 401, 401, 401]);
      assert.equal(await keyCount(), before + 1);
    });

    test('UpdateAccessKey and DeleteAccessKey replays are refused (OSC4 signatures, as osc-cli)', async () => {
      const made = signed('CreateAccessKey', { Tag: 'l2-update-delete' });
      const id = (await send(ctx.h.multicloudUrl, made.path, made.headers, made.text)).body.AccessKey.AccessKeyId;
      const osc4 = (action: string, body: unknown) => {
        const text = JSON.stringify(body);
        const path = `/api/v1/${action}`;
        return { path, text, headers: { ...signOsc4({ host, path, body: text, accessKey: key.access, secret: key.secret, region: REGION }), Host: host } };
      };
      const update = osc4('UpdateAccessKey', { AccessKeyId: id, State: 'INACTIVE' });
      assert.equal((await send(ctx.h.multicloudUrl, update.path, update.headers, update.text)).status, 200);
      assert.equal((await send(replica.multicloudUrl, update.path, update.headers, update.text)).status, 401);
      const del = osc4('DeleteAccessKey', { AccessKeyId: id });
      assert.equal((await send(ctx.h.multicloudUrl, del.path, del.headers, del.text)).status, 200);
      assert.equal((await send(ctx.h.multicloudUrl, del.path, del.headers, del.text)).status, 401);
    });

    test('a read (ReadAccessKeys) may be sent again: it changes nothing', async () => {
      const r = signed('ReadAccessKeys', {});
      assert.equal((await send(ctx.h.multicloudUrl, r.path, r.headers, r.text)).status, 200);
      assert.equal((await send(replica.multicloudUrl, r.path, r.headers, r.text)).status, 200);
    });
  });
}
