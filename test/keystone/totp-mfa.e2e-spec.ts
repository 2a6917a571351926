import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { AssignmentService, CredentialEntity, DEFAULT_DOMAIN_ID, IdentityService, ResourceService, UserEntity } from '@lintel/domain';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth, type Res } from '../helpers/keystone.js';
import { ADMIN_PASSWORD, useLintel, type Harness } from '../helpers/lintel.js';
import { openstackEnv, openstackJson, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';
import { awayFromTotpStepEdge, clockPasses } from '../helpers/wait.js';

const GENERIC_401 = 'The request you have made requires authentication.';
const RECEIPT_404 = 'Could not find auth receipt.';
const PW = 'mfa-password-1';

// ---------------------------------------------------------------- an independent RFC 6238 generator

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32(bytes: Buffer): string {
  let bits = '';
  for (const b of bytes) bits += b.toString(2).padStart(8, '0');
  let out = '';
  for (let i = 0; i < bits.length; i += 5) out += B32[parseInt(bits.slice(i, i + 5).padEnd(5, '0'), 2)];
  return out;
}

function unbase32(s: string): Buffer {
  let bits = '';
  for (const ch of s) bits += B32.indexOf(ch).toString(2).padStart(5, '0');
  const out: number[] = [];
  for (let i = 0; i + 8 <= bits.length; i += 8) out.push(parseInt(bits.slice(i, i + 8), 2));
  return Buffer.from(out);
}

/** A fresh 160-bit secret, as authenticator apps use (32 base32 characters). */
const newSecret = () => base32(randomBytes(20));

/** The passcode of `secret` for the time step `offset` steps from now. */
function passcode(secret: string, offset = 0): string {
  const counter = Math.floor(Date.now() / 30_000) + offset;
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const h = createHmac('sha1', unbase32(secret)).update(msg).digest();
  const o = h[h.length - 1]! & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

// ---------------------------------------------------------------- request bodies

type UserRef = { id: string } | { name: string; domain: { id?: string; name?: string } };

const totpIdentity = (user: UserRef, code: unknown) => ({ user: { ...user, passcode: code } });
const totpAuth = (user: UserRef, code: unknown, scope?: unknown) => ({ auth: { identity: { methods: ['totp'], totp: totpIdentity(user, code) }, ...(scope ? { scope } : {}) } });
const bothAuth = (id: string, password: string, code: string, scope?: unknown) => ({
  auth: { identity: { methods: ['password', 'totp'], password: { user: { id, password } }, totp: totpIdentity({ id }, code) }, ...(scope ? { scope } : {}) },
});

const RECEIPT = 'openstack-auth-receipt';

/** A 401 carrying a receipt, checked for Keystone's shape; returns the receipt and the body. */
function receiptOf(r: Res): { receipt: string; body: any } {
  assert.equal(r.status, 401, r.text);
  const receipt = r.headers.get(RECEIPT);
  assert.ok(receipt, 'Openstack-Auth-Receipt header');
  assert.deepEqual(Object.keys(r.body).sort(), ['receipt', 'required_auth_methods']);
  assert.deepEqual(Object.keys(r.body.receipt).sort(), ['expires_at', 'issued_at', 'methods', 'user']);
  assert.equal(r.headers.get('www-authenticate'), null, 'Keystone sends no WWW-Authenticate with a receipt');
  assert.equal(r.headers.get('x-subject-token'), null);
  assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
  return { receipt, body: r.body };
}

const sorted = (xs: string[]) => [...xs].sort();

for (const kind of databaseKinds()) {
  describe(`Keystone TOTP and multi-factor rules (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_LOCKOUT_FAILURE_ATTEMPTS: '3', LINTEL_LOCKOUT_DURATION: '3600' });
    let h: Harness;
    let base: string;
    let admin: string;
    let project: { id: string; name: string };
    const tmp = mkdtempSync(join(tmpdir(), 'lintel-totp-'));

    const api = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => call(base, method, path, { token: admin, body, headers });
    const login = (body: unknown, receipt?: string) => call(base, 'POST', '/v3/auth/tokens', { body, headers: receipt ? { 'Openstack-Auth-Receipt': receipt } : undefined });

    /** A user with a password, the member role on the suite's project, and (unless told) one TOTP credential. */
    async function mfaUser(name: string, o: { rules?: string[][]; secret?: string | null } = {}) {
      const identity = h.get(IdentityService);
      const user = await identity.createUser({
        name, domainId: DEFAULT_DOMAIN_ID, password: PW, options: o.rules ? { multi_factor_auth_rules: o.rules } : {},
      });
      const assignments = h.get(AssignmentService);
      const member = (await assignments.findGlobalRole('member'))!;
      await assignments.grant({ type: 'UserProject', actorId: user.id, targetId: project.id, roleId: member.id });
      const secret = o.secret === undefined ? newSecret() : o.secret;
      if (secret !== null) {
        const r = await api('POST', '/v3/credentials', { credential: { type: 'totp', user_id: user.id, blob: secret } });
        assert.equal(r.status, 201, r.text);
      }
      return { id: user.id, name, secret: secret ?? '' };
    }

    /** The CLI, with every secret of the test taken out of what a failure reports. */
    async function cli<T>(run: () => Promise<T>, secrets: string[]): Promise<T> {
      try {
        return await run();
      } catch (e) {
        let text = (e as Error).message;
        for (const s of secrets) text = text.split(s).join('***');
        throw new Error(text);
      }
    }

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      project = await h.get(ResourceService).createProject({ name: 'mfa-project', domainId: DEFAULT_DOMAIN_ID });
    });

    after(async () => {
      rmSync(tmp, { recursive: true, force: true });
    });

    describe('TOTP credentials', () => {
      test('`openstack credential create --type totp` stores the secret sealed; Keystone shows it back as the blob', { skip: skipWithoutOpenstack }, async () => {
        const u = await mfaUser('cli-cred', { secret: null });
        const secret = newSecret();
        const created = await cli(() => openstackJson(['credential', 'create', '--type', 'totp', u.name, secret], openstackEnv(`${base}/v3`)), [secret]);
        assert.equal(created.type, 'totp');
        assert.equal(created.user_id, u.id);
        assert.equal(created.project_id, null);
        assert.equal(created.blob, secret);
        const got = await api('GET', `/v3/credentials/${created.id}`);
        assert.deepEqual(Object.keys(got.body.credential).sort(), ['blob', 'id', 'links', 'project_id', 'type', 'user_id']);
        assert.equal(got.body.credential.blob, secret);
        const row = await h.ds.getRepository(CredentialEntity).findOneByOrFail({ id: created.id });
        assert.ok(!JSON.stringify(row).includes(secret), 'the secret is not stored in the clear');
        const listed = await api('GET', `/v3/credentials?type=totp&user_id=${u.id}`);
        assert.deepEqual(listed.body.credentials.map((c: { id: string }) => c.id), [created.id]);
        // The CLI credential works for a login at once.
        await awayFromTotpStepEdge();
        assert.equal((await login(totpAuth({ id: u.id }, passcode(secret)))).status, 201);
      });
    });

    describe('the totp method', () => {
      test('a passcode alone logs in (no rules): by id or by name and domain, scoped or not', async () => {
        const u = await mfaUser('totp-only');
        await awayFromTotpStepEdge();
        const r = await login(totpAuth({ id: u.id }, passcode(u.secret)));
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(r.body.token.methods, ['totp']);
        assert.equal(r.body.token.user.id, u.id);
        const scoped = await login(totpAuth({ name: u.name, domain: { name: 'Default' } }, passcode(u.secret), { project: { id: project.id } }));
        assert.equal(scoped.status, 201, scoped.text);
        assert.equal(scoped.body.token.project.id, project.id);
        assert.equal((await login(totpAuth({ name: u.name, domain: { id: 'default' } }, passcode(u.secret)))).status, 201);
      });

      test('`OS_AUTH_TYPE=v3totp` with the openstack CLI', { skip: skipWithoutOpenstack }, async () => {
        const u = await mfaUser('cli-totp');
        await awayFromTotpStepEdge(10_000);
        const env: NodeJS.ProcessEnv = { ...openstackEnv(`${base}/v3`, { user: u.name, project: project.name }), OS_AUTH_TYPE: 'v3totp', OS_PASSCODE: passcode(u.secret) };
        delete env.OS_PASSWORD;
        const t = await cli(() => openstackJson(['token', 'issue'], env), [u.secret]);
        assert.equal(t.user_id, u.id);
        assert.equal(t.project_id, project.id);
      });

      test('the current and the previous window match; two windows back and the next one do not', async () => {
        const u = await mfaUser('windows');
        await awayFromTotpStepEdge();
        assert.equal((await login(totpAuth({ id: u.id }, passcode(u.secret, -1)))).status, 201);
        for (const offset of [-2, 1]) {
          assert.equal(keystoneError(await login(totpAuth({ id: u.id }, passcode(u.secret, offset))), 401).message, GENERIC_401, `offset ${offset}`);
        }
        // Keystone keeps no record of used passcodes: the same one works again within its window.
        const code = passcode(u.secret);
        assert.equal((await login(totpAuth({ id: u.id }, code))).status, 201);
        assert.equal((await login(totpAuth({ id: u.id }, code))).status, 201);
      });

      test('every totp credential of the user is tried; a blob that is no usable key is skipped', async () => {
        const u = await mfaUser('two-devices');
        const second = newSecret();
        for (const blob of ['not base32!', 'JBSWY3DPEHPK3PXP', second]) {
          assert.equal((await api('POST', '/v3/credentials', { credential: { type: 'totp', user_id: u.id, blob } })).status, 201);
        }
        await awayFromTotpStepEdge();
        assert.equal((await login(totpAuth({ id: u.id }, passcode(second)))).status, 201);
        assert.equal((await login(totpAuth({ id: u.id }, passcode(u.secret)))).status, 201);
        // An 80-bit key is below Keystone's minimum: never usable.
        const short = await mfaUser('short-key', { secret: 'JBSWY3DPEHPK3PXP' });
        keystoneError(await login(totpAuth({ id: short.id }, passcode('JBSWY3DPEHPK3PXP'))), 401);
        // Another user's secret, and a credential of another type, prove nothing.
        const other = await mfaUser('other-user');
        await api('POST', '/v3/credentials', { credential: { type: 'TOTP', user_id: other.id, blob: second } });
        keystoneError(await login(totpAuth({ id: other.id }, passcode(second))), 401);
      });

      test('wrong, missing or non-string passcodes, unknown users and domains, disabled users and domains: the generic 401', async () => {
        const u = await mfaUser('wrong-codes');
        const right = passcode(u.secret);
        const wrong = right === '000000' ? '000001' : '000000';
        const cases: unknown[] = [
          totpAuth({ id: u.id }, wrong), totpAuth({ id: u.id }, undefined), totpAuth({ id: u.id }, Number(right)), totpAuth({ id: u.id }, null),
          totpAuth({ id: 'no-such-user' }, right), totpAuth({ name: u.name, domain: { name: 'no-such-domain' } }, right),
          totpAuth({ name: 'no-such-user', domain: { id: 'default' } }, right), { auth: { identity: { methods: ['totp'], totp: { user: { id: 5, passcode: right } } } } },
        ];
        for (const body of cases) {
          const r = await login(body);
          assert.equal(keystoneError(r, 401).message, GENERIC_401, JSON.stringify(body));
          assert.ok(!r.text.includes(u.secret));
        }
        const off = await mfaUser('disabled');
        await api('PATCH', `/v3/users/${off.id}`, { user: { enabled: false } });
        keystoneError(await login(totpAuth({ id: off.id }, passcode(off.secret))), 401);
        const resources = h.get(ResourceService);
        const d = await resources.createDomain({ name: 'mfa-off-domain' });
        const inside = await h.get(IdentityService).createUser({ name: 'inside', domainId: d.id, password: PW });
        const secret = newSecret();
        await api('POST', '/v3/credentials', { credential: { type: 'totp', user_id: inside.id, blob: secret } });
        await awayFromTotpStepEdge();
        assert.equal((await login(totpAuth({ id: inside.id }, passcode(secret)))).status, 201);
        await api('PATCH', `/v3/domains/${d.id}`, { domain: { enabled: false } });
        keystoneError(await login(totpAuth({ id: inside.id }, passcode(secret))), 401);
        keystoneError(await login(totpAuth({ name: 'inside', domain: { id: d.id } }, passcode(secret))), 401);
      });

      test('bad bodies: Keystone\'s 400s', async () => {
        const t = (totp: unknown) => ({ auth: { identity: { methods: ['totp'], totp } } });
        const msg = (what: string, where: string) => `Expecting to find ${what} in ${where}. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.`;
        // Keystone's own text for the first two says "in None." (its method name is not set yet).
        for (const [body, message] of [
          [t({ passcode: '123456' }), msg('user', 'totp')],
          [t({}), msg('user', 'totp')],
          [t({ user: { passcode: '123456' } }), msg('id or name', 'user')],
          [t({ user: { id: '', passcode: '123456' } }), msg('id or name', 'user')],
          [t({ user: { name: 'x', passcode: '123456' } }), msg('domain', 'user')],
          [t({ user: { name: 'x', domain: {}, passcode: '123456' } }), msg('id or name', 'domain')],
          // Keystone answers these with a 500 (a string body: the `user` 400 above); Lintel names the field, the value as JSON.
          [t({ user: 'x' }), `Invalid input for field 'identity/totp/user': "x" is not of type 'object'`],
          [t({ user: { name: 'x', domain: 'd' } }), `Invalid input for field 'identity/totp/user/domain': "d" is not of type 'object'`],
          [t('x'), `Invalid input for field 'identity/totp': "x" is not of type 'object'`],
          [{ auth: { identity: { methods: ['totp'] } } }, msg('totp', 'identity')],
        ] as const) {
          assert.equal(keystoneError(await login(body), 400).message, message, JSON.stringify(body));
        }
      });
    });

    describe('multi-factor rules and receipts', () => {
      test('password alone → 401 with a receipt; totp with the receipt → 201 with both methods (and the other way round)', async () => {
        const u = await mfaUser('mfa-a', { rules: [['password', 'totp']] });
        const first = receiptOf(await login(passwordAuth({ id: u.id }, PW)));
        assert.deepEqual(first.body.receipt.methods, ['password']);
        assert.deepEqual(first.body.receipt.user, { id: u.id, name: u.name, domain: { id: 'default', name: 'Default' } });
        assert.deepEqual(first.body.required_auth_methods, [['password', 'totp']]);
        const issued = Date.parse(first.body.receipt.issued_at);
        assert.equal(Date.parse(first.body.receipt.expires_at) - issued, 300_000);
        assert.ok(Math.abs(issued - Date.now()) < 5000);
        assert.match(first.body.receipt.expires_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000000Z$/);
        await awayFromTotpStepEdge();
        const done = await login(totpAuth({ id: u.id }, passcode(u.secret), { project: { id: project.id } }), first.receipt);
        assert.equal(done.status, 201, done.text);
        assert.deepEqual(sorted(done.body.token.methods), ['password', 'totp']);
        assert.equal(done.body.token.project.id, project.id);
        // The token works; a rescoped one keeps the methods (token-method exchange, no new receipt).
        const token = done.headers.get('x-subject-token')!;
        assert.equal((await call(base, 'GET', '/v3/auth/tokens', { token, subject: token })).status, 200);
        const rescoped = await login({ auth: { identity: { methods: ['token'], token: { id: token } } } });
        assert.equal(rescoped.status, 201, rescoped.text);
        assert.deepEqual(sorted(rescoped.body.token.methods), ['password', 'token', 'totp']);

        const second = receiptOf(await login(totpAuth({ name: u.name, domain: { id: 'default' } }, passcode(u.secret))));
        assert.deepEqual(second.body.receipt.methods, ['totp']);
        const pw = await login(passwordAuth({ name: u.name }, PW), second.receipt);
        assert.equal(pw.status, 201, pw.text);
        assert.deepEqual(sorted(pw.body.token.methods), ['password', 'totp']);
        // Like Keystone's, a receipt is not spent by use: it serves until it expires.
        assert.equal((await login(passwordAuth({ name: u.name }, PW), second.receipt)).status, 201);
      });

      test('both methods in one request need no receipt; so does `openstack` with the v3multifactor plugin', { skip: skipWithoutOpenstack }, async () => {
        const u = await mfaUser('mfa-cli', { rules: [['password', 'totp']] });
        await awayFromTotpStepEdge(10_000);
        const r = await login(bothAuth(u.id, PW, passcode(u.secret)));
        assert.equal(r.status, 201, r.text);
        assert.deepEqual(sorted(r.body.token.methods), ['password', 'totp']);
        // keystoneauth's multi-factor plugin takes its method list from clouds.yaml: the
        // `--os-auth-methods a,b` flag reaches it as one string, which it splits into characters.
        const clouds = join(tmp, `clouds-${u.name}.yaml`);
        writeFileSync(clouds, [
          'clouds:', '  mfa:', '    auth_type: v3multifactor', '    auth_methods: [v3password, v3totp]', '    identity_api_version: 3', '    auth:',
          `      auth_url: ${base}/v3`, `      username: ${u.name}`, '      user_domain_name: Default', `      password: ${PW}`, `      passcode: "${passcode(u.secret)}"`,
          `      project_name: ${project.name}`, '      project_domain_name: Default', '',
        ].join('\n'), { mode: 0o600 });
        const env: NodeJS.ProcessEnv = { ...openstackEnv(undefined), OS_CLIENT_CONFIG_FILE: clouds };
        for (const k of Object.keys(env)) if (k.startsWith('OS_') && k !== 'OS_CLIENT_CONFIG_FILE') delete env[k];
        const t = await cli(() => openstackJson(['--os-cloud', 'mfa', 'token', 'issue'], env), [u.secret, PW]);
        assert.equal(t.user_id, u.id);
        assert.equal(t.project_id, project.id);
        // One method alone: keystoneauth reads the receipt body and names the rule still to meet.
        const one: NodeJS.ProcessEnv = { ...openstackEnv(`${base}/v3`, { user: u.name, project: project.name }), OS_AUTH_TYPE: 'v3totp', OS_PASSCODE: passcode(u.secret) };
        delete one.OS_PASSWORD;
        await assert.rejects(cli(() => openstackText(['token', 'issue'], one), [u.secret]), /Not all required auth rules were satisfied: \[\['password', 'totp'\]\]/);
      });

      test('a receipt of one user is refused for another; tokens and receipts never stand in for each other', async () => {
        const a = await mfaUser('mfa-owner', { rules: [['password', 'totp']] });
        const b = await mfaUser('mfa-other', { rules: [['password', 'totp']] });
        const { receipt } = receiptOf(await login(passwordAuth({ id: a.id }, PW)));
        await awayFromTotpStepEdge();
        // b's passcode with a's receipt: Keystone's ReceiptNotFound (the receipt is bound to a).
        for (const body of [totpAuth({ id: b.id }, passcode(b.secret)), passwordAuth({ id: b.id }, PW), passwordAuth({ name: 'admin' }, ADMIN_PASSWORD)]) {
          const r = await login(body, receipt);
          assert.equal(keystoneError(r, 401).message, RECEIPT_404);
          assert.ok(!r.text.includes(receipt), 'the receipt is not repeated back');
        }
        // A receipt is no token: not as X-Auth-Token, not as a subject, not for the token method.
        assert.equal(keystoneError(await call(base, 'GET', '/v3/users', { token: receipt }), 401).message, GENERIC_401);
        assert.equal(keystoneError(await call(base, 'GET', '/v3/auth/tokens', { token: admin, subject: receipt }), 404).message, 'Could not recognize Fernet token');
        keystoneError(await login({ auth: { identity: { methods: ['token'], token: { id: receipt } } } }), 404);
        // A token is no receipt, not even the same user's.
        const full = await login(bothAuth(a.id, PW, passcode(a.secret)));
        assert.equal(full.status, 201);
        assert.equal(keystoneError(await login(totpAuth({ id: a.id }, passcode(a.secret)), full.headers.get('x-subject-token')!), 401).message, RECEIPT_404);
        assert.equal(keystoneError(await login(passwordAuth({ id: a.id }, PW), admin), 401).message, RECEIPT_404);
        // Nor is anything else.
        for (const junk of ['garbage', `${receipt.slice(0, -4)}AAAA`, 'a.b.c']) {
          assert.equal(keystoneError(await login(passwordAuth({ id: a.id }, PW), junk), 401).message, RECEIPT_404, junk);
        }
      });

      test('a wrong second factor with a receipt is the generic 401, and the receipt is checked even when not needed', async () => {
        const u = await mfaUser('mfa-wrong', { rules: [['password', 'totp']] });
        const { receipt } = receiptOf(await login(passwordAuth({ id: u.id }, PW)));
        const right = passcode(u.secret);
        assert.equal(keystoneError(await login(totpAuth({ id: u.id }, right === '111111' ? '111112' : '111111'), receipt), 401).message, GENERIC_401);
        const plain = await mfaUser('no-rules');
        assert.equal(keystoneError(await login(passwordAuth({ id: plain.id }, PW), 'garbage'), 401).message, RECEIPT_404);
      });

      test('rules: enabled unless turned off, empty means none, unknown methods are left out, an all-unknown rule is ignored', async () => {
        const u = await mfaUser('mfa-rules');
        const set = async (options: Record<string, unknown>) => {
          const r = await api('PATCH', `/v3/users/${u.id}`, { user: { options } });
          assert.equal(r.status, 200, r.text);
          return r.body.user.options;
        };
        const pwOnly = async () => (await login(passwordAuth({ id: u.id }, PW))).status;
        assert.deepEqual(await set({ multi_factor_auth_rules: [['password', 'totp']] }), { multi_factor_auth_rules: [['password', 'totp']] });
        assert.equal(await pwOnly(), 401, 'enabled when the option is absent');
        assert.deepEqual(await set({ multi_factor_auth_enabled: false }), { multi_factor_auth_rules: [['password', 'totp']], multi_factor_auth_enabled: false });
        assert.equal(await pwOnly(), 201);
        await set({ multi_factor_auth_enabled: true, multi_factor_auth_rules: [] });
        assert.equal(await pwOnly(), 201, 'an empty rule list requires nothing');
        await set({ multi_factor_auth_rules: [['password', 'bogus']] });
        assert.equal(await pwOnly(), 201, 'a method nobody offers is left out of the rule');
        await set({ multi_factor_auth_rules: [['bogus', 'other']] });
        assert.equal(await pwOnly(), 201, 'no usable rule at all: nobody is locked out');
        await set({ multi_factor_auth_rules: [['password', 'totp'], ['bogus']] });
        const r = receiptOf(await login(passwordAuth({ id: u.id }, PW)));
        assert.deepEqual(r.body.required_auth_methods, [['password', 'totp']], 'an all-unknown rule is no way around the others (bug 2102096)');
        await set({ multi_factor_auth_rules: [['totp', 'bogus'], ['password', 'totp']] });
        assert.deepEqual(receiptOf(await login(passwordAuth({ id: u.id }, PW))).body.required_auth_methods, [['password', 'totp']]);
        await awayFromTotpStepEdge();
        assert.equal((await login(totpAuth({ id: u.id }, passcode(u.secret)))).status, 201, '["totp", "bogus"] is met by totp alone');
        assert.deepEqual(await set({ multi_factor_auth_rules: null, multi_factor_auth_enabled: null }), {});
        assert.equal(await pwOnly(), 201);
      });

      test('bad multi_factor_auth_* options: Keystone\'s 400s, nothing written', async () => {
        const u = await mfaUser('mfa-bad-options', { rules: [['password', 'totp']] });
        const field = (path: string, problem: string) => `Invalid input for field '${path}': ${problem}`;
        const R = 'options/multi_factor_auth_rules';
        for (const [options, message] of [
          [{ multi_factor_auth_rules: 'x' }, field(R, "'x' is not of type 'array', 'null'")],
          [{ multi_factor_auth_rules: {} }, field(R, "{} is not of type 'array', 'null'")],
          [{ multi_factor_auth_rules: ['password'] }, field(`${R}/0`, "'password' is not of type 'array'")],
          [{ multi_factor_auth_rules: [[]] }, field(`${R}/0`, '[] is too short')],
          [{ multi_factor_auth_rules: [['password', 'password']] }, field(`${R}/0`, "['password', 'password'] has non-unique elements")],
          [{ multi_factor_auth_rules: [['password'], ['password']] }, field(R, "[['password'], ['password']] has non-unique elements")],
          [{ multi_factor_auth_rules: [['totp'], [1]] }, field(`${R}/1/0`, "1 is not of type 'string'")],
          [{ multi_factor_auth_enabled: 'yes' }, field('options/multi_factor_auth_enabled', "'yes' is not of type 'boolean', 'null'")],
          [{ multi_factor_auth_enabled: 1 }, field('options/multi_factor_auth_enabled', "1 is not of type 'boolean', 'null'")],
          [{ bogus: true }, field('options', "Additional properties are not allowed ('bogus' was unexpected)")],
        ] as const) {
          assert.equal(keystoneError(await api('PATCH', `/v3/users/${u.id}`, { user: { options } }), 400).message, message, JSON.stringify(options));
        }
        assert.equal(keystoneError(await api('POST', '/v3/users', { user: { name: 'mfa-bad-create', options: { multi_factor_auth_rules: [[1]] } } }), 400).message,
          field(`${R}/0/0`, "1 is not of type 'string'"));
        assert.deepEqual((await api('GET', `/v3/users/${u.id}`)).body.user.options, { multi_factor_auth_rules: [['password', 'totp']] });
        const created = await api('POST', '/v3/users', { user: { name: 'mfa-create', options: { multi_factor_auth_rules: [['password', 'totp']], multi_factor_auth_enabled: true } } });
        assert.equal(created.status, 201, created.text);
        assert.deepEqual(created.body.user.options, { multi_factor_auth_rules: [['password', 'totp']], multi_factor_auth_enabled: true });
      });
    });

    describe('lockout', () => {
      test('wrong passcodes count toward lockout; a locked account is refused for the right passcode and password alike', async () => {
        const u = await mfaUser('lock-totp');
        await awayFromTotpStepEdge();
        const wrong = passcode(u.secret) === '000000' ? '000001' : '000000';
        for (let i = 0; i < 3; i++) keystoneError(await login(totpAuth({ id: u.id }, wrong)), 401);
        keystoneError(await login(totpAuth({ id: u.id }, passcode(u.secret))), 401);
        keystoneError(await login(passwordAuth({ id: u.id }, PW)), 401);
        assert.equal((await h.ds.getRepository(UserEntity).findOneByOrFail({ id: u.id })).failedAuthCount, 3);
      });

      test('a right password short of the rules does not reset the count; a complete login does', async () => {
        const u = await mfaUser('lock-mfa', { rules: [['password', 'totp']] });
        await awayFromTotpStepEdge();
        const wrong = passcode(u.secret) === '000000' ? '000001' : '000000';
        const count = async () => (await h.ds.getRepository(UserEntity).findOneByOrFail({ id: u.id })).failedAuthCount;
        for (let i = 0; i < 2; i++) keystoneError(await login(totpAuth({ id: u.id }, wrong)), 401);
        const { receipt } = receiptOf(await login(passwordAuth({ id: u.id }, PW)));
        assert.equal(await count(), 2);
        assert.equal((await login(totpAuth({ id: u.id }, passcode(u.secret)), receipt)).status, 201);
        assert.equal(await count(), 0);
        for (let i = 0; i < 2; i++) keystoneError(await login(totpAuth({ id: u.id }, wrong), receipt), 401);
        receiptOf(await login(passwordAuth({ id: u.id }, PW)));
        keystoneError(await login(totpAuth({ id: u.id }, wrong), receipt), 401);
        assert.equal(await count(), 3);
        keystoneError(await login(bothAuth(u.id, PW, passcode(u.secret))), 401);
      });
    });
  });

  describe(`auth receipts expire; TOTP attempts are rate limited (${kind.kind})`, () => {
    const ctx = useLintel(kind, { LINTEL_RECEIPT_EXPIRATION: '1', LINTEL_AUTH_RATE_LIMIT_PER_USER: '3' });
    let h: Harness;

    before(async () => {
      h = ctx.h;
    });

    test('a receipt past LINTEL_RECEIPT_EXPIRATION is ReceiptNotFound; per-account limits count passcode attempts', async () => {
      const user = await h.get(IdentityService).createUser({ name: 'expiring', domainId: DEFAULT_DOMAIN_ID, password: PW, options: { multi_factor_auth_rules: [['password', 'totp']] } });
      const admin = (await issue(h.url, adminProjectAuth())).id;
      const secret = newSecret();
      await call(h.url, 'POST', '/v3/credentials', { token: admin, body: { credential: { type: 'totp', user_id: user.id, blob: secret } } });
      const r = receiptOf(await call(h.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: user.id }, PW) }));
      assert.equal(Date.parse(r.body.receipt.expires_at) - Date.parse(r.body.receipt.issued_at), 1000);
      await clockPasses(r.body.receipt.expires_at);
      await awayFromTotpStepEdge();
      const late = await call(h.url, 'POST', '/v3/auth/tokens', { body: totpAuth({ id: user.id }, passcode(secret)), headers: { 'Openstack-Auth-Receipt': r.receipt } });
      assert.equal(keystoneError(late, 401).message, RECEIPT_404);
      // Three attempts for the account were made above (password, totp); the fourth is over the limit.
      const ok = await call(h.url, 'POST', '/v3/auth/tokens', { body: totpAuth({ id: user.id }, passcode(secret)) });
      receiptOf(ok);
      const limited = await call(h.url, 'POST', '/v3/auth/tokens', { body: totpAuth({ id: user.id }, passcode(secret)) });
      assert.equal(limited.status, 429, limited.text);
      assert.ok(limited.headers.get('retry-after'));
    });
  });
}
