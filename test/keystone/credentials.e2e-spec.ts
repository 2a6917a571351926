import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { before, describe, test } from 'node:test';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import { AssignmentService, CredentialEntity, CredentialService, DEFAULT_DOMAIN_ID, IdentityService, ResourceService } from '@lintel/domain';
import { credentialKeys, rotateCredentialKeys } from '../../apps/manage/src/tasks.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, INVALID_JSON, issue, keystoneError, NOT_JSON, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { eventually } from '../helpers/wait.js';

const PW = 'persona-password-1';
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');

/** Signs an EC2 API call with the genuine AWS signer and returns the body ec2tokens expects. */
async function signedEc2Request(access: string, secret: string, o: { at?: Date; action?: string } = {}) {
  const signer = new SignatureV4({ credentials: { accessKeyId: access, secretAccessKey: secret }, region: 'RegionOne', service: 'ec2', sha256: Hash.bind(null, 'sha256') });
  const query = { Action: o.action ?? 'DescribeInstances', Version: '2016-11-15' };
  const signed = await signer.sign(
    { method: 'GET', protocol: 'http:', hostname: 'ec2.example.com', port: 8788, path: '/', query, headers: { host: 'ec2.example.com:8788' } },
    { signingDate: o.at ?? new Date() },
  );
  const auth = String(signed.headers.authorization);
  return {
    credentials: {
      access,
      signature: auth.split('Signature=')[1],
      host: 'ec2.example.com:8788',
      verb: 'GET',
      path: '/',
      params: query,
      // what an EC2 API service relays: every header of the request it received
      headers: Object.fromEntries(Object.entries(signed.headers).map(([k, v]) => [k === 'authorization' ? 'Authorization' : k, String(v)])),
      body_hash: sha256(''),
    },
  };
}

for (const kind of databaseKinds()) {
  describe(`Keystone credentials, OS-EC2, ec2tokens and s3tokens (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_CREDENTIAL_USER_LIMIT: '20' });
    let h: Harness;
    let base: string;
    let admin: string;
    let project: string;
    const users: Record<string, string> = {};
    const tokens: Record<string, string> = {};
    const secrets: string[] = [];

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const identity = h.get(IdentityService);
      const assignments = h.get(AssignmentService);
      project = (await h.get(ResourceService).createProject({ name: 'cred-p', domainId: DEFAULT_DOMAIN_ID })).id;
      for (const [name, role] of [['alice', 'member'], ['bob', 'member'], ['rita', 'reader']] as const) {
        users[name] = (await identity.createUser({ name, domainId: DEFAULT_DOMAIN_ID, password: PW })).id;
        await assignments.grant({ type: 'UserProject', actorId: users[name]!, targetId: project, roleId: (await assignments.findGlobalRole(role))!.id });
        tokens[name] = (await issue(base, passwordAuth({ name }, PW, { project: { id: project } }))).id;
      }
    });

    const ec2Blob = (access: string, secret: string) => JSON.stringify({ access, secret });

    describe('/v3/credentials', () => {
      test('an owner creates an ec2 credential: id is sha256(access), blob echoed, extras kept', async () => {
        const r = await call(base, 'POST', '/v3/credentials', {
          token: tokens.alice,
          body: { credential: { user_id: users.alice, project_id: project, type: 'ec2', blob: ec2Blob('alice-ak-1', 'alice-sk-secret-1'), id: 'ignored', note: 'kept' } },
        });
        assert.equal(r.status, 201, r.text);
        const c = r.body.credential;
        assert.equal(c.id, sha256('alice-ak-1'));
        assert.deepEqual(JSON.parse(c.blob), { access: 'alice-ak-1', secret: 'alice-sk-secret-1' });
        assert.equal(c.note, 'kept');
        secrets.push('alice-sk-secret-1');
        assert.equal(c.links.self, `${base}/v3/credentials/${c.id}`);
        assert.equal(r.headers.get('location'), null);
      });

      test('duplicates 409; schema and blob errors 400; another user\'s credential 403', async () => {
        const dup = keystoneError(await call(base, 'POST', '/v3/credentials', { token: tokens.alice, body: { credential: { user_id: users.alice, project_id: project, type: 'ec2', blob: ec2Blob('alice-ak-1', 'x-other') } } }), 409);
        assert.equal(dup.message, `Conflict occurred attempting to store credential - Duplicate entry found with ID ${sha256('alice-ak-1')}.`);
        const bad: Array<[unknown, RegExp]> = [
          [{ credential: { user_id: users.alice, type: 'ec2', blob: ec2Blob('a2', 's2') } }, /'project_id' is a required property/],
          [{ credential: { user_id: users.alice, project_id: project, type: 'ec2', blob: 'not json' } }, /^Invalid blob in credential/],
          [{ credential: { user_id: users.alice, project_id: project, type: 'ec2', blob: '{"secret":"s"}' } }, /^Expecting to find access in credential/],
          [{ credential: { user_id: users.alice, project_id: project, type: 'ec2' } }, /'blob' is a required property/],
          [{ credential: { user_id: 5, type: 'totp', blob: 'x' } }, /is not of type 'string'/],
          [{ nope: {} }, /^Expecting to find credential in request body/],
        ];
        for (const [body, msg] of bad) assert.match(keystoneError(await call(base, 'POST', '/v3/credentials', { token: tokens.alice, body }), 400).message, msg);
        const e = keystoneError(await call(base, 'POST', '/v3/credentials', { token: tokens.alice, body: { credential: { user_id: users.bob, project_id: project, type: 'ec2', blob: ec2Blob('a3', 's3') } } }), 403);
        assert.equal(e.message, 'You are not authorized to perform the requested action: identity:create_credential.');
      });

      test('non-ec2 types get a uuid id and need no project', async () => {
        const r = await call(base, 'POST', '/v3/credentials', { token: tokens.bob, body: { credential: { user_id: users.bob, type: 'totp', blob: 'GEZDGNBVGY3TQOJQ' } } });
        assert.equal(r.status, 201);
        assert.match(r.body.credential.id, /^[0-9a-f]{32}$/);
        assert.equal(r.body.credential.project_id, null);
        secrets.push('GEZDGNBVGY3TQOJQ');
      });

      test('lists are filtered per item: nobody sees another user\'s blobs (CVE-2019-19687)', async () => {
        const mine = await call(base, 'GET', '/v3/credentials', { token: tokens.alice });
        assert.ok(mine.body.credentials.length >= 1);
        assert.ok(mine.body.credentials.every((c: { user_id: string }) => c.user_id === users.alice));
        assert.deepEqual((await call(base, 'GET', `/v3/credentials?user_id=${users.bob}`, { token: tokens.alice })).body.credentials, []);
        const all = await call(base, 'GET', '/v3/credentials?type=ec2', { token: admin });
        assert.ok(all.body.credentials.length >= 1, all.text);
        assert.ok(all.body.credentials.every((c: { type: string }) => c.type === 'ec2'));
        assert.deepEqual(all.body.links, { self: `${base}/v3/credentials?type=ec2`, previous: null, next: null });
      });

      test('get: owner 200, other user 403, unknown 404', async () => {
        const id = sha256('alice-ak-1');
        assert.equal((await call(base, 'GET', `/v3/credentials/${id}`, { token: tokens.alice })).status, 200);
        keystoneError(await call(base, 'GET', `/v3/credentials/${id}`, { token: tokens.bob }), 403);
        assert.equal(keystoneError(await call(base, 'GET', '/v3/credentials/nope', { token: admin }), 404).message, 'Could not find credential: nope.');
      });

      test('patch: the merged result is authorised (CVE-2020-12691); access and project may change, the id stays', async () => {
        const id = sha256('alice-ak-1');
        const ok = await call(base, 'PATCH', `/v3/credentials/${id}`, { token: tokens.alice, body: { credential: { blob: ec2Blob('alice-ak-1', 'alice-sk-rotated') } } });
        assert.equal(ok.status, 200, ok.text);
        assert.equal(JSON.parse(ok.body.credential.blob).secret, 'alice-sk-rotated');
        secrets.push('alice-sk-rotated');
        keystoneError(await call(base, 'PATCH', `/v3/credentials/${id}`, { token: tokens.alice, body: { credential: { user_id: users.bob } } }), 403);
        keystoneError(await call(base, 'PATCH', `/v3/credentials/${id}`, { token: tokens.bob, body: { credential: { user_id: users.bob } } }), 403);
        // As upstream Keystone (tempest test_credentials): a new access key and another project, same id.
        const other = (await h.get(ResourceService).createProject({ name: 'cred-p2', domainId: DEFAULT_DOMAIN_ID })).id;
        const moved = await call(base, 'PATCH', `/v3/credentials/${id}`, { token: admin, body: { credential: { blob: ec2Blob('alice-ak-2', 'alice-sk-2'), project_id: other, type: 'ec2' } } });
        assert.equal(moved.status, 200, moved.text);
        secrets.push('alice-sk-2');
        assert.equal(moved.body.credential.id, id);
        assert.equal(moved.body.credential.project_id, other);
        assert.deepEqual(JSON.parse((await call(base, 'GET', `/v3/credentials/${id}`, { token: admin })).body.credential.blob), { access: 'alice-ak-2', secret: 'alice-sk-2' });
        const creds = h.get(CredentialService);
        assert.equal((await creds.findByAccessKey('alice-ak-2'))?.id, id, 'signed requests find the key by its new access');
        assert.equal(await creds.findByAccessKey('alice-ak-1'), null);
        // Another credential's access key: 409, nothing changed.
        const taken = await call(base, 'POST', '/v3/credentials', { token: admin, body: { credential: { user_id: users.bob, project_id: project, type: 'ec2', blob: ec2Blob('bob-ak-taken', 'bob-sk-taken') } } });
        assert.equal(taken.status, 201, taken.text);
        secrets.push('bob-sk-taken');
        const clash = keystoneError(await call(base, 'PATCH', `/v3/credentials/${id}`, { token: admin, body: { credential: { blob: ec2Blob('bob-ak-taken', 'x') } } }), 409);
        assert.equal(clash.message, 'Conflict occurred attempting to store credential - Duplicate entry found with access key bob-ak-taken.');
        assert.equal(JSON.parse((await call(base, 'GET', `/v3/credentials/${id}`, { token: admin })).body.credential.blob).access, 'alice-ak-2');
        assert.equal((await call(base, 'DELETE', `/v3/credentials/${taken.body.credential.id}`, { token: admin })).status, 204);
        // The delegation an ec2 key is tied to may not change (nor be added).
        const tied = keystoneError(await call(base, 'PATCH', `/v3/credentials/${id}`, { token: admin, body: { credential: { blob: JSON.stringify({ access: 'alice-ak-2', secret: 's', trust_id: 't' }) } } }), 400);
        assert.equal(tied.message, 'trust_id can not be updated for credential');
        const back = await call(base, 'PATCH', `/v3/credentials/${id}`, { token: admin, body: { credential: { blob: ec2Blob('alice-ak-1', 'alice-sk-rotated'), project_id: project } } });
        assert.equal(back.status, 200, back.text);
        keystoneError(await call(base, 'PATCH', `/v3/credentials/${id}`, { token: tokens.alice, body: { credential: { id: 'other' } } }), 400);
        keystoneError(await call(base, 'PATCH', `/v3/credentials/${id}`, { token: tokens.alice, body: { credential: {} } }), 400);
        assert.equal((await call(base, 'GET', `/v3/credentials/${id}`, { token: admin })).body.credential.user_id, users.alice);
      });

      test('delete: other user 403, owner 204; then the owner 403 and an admin 404 (Keystone\'s order: no target, no match)', async () => {
        const r = await call(base, 'POST', '/v3/credentials', { token: tokens.bob, body: { credential: { user_id: users.bob, project_id: project, type: 'ec2', blob: ec2Blob('bob-ak-del', 'bob-sk-del') } } });
        const id = r.body.credential.id;
        secrets.push('bob-sk-del');
        keystoneError(await call(base, 'DELETE', `/v3/credentials/${id}`, { token: tokens.alice }), 403);
        assert.equal((await call(base, 'DELETE', `/v3/credentials/${id}`, { token: tokens.bob })).status, 204);
        keystoneError(await call(base, 'DELETE', `/v3/credentials/${id}`, { token: tokens.bob }), 403);
        keystoneError(await call(base, 'DELETE', `/v3/credentials/${id}`, { token: admin }), 404);
      });
    });

    describe('OS-EC2', () => {
      let access: string;
      test('a member creates a key for a project they hold a role on; readers and strangers cannot', async () => {
        const r = await call(base, 'POST', `/v3/users/${users.alice}/credentials/OS-EC2`, { token: tokens.alice, body: { tenant_id: project } });
        assert.equal(r.status, 201, r.text);
        const c = r.body.credential;
        assert.match(c.access, /^[0-9a-f]{32}$/);
        assert.match(c.secret, /^[0-9a-f]{32}$/);
        assert.equal(c.tenant_id, project);
        assert.equal(c.trust_id, null);
        assert.equal(c.links.self, `${base}/v3/users/${users.alice}/credentials/OS-EC2/${c.access}`);
        access = c.access;
        secrets.push(c.secret);
        keystoneError(await call(base, 'POST', `/v3/users/${users.rita}/credentials/OS-EC2`, { token: tokens.rita, body: { tenant_id: project } }), 403);
        keystoneError(await call(base, 'POST', `/v3/users/${users.bob}/credentials/OS-EC2`, { token: tokens.alice, body: { tenant_id: project } }), 403);
        keystoneError(await call(base, 'POST', `/v3/users/${users.alice}/credentials/OS-EC2`, { token: tokens.alice, body: { tenant_id: h.adminProjectId } }), 403);
        assert.equal(keystoneError(await call(base, 'POST', `/v3/users/${users.alice}/credentials/OS-EC2`, { token: tokens.alice, body: {} }), 404).message, 'Could not find project: None.');
        keystoneError(await call(base, 'POST', '/v3/users/nobody/credentials/OS-EC2', { token: admin, body: { tenant_id: project } }), 404);
      });

      test('list, get and delete through the access key', async () => {
        const list = await call(base, 'GET', `/v3/users/${users.alice}/credentials/OS-EC2`, { token: tokens.alice });
        assert.ok(list.body.credentials.some((c: { access: string }) => c.access === access));
        assert.ok(list.body.credentials.some((c: { access: string }) => c.access === 'alice-ak-1'), 'keys made through /v3/credentials show too');
        keystoneError(await call(base, 'GET', `/v3/users/${users.alice}/credentials/OS-EC2`, { token: tokens.bob }), 403);
        assert.equal((await call(base, 'GET', `/v3/users/${users.alice}/credentials/OS-EC2/${access}`, { token: tokens.alice })).status, 200);
        assert.equal(keystoneError(await call(base, 'GET', `/v3/users/${users.bob}/credentials/OS-EC2/${access}`, { token: admin }), 404).message, `Could not find credential: ${sha256(access)}.`);
        keystoneError(await call(base, 'GET', `/v3/users/${users.alice}/credentials/OS-EC2/unknown`, { token: tokens.alice }), 404);
        keystoneError(await call(base, 'DELETE', `/v3/users/${users.alice}/credentials/OS-EC2/${access}`, { token: tokens.rita }), 403);
      });
    });

    describe('ec2tokens and s3tokens', () => {
      let access: string;
      let secret: string;
      before(async () => {
        const r = await call(base, 'POST', `/v3/users/${users.bob}/credentials/OS-EC2`, { token: tokens.bob, body: { tenant_id: project } });
        access = r.body.credential.access;
        secret = r.body.credential.secret;
        secrets.push(secret);
      });

      test('a request signed by the AWS SigV4 signer gets a project token for the key\'s owner', async () => {
        const r = await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) });
        assert.equal(r.status, 200, r.text);
        assert.ok(r.headers.get('x-subject-token'));
        const t = r.body.token;
        assert.deepEqual(t.methods, ['ec2credential']);
        assert.equal(t.user.id, users.bob);
        assert.equal(t.project.id, project);
        assert.deepEqual(t.roles.map((x: { name: string }) => x.name), ['member', 'reader']);
        // such a token is for other services, not for Keystone's own API
        keystoneError(await call(base, 'GET', '/v3/auth/projects', { token: r.headers.get('x-subject-token')! }), 403);
      });

      test('tampered, stale, wrong caller: refused', async () => {
        const body = await signedEc2Request(access, secret);
        const tampered = structuredClone(body);
        tampered.credentials.params.Action = 'DescribeInstancez';
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: tampered }), 401);
        const stale = await signedEc2Request(access, secret, { at: new Date(Date.now() - 20 * 60_000) });
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: stale }), 401);
        const wrongKey = await signedEc2Request(access, 'not-the-secret');
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: wrongKey }), 401);
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { body }), 401);
        assert.equal(keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: tokens.bob, body }), 403).message, 'You are not authorized to perform the requested action: identity:ec2tokens_validate.');
        assert.equal(keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: {} }), 400).message, 'request must include a request body');
        assert.equal(keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request('no-such-key', secret) }), 404).message, 'EC2 access key not found.');
        assert.equal((await call(base, 'GET', '/v3/ec2tokens', { token: admin })).status, 405);
      });

      test('after a PATCH of the access key, requests signed with the new key pass and the old key is unknown', async () => {
        const id = sha256(access);
        const r = await call(base, 'PATCH', `/v3/credentials/${id}`, { token: admin, body: { credential: { blob: JSON.stringify({ access: `${access}-new`, secret }) } } });
        assert.equal(r.status, 200, r.text);
        assert.equal((await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(`${access}-new`, secret) })).status, 200);
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) }), 404);
        assert.equal((await call(base, 'PATCH', `/v3/credentials/${id}`, { token: admin, body: { credential: { blob: JSON.stringify({ access, secret }) } } })).status, 200);
        assert.equal((await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) })).status, 200);
      });

      test('an inactive or expired key fails; a deleted key is not found', async () => {
        const creds = h.get(CredentialService);
        const id = sha256(access);
        await creds.update(id, { state: 'inactive' });
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) }), 401);
        await creds.update(id, { state: 'active', expiresAt: new Date(Date.now() - 1000) });
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) }), 401);
        await creds.update(id, { expiresAt: null });
        assert.equal((await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) })).status, 200);
        await creds.flushUse();
        const used = await creds.get(id);
        assert.ok(used?.lastUsedAt && Date.now() - used.lastUsedAt.getTime() < 60_000);
        assert.equal(used?.lastUsedService, 'ec2tokens');
        assert.equal((await call(base, 'DELETE', `/v3/users/${users.bob}/credentials/OS-EC2/${access}`, { token: tokens.bob })).status, 204);
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request(access, secret) }), 404);
      });

      test('s3tokens: an S3 v2 signature gives the owner\'s token, without X-Subject-Token', async () => {
        const r0 = await call(base, 'POST', `/v3/users/${users.bob}/credentials/OS-EC2`, { token: tokens.bob, body: { tenant_id: project } });
        const { access: ak, secret: sk } = r0.body.credential;
        secrets.push(sk);
        const stringToSign = `GET\n\n\n${new Date().toUTCString()}\n/bucket/key`;
        const token = Buffer.from(stringToSign).toString('base64url');
        const signature = createHmac('sha1', sk).update(stringToSign).digest('base64');
        const r = await call(base, 'POST', '/v3/s3tokens', { token: admin, body: { credentials: { access: ak, token, signature } } });
        assert.equal(r.status, 200, r.text);
        assert.equal(r.headers.get('x-subject-token'), null);
        assert.equal(r.body.token.user.id, users.bob);
        keystoneError(await call(base, 'POST', '/v3/s3tokens', { token: admin, body: { credentials: { access: ak, token, signature: `${signature[0] === 'x' ? 'y' : 'x'}${signature.slice(1)}` } } }), 401);
      });
    });

    describe('bad input on every credential route', () => {
      test('malformed JSON 400, oversized 413, a foreign content type 400, unknown ids 404 — Keystone bodies, nothing written', async () => {
        const posts = ['/v3/credentials', `/v3/users/${users.alice}/credentials/OS-EC2`, '/v3/ec2tokens', '/v3/s3tokens'];
        const count = async () => (await call(base, 'GET', '/v3/credentials', { token: admin })).body.credentials.length;
        const before_ = await count();
        for (const path of posts) {
          assert.equal(keystoneError(await call(base, 'POST', path, { token: admin, raw: '{"credential": {', headers: { 'Content-Type': 'application/json' } }), 400).message, INVALID_JSON, path);
          assert.equal(keystoneError(await call(base, 'POST', path, { token: admin, raw: 'x=1', headers: { 'Content-Type': 'application/x-www-form-urlencoded' } }), 400).message, NOT_JSON, path);
          keystoneError(await call(base, 'POST', path, { token: admin, body: { credential: { blob: 'x'.repeat(70 * 1024) } } }), 413);
        }
        keystoneError(await call(base, 'PATCH', '/v3/credentials/nope', { token: admin, body: { credential: { type: 'x' } } }), 404);
        keystoneError(await call(base, 'DELETE', '/v3/credentials/nope', { token: admin }), 404);
        keystoneError(await call(base, 'GET', '/v3/users/nope/credentials/OS-EC2', { token: admin }), 404);
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: { credentials: { access: 5 } } }), 400);
        keystoneError(await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: { credentials: { access: 'a', params: { a: 1 } } } }), 400);
        assert.equal(await count(), before_);
      });

      test('an EC2 key never yields roles its owner no longer holds', async () => {
        const assignments = h.get(AssignmentService);
        const identity = h.get(IdentityService);
        const u = await identity.createUser({ name: 'fleeting', domainId: DEFAULT_DOMAIN_ID, password: PW });
        const member = (await assignments.findGlobalRole('member'))!.id;
        await assignments.grant({ type: 'UserProject', actorId: u.id, targetId: project, roleId: member });
        const c = await h.get(CredentialService).create({ userId: u.id, projectId: project, type: 'ec2', issuer: 'test', blob: JSON.stringify({ access: 'fleeting-ak', secret: 'fleeting-sk' }) });
        assert.equal(c.id, sha256('fleeting-ak'));
        assert.equal((await call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request('fleeting-ak', 'fleeting-sk') })).status, 200);
        await assignments.removeGrant({ type: 'UserProject', actorId: u.id, targetId: project, roleId: member });
        // Until the revocation event reaches this process's caches.
        const refused = await eventually(async () => call(base, 'POST', '/v3/ec2tokens', { token: admin, body: await signedEc2Request('fleeting-ak', 'fleeting-sk') }), (r) => r.status !== 200);
        keystoneError(refused, 401);
      });
    });

    describe('at rest, limits, concurrency, key rotation', () => {
      test('no issued secret appears anywhere in the database', async () => {
        assert.ok(secrets.length >= 5);
        if (kind.kind === 'sqlite') {
          const dir = h.config.database.url.replace(/\/[^/]+$/, '');
          const bytes = readdirSync(dir).filter((f) => f.startsWith('lintel.sqlite')).map((f) => readFileSync(`${dir}/${f}`).toString('latin1')).join('');
          secrets.forEach((s, i) => assert.ok(!bytes.includes(s), `secret #${i} is stored in clear`));
        } else {
          const rows = JSON.stringify(await h.ds.query('SELECT * FROM credentials'));
          for (const s of secrets) assert.ok(!rows.includes(s), 'a secret is stored in clear');
        }
      });

      test('50 parallel creates for one user never pass the limit and leave no orphan rows', async () => {
        const creds = h.get(CredentialService);
        const identity = h.get(IdentityService);
        const u = await identity.createUser({ name: 'racer', domainId: DEFAULT_DOMAIN_ID, password: PW });
        const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) =>
          creds.create({ userId: u.id, projectId: project, type: 'ec2', issuer: 'test', blob: JSON.stringify({ access: `race-${i}`, secret: `s-${i}` }) })));
        const ok = results.filter((r) => r.status === 'fulfilled').length;
        assert.equal(ok, 20);
        for (const r of results) if (r.status === 'rejected') assert.match(String(r.reason?.message), /maximum of 20 already exceeded/);
        assert.equal(await h.ds.getRepository(CredentialEntity).countBy({ userId: u.id }), 20);
      });

      test('credential key rotation and migrate keep every credential readable, then re-sealed under the new primary', async () => {
        const ring = credentialKeys(h.config);
        const ctx = h.app;
        const before_ = (await call(base, 'GET', '/v3/credentials', { token: admin })).body.credentials.map((c: { blob: string }) => c.blob).sort();
        await rotateCredentialKeys(ctx, h.config);
        await assert.rejects(rotateCredentialKeys(ctx, h.config), /run "credential-keys migrate" first/);
        const creds = h.get(CredentialService);
        assert.ok((await creds.resealAll()) > 0);
        ring.load();
        const inUse = await creds.keyHashesInUse();
        assert.deepEqual([...inUse], [ring.primaryHash]);
        await rotateCredentialKeys(ctx, h.config);
        const after_ = (await call(base, 'GET', '/v3/credentials', { token: admin })).body.credentials.map((c: { blob: string }) => c.blob).sort();
        assert.deepEqual(after_, before_);
      });
    });
  });
}
