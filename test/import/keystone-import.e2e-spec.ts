import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { CredentialCipher, CredentialEntity, DomainConfigEntity, DomainEntity, PasswordEntity, ProjectEntity, RoleAssignmentEntity, UserEntity } from '@lintel/domain';
import { databaseKinds, type DatabaseKind, type TestDatabase } from '../helpers/databases.js';
import { call, passwordAuth } from '../helpers/keystone.js';
import { KEYSTONE_ADMIN_PASSWORD, openstackBatch, skipWithoutKeystone, startKeystone, type KeystoneServer } from '../helpers/keystone-server.js';
import { runKeystoneclientOAuth1 } from '../helpers/keystoneclient-oauth1.js';
import { connectDatabase, startIdentity, testEnv, type Harness } from '../helpers/lintel.js';
import { openstackEnv } from '../helpers/openstack.js';
import { runNode, scripts } from '../helpers/processes.js';
import { awayFromTotpStepEdge } from '../helpers/wait.js';

/**
 * `manage import keystone` against databases written by a real Keystone (Debian's keystone 22),
 * on SQLite and on MariaDB: the openstack CLI fills Keystone, the importer copies it into a
 * fresh Lintel database (SQLite and MariaDB), Lintel then serves on Keystone's own port (the
 * cut-over), and the same CLI commands must show the same thing field by field. Users log in
 * with their old passwords (every hash format), an EC2 credential made in Keystone signs
 * requests Lintel's ec2tokens accepts, a re-run duplicates nothing, and a refused schema or a
 * failure half-way writes nothing.
 */

const skip = skipWithoutKeystone;
const MYSQL = process.env.LINTEL_TEST_MYSQL_URL;
const BACKENDS: Array<'sqlite' | 'mariadb'> = ['sqlite', ...(MYSQL ? ['mariadb' as const] : [])];

/** Test-only passwords; each user's hash ends up in another format Keystone writes. */
const PW = {
  alice1: 'Alice-pw-1', alice: 'Alice-pw-2', bob: 'Bob-pw-3', carol: 'Carol-pw-4',
  dave: 'Dave-pässwörd✓-5', erin: 'Erin-pw-6', frank: 'Frank-pw-7', grace: 'Grace-pw-8', henry: 'Henry-pw-9',
};
/** Password hash formats, by user: bcrypt (Keystone's default) unless named here. */
const FORMATS: Record<string, { algorithm: string; prefix: string }> = {
  dave: { algorithm: 'scrypt', prefix: '$scrypt$' },
  erin: { algorithm: 'pbkdf2_sha512', prefix: '$pbkdf2-sha512$' },
  frank: { algorithm: 'bcrypt_sha256', prefix: '$bcrypt-sha256$' },
  grace: { algorithm: 'sha512_crypt', prefix: '$6$' },
};
const TOTP_SECRET = 'JBSWY3DPEHPK3PXP';
/** henry's TOTP secret (Keystone's totp credential blob: base32). */
const HENRY_TOTP = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

/** RFC 6238's passcode (HMAC-SHA1, 30-second steps, 6 digits) of a base32 secret, now. */
function passcode(secret: string): string {
  let bits = '';
  for (const ch of secret.replace(/=+$/, '')) bits += 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567'.indexOf(ch).toString(2).padStart(5, '0');
  const key = Buffer.from((bits.match(/.{8}/g) ?? []).map((b) => parseInt(b, 2)));
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30_000)));
  const h = createHmac('sha1', key).update(counter).digest();
  const o = h[h.length - 1]! & 15;
  return String((h.readUInt32BE(o) & 0x7fffffff) % 1_000_000).padStart(6, '0');
}

/**
 * Hashes as Keystone writes them: its own `hash_password` with `password_hash_algorithm` set to
 * each algorithm it offers (scrypt, pbkdf2_sha512); bcrypt_sha256 (what Keystone 2024.1 and
 * later write) and sha512_crypt (what Keystone wrote before Pike, with its `crypt_strength`
 * default of 10000 rounds, and 22 still verifies) through passlib, which both follow.
 */
const HASHER = `
import json, sys
import passlib.hash
from keystone.common import password_hashing
CONF = keystone.conf.CONF
out = {}
for item in json.load(sys.stdin):
    algorithm = item['algorithm']
    if algorithm in ('bcrypt', 'scrypt', 'pbkdf2_sha512'):
        CONF.set_override('password_hash_algorithm', algorithm, 'identity')
        out[item['user']] = password_hashing.hash_password(item['password'])
    else:
        rounds = {'sha512_crypt': 10000}.get(algorithm)
        hasher = getattr(passlib.hash, algorithm)
        out[item['user']] = (hasher.using(rounds=rounds) if rounds else hasher).hash(item['password'])
print(json.dumps(out))
`;

/** keystoneclient's Ec2Signer signing one EC2 API request with SignatureVersion 2 and one with SigV4. */
const SIGNER = `
import datetime, hashlib, json, sys
from keystoneclient.contrib.ec2.utils import Ec2Signer
r = json.load(sys.stdin)
now = datetime.datetime.utcnow()
host = 'ec2.example.com:8773'
params = {'SignatureVersion': '2', 'SignatureMethod': 'HmacSHA256', 'AWSAccessKeyId': r['access'],
          'Action': 'DescribeInstances', 'Version': '2016-11-15', 'Timestamp': now.strftime('%Y-%m-%dT%H:%M:%SZ')}
v2 = {'access': r['access'], 'host': host, 'verb': 'GET', 'path': '/', 'params': params}
v2['signature'] = Ec2Signer(r['secret']).generate(dict(v2))
scope = now.strftime('%Y%m%d') + '/RegionOne/ec2/aws4_request'
auth = 'AWS4-HMAC-SHA256 Credential=%s/%s, SignedHeaders=host;x-amz-date, Signature=' % (r['access'], scope)
v4 = {'access': r['access'], 'host': host, 'verb': 'GET', 'path': '/', 'params': {'Action': 'DescribeInstances', 'Version': '2016-11-15'},
      'headers': {'Host': host, 'X-Amz-Date': now.strftime('%Y%m%dT%H%M%SZ'), 'Authorization': auth},
      'body_hash': hashlib.sha256(b'').hexdigest()}
v4['signature'] = Ec2Signer(r['secret']).generate(dict(v4))
v4['headers']['Authorization'] = auth + v4['signature']
print(json.dumps([v2, v4]))
`;

function python(code: string, input: unknown): Promise<any> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', code], { timeout: 120_000 }, (err, stdout, stderr) => {
      if (err) reject(new Error(`python: ${err.message}\n${stderr.slice(-2000)}`));
      else resolve(JSON.parse(stdout));
    });
    child.stdin!.end(JSON.stringify(input));
  });
}

/**
 * CLI output as compared: secrets by digest, so a failing comparison never prints one; a
 * project's tags, a catalog entry's endpoints and an application credential's roles (the CLI
 * joins them with spaces) as sets (Keystone lists them in whatever order its database returns the
 * rows: as inserted on SQLite, by id or as inserted on MariaDB).
 */
function masked(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(masked);
  if (v && typeof v === 'object') {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => {
      if (/^(secret|blob|data)$/i.test(k) && typeof x === 'string') return [k, `sha256:${createHash('sha256').update(x).digest('hex').slice(0, 16)}`];
      if (/^(tags|endpoints)$/i.test(k) && Array.isArray(x)) return [k, sorted(x)];
      if (k === 'roles' && typeof x === 'string') return [k, x.split(' ').sort().join(' ')];
      return [k, masked(x)];
    }));
  }
  return v;
}

/** A list's rows in a stable order. */
function sorted(rows: unknown[]): unknown[] {
  return rows.map(masked).sort((a, b) => (JSON.stringify(a) < JSON.stringify(b) ? -1 : 1));
}

interface ImportRun {
  code: number | null;
  tables: Map<string, any>;
  summary: any;
  error: any;
  output: string;
}

async function manage(db: TestDatabase, args: string[]): Promise<ImportRun> {
  const r = await runNode(scripts.manage, args, testEnv(db, { LINTEL_LOG_LEVEL: 'silent' }), 300_000);
  const events = r.output.split('\n').filter((l) => l.startsWith('{"event"')).map((l) => JSON.parse(l));
  return {
    code: r.code, output: r.output, tables: new Map(events.filter((e) => e.event === 'table').map((e) => [e.table, e])),
    summary: events.find((e) => e.event === 'summary'), error: events.find((e) => e.event === 'error'),
  };
}

/** Rows in the Lintel database (a fresh connection, as another process would see it). */
async function lintelCounts(db: TestDatabase): Promise<Record<string, number>> {
  const { ds } = await connectDatabase(db);
  try {
    const out: Record<string, number> = {};
    for (const [name, e] of [['domains', DomainEntity], ['projects', ProjectEntity], ['users', UserEntity], ['passwords', PasswordEntity],
      ['assignments', RoleAssignmentEntity], ['credentials', CredentialEntity]] as const) out[name] = await ds.getRepository(e as never).count();
    return out;
  } finally {
    await ds.destroy();
  }
}

/** What Keystone shows, captured before it stops; the same commands run against Lintel afterwards. */
interface World {
  ids: Record<string, string>;
  /** Row counts of Keystone's tables, for the import's expected counts. */
  rows: Record<string, number>;
  views: Array<{ args: string[]; keystone: unknown }>;
  ec2: { access: string; secret: string };
  appCredSecret: string;
  /** An OAuth1 consumer's key and secret, the access token Keystone gave it, and the roles it delegates (names). */
  oauth: { consumer: { id: string; secret: string }; access_token: { id: string; secret: string }; roles: string[] };
}

/** Fills Keystone through the openstack CLI and captures what the comparison commands show. */
async function fillKeystone(ks: KeystoneServer): Promise<World> {
  const env = openstackEnv(`${ks.url}/v3`, { password: KEYSTONE_ADMIN_PASSWORD });
  const policyFile = join(ks.state, 'policy.json');
  writeFileSync(policyFile, JSON.stringify({ 'compute:start': 'role:member' }));
  const j = ['-f', 'json'];
  let began = Date.now();
  const lap = (what: string) => {
    console.log(`#   ${what}: ${((Date.now() - began) / 1000).toFixed(1)} s`);
    began = Date.now();
  };
  const first = await openstackBatch([
    ['domain', 'create', '--description', 'Engineering', 'eng', ...j],
    ['domain', 'create', '--disable', 'old-dept', ...j],
    ['project', 'create', '--domain', 'eng', '--description', 'Web-tier', '--tag', 'web', '--tag', 'tier1', 'web', ...j],
    ['project', 'create', '--domain', 'eng', '--parent', 'web', 'web-staging', ...j],
    ['project', 'create', '--domain', 'eng', '--parent', 'web-staging', '--disable', 'web-old', ...j],
    ['project', 'create', '--domain', 'default', '--property', 'color=blue', 'extras', ...j],
    ['project', 'create', '--domain', 'default', '--immutable', 'frozen', ...j],
    ['user', 'create', '--domain', 'eng', '--password', PW.alice1, '--email', 'alice@example.com', '--description', 'Alice', '--project', 'web', '--project-domain', 'eng', 'alice', ...j],
    ['user', 'create', '--domain', 'eng', '--password', PW.bob, '--ignore-password-expiry', '--ignore-lockout-failure-attempts', 'bob', ...j],
    ['user', 'create', '--domain', 'default', '--password', PW.carol, '--disable', 'carol', ...j],
    ...(['dave', 'erin', 'frank', 'grace'] as const).map((u) => ['user', 'create', '--domain', 'eng', '--password', PW[u], u, ...j]),
    ['user', 'create', '--domain', 'eng', '--password', PW.henry, '--enable-multi-factor-auth', '--multi-factor-auth-rule', 'password,totp', 'henry', ...j],
    ['group', 'create', '--domain', 'eng', '--description', 'Developers', 'devs', ...j],
    ['group', 'create', '--domain', 'default', 'ops', ...j],
    ['group', 'add', 'user', '--group-domain', 'eng', '--user-domain', 'eng', 'devs', 'alice', 'bob'],
    ['group', 'add', 'user', 'ops', 'carol'],
    ['role', 'create', '--description', 'Observes', 'observer', ...j],
    ['role', 'create', '--domain', 'eng', 'eng-role', ...j],
    ['implied', 'role', 'create', '--implied-role', 'reader', 'observer', ...j],
    ['role', 'add', '--user', 'alice', '--user-domain', 'eng', '--project', 'web', '--project-domain', 'eng', 'member'],
    ['role', 'add', '--user', 'bob', '--user-domain', 'eng', '--project', 'web', '--project-domain', 'eng', '--inherited', 'observer'],
    ['role', 'add', '--user', 'bob', '--user-domain', 'eng', '--domain', 'eng', '--role-domain', 'eng', 'eng-role'],
    ['role', 'add', '--group', 'devs', '--group-domain', 'eng', '--domain', 'eng', 'reader'],
    ['role', 'add', '--group', 'devs', '--group-domain', 'eng', '--domain', 'eng', '--inherited', 'member'],
    ['role', 'add', '--user', 'alice', '--user-domain', 'eng', '--system', 'all', 'reader'],
    ['role', 'add', '--group', 'ops', '--system', 'all', 'observer'],
    ['role', 'add', '--user', 'carol', '--project', 'extras', 'member'],
    ['region', 'create', '--description', 'Second', 'RegionTwo', ...j],
    ['region', 'create', '--parent-region', 'RegionTwo', 'RegionTwoA', ...j],
    ['service', 'create', '--name', 'nova', '--description', 'Compute', 'compute', ...j],
    ['service', 'create', '--name', 'glance', 'image', ...j],
    ['endpoint', 'create', '--region', 'RegionOne', 'nova', 'public', 'http://compute.example.com:8774/v2.1/%(tenant_id)s', ...j],
    ['endpoint', 'create', '--region', 'RegionTwo', 'nova', 'internal', 'http://compute.internal:8774/v2.1', ...j],
    ['endpoint', 'create', '--region', 'RegionTwoA', '--disable', 'glance', 'public', 'http://image.example.com:9292', ...j],
    ['policy', 'create', '--type', 'application/json', policyFile, ...j],
    ['ec2', 'credentials', 'create', '--user', 'alice', '--user-domain', 'eng', '--project', 'web', '--project-domain', 'eng', ...j],
    // Rows of kinds Lintel has not got yet: the import reports them.
    ['trust', 'create', '--project', 'admin', '--role', 'admin', '--trustee-domain', 'eng', 'admin', 'alice', ...j],
    ['application', 'credential', 'create', '--description', 'demo', 'demo-app', ...j],
  ], env);
  lap('the openstack CLI created domains, projects, users, groups, roles, grants, the catalog and credentials');
  const byName = (name: string) => (first as Array<{ name?: string; id: string }>).find((x) => x.name === name)!.id;
  const ids: Record<string, string> = {};
  for (const n of ['eng', 'old-dept', 'web', 'web-staging', 'web-old', 'extras', 'frozen', 'alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'henry', 'devs', 'ops', 'observer', 'eng-role', 'nova']) ids[n] = byName(n);
  const endpoints = first.filter((x: any) => x.interface && x.url);
  ids.computePublic = endpoints.find((e: any) => e.url.startsWith('http://compute.example.com')).id;
  const ec2 = first.find((x: any) => x.access && x.secret) as { access: string; secret: string };
  const trust = first.find((x: any) => x.trustor_user_id) as { id: string };
  const appCred = first.find((x: any) => x.name === 'demo-app') as { id: string; secret: string };
  ids.trust = trust.id;
  ids.appCred = appCred.id;

  const filtersFile = join(ks.state, 'filters.json');
  writeFileSync(filtersFile, JSON.stringify({ service_id: ids.nova }));
  const rulesFile = join(ks.state, 'access-rules.json');
  writeFileSync(rulesFile, JSON.stringify([{ service: 'identity', method: 'GET', path: '/v3/users' }]));
  const second = await openstackBatch([
    ['user', 'set', '--password', PW.alice, ids.alice!],
    ['endpoint', 'group', 'create', '--description', 'compute-only', 'compute-eps', filtersFile, ...j],
    ['endpoint', 'add', 'project', ids.computePublic!, ids.web!],
    ['endpoint', 'group', 'add', 'project', 'compute-eps', ids.web!],
    ['credential', 'create', '--type', 'totp', ids.bob!, TOTP_SECRET, ...j],
    ['credential', 'create', '--type', 'totp', ids.henry!, HENRY_TOTP, ...j],
    ['credential', 'create', '--type', 'cert', '--project', ids.web!, ids.alice!, 'cert-data-1', ...j],
    ['application', 'credential', 'create', '--role', 'reader', '--access-rules', rulesFile, '--unrestricted', 'ruled-app', ...j],
  ], env);
  ids.ruledAppCred = second.find((x: any) => x.name === 'ruled-app').id;

  lap('the openstack CLI changed a password, added endpoint groups, associations and credentials');
  // Passwords in the other formats, written into Keystone's own rows.
  const hashes: Record<string, string> = await ks.python(HASHER, JSON.stringify(Object.entries(FORMATS).map(([user, f]) => ({ user, algorithm: f.algorithm, password: PW[user as keyof typeof PW] }))))
    .then((out) => JSON.parse(out));
  for (const [user, hash] of Object.entries(hashes)) {
    assert.ok(hash.startsWith(FORMATS[user]!.prefix), `${user}: ${hash.slice(0, 16)}`);
    await ks.sql('UPDATE password SET password_hash = ? WHERE local_user_id = (SELECT id FROM local_user WHERE user_id = ?)', [hash, ids[user]]);
  }
  // Keystone itself accepts them (all but bcrypt_sha256, which only newer Keystones read).
  for (const user of ['alice', 'bob', 'dave', 'erin', 'grace'] as const) {
    const r = await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: ids[user] }, PW[user]) });
    assert.equal(r.status, 201, `Keystone login of ${user}: ${r.status}`);
  }

  const views: World['views'] = [
    ['domain', 'list'], ['domain', 'show', ids.eng!], ['domain', 'show', ids['old-dept']!],
    ['project', 'list', '--long'], ['project', 'show', ids.web!], ['project', 'show', ids['web-old']!], ['project', 'show', ids.extras!], ['project', 'show', ids.frozen!],
    ['project', 'list', '--domain', ids.eng!, '--tags', 'web'],
    ['user', 'list', '--long'], ['user', 'show', ids.alice!], ['user', 'show', ids.bob!], ['user', 'show', ids.carol!], ['user', 'show', ids.henry!],
    ['group', 'list', '--long'], ['user', 'list', '--group', ids.devs!],
    ['role', 'list'], ['role', 'list', '--domain', ids.eng!], ['role', 'show', ids.observer!], ['implied', 'role', 'list'],
    ['role', 'assignment', 'list'], ['role', 'assignment', 'list', '--names'], ['role', 'assignment', 'list', '--effective', '--user', ids.bob!],
    ['region', 'list'], ['service', 'list', '--long'], ['endpoint', 'list'], ['endpoint', 'show', ids.computePublic!],
    ['endpoint', 'group', 'list'], ['endpoint', 'list', '--project', ids.web!],
    ['policy', 'list'], ['credential', 'list'], ['ec2', 'credentials', 'list', '--user', ids.alice!],
    ['catalog', 'list'],
    ['trust', 'list'], ['trust', 'show', ids.trust!],
    ['application', 'credential', 'list'], ['application', 'credential', 'show', ids.appCred!], ['application', 'credential', 'show', ids.ruledAppCred!],
    ['access', 'rule', 'list'],
  ].map((args) => ({ args, keystone: undefined }));
  lap('passwords rehashed in the other formats and checked against Keystone');
  // An OAuth1 consumer that holds an access token of the admin's on project admin, made by
  // python-keystoneclient through Keystone's own OS-OAUTH1 flow.
  const [adminProject] = await ks.sql("SELECT id FROM project WHERE name = 'admin' AND domain_id = 'default'");
  const [adminRole] = await ks.sql("SELECT id FROM role WHERE name = 'admin' AND domain_id = '<<null>>'");
  const oauth = await runKeystoneclientOAuth1({
    auth_url: `${ks.url}/v3`, user: 'admin', password: KEYSTONE_ADMIN_PASSWORD, login_project_id: adminProject!.id, project_id: adminProject!.id, roles: [adminRole!.id],
  });
  assert.deepEqual(oauth.token.methods, ['oauth1']);
  ids.consumer = oauth.consumer.id;
  views.push({ args: ['consumer', 'list'], keystone: undefined }, { args: ['consumer', 'show', ids.consumer!], keystone: undefined });
  lap('python-keystoneclient made an OAuth1 consumer and an access token');
  const shown = await openstackBatch(views.map((v) => [...v.args, ...j]), env);
  views.forEach((v, i) => (v.keystone = shown[i]));
  lap(`the openstack CLI showed Keystone's ${views.length} views`);

  const rows: Record<string, number> = {};
  for (const table of ['project', 'user', 'password', 'user_option', 'project_option', 'group', 'user_group_membership', 'role', 'implied_role', 'assignment',
    'system_assignment', 'region', 'service', 'endpoint', 'endpoint_group', 'project_endpoint', 'project_endpoint_group', 'policy', 'credential',
    'trust', 'application_credential', 'access_rule', 'revocation_event', 'project_tag', 'consumer', 'access_token']) {
    rows[table] = Number((await ks.sql(`SELECT COUNT(*) AS n FROM ${ks.backend === 'sqlite' ? `"${table}"` : `\`${table}\``}`))[0]!.n);
  }
  return { ids, rows, views, ec2, appCredSecret: appCred.secret, oauth: { consumer: oauth.consumer, access_token: oauth.access_token, roles: oauth.token.roles } };
}

/** Lintel's bootstrap adds its own roles, their implications and the multicloud service: not Keystone's. */
function withoutLintelBootstrap(args: string[], rows: any[]): any[] {
  const cmd = args.slice(0, 3).join(' ');
  if (cmd.startsWith('role list') && args.length === 2) return rows.filter((r) => r.Name !== 'manager' && r.Name !== 'service');
  if (cmd.startsWith('implied role list')) return rows.filter((r) => r['Prior Role Name'] !== 'manager' && r['Implied Role Name'] !== 'manager');
  if (cmd.startsWith('service list')) return rows.filter((r) => r.Type !== 'multicloud');
  if (cmd === 'endpoint list' && args.length === 2) return rows.filter((r) => r['Service Type'] !== 'multicloud');
  if (cmd.startsWith('catalog list')) return rows.filter((r) => r.Type !== 'multicloud');
  return rows;
}

for (const backend of BACKENDS) {
  describe(`manage import keystone: from Keystone 22 on ${backend}`, { skip }, () => {
    let ks: KeystoneServer;
    let world: World;

    before(async () => {
      const began = Date.now();
      ks = await startKeystone(backend, { mysqlRootUrl: MYSQL });
      console.log(`# Keystone on ${backend} set up in ${((Date.now() - began) / 1000).toFixed(1)} s`);
      world = await fillKeystone(ks).catch((e: Error) => {
        throw new Error(`${e.message}\nKeystone's log:\n${ks.errors()}`);
      });
      // The cut-over: Keystone stops, Lintel takes its port.
      await ks.stop();
      console.log(`# Keystone on ${backend} filled in ${((Date.now() - began) / 1000).toFixed(1)} s`);
    });

    after(async () => {
      await ks?.destroy();
    });

    for (const kind of databaseKinds()) describeTarget(kind, () => ({ ks, world }));

    if (backend === 'sqlite') {
      describeRefusals(() => ({ ks }));
      describeDomainConfigs(() => ({ ks }));
    }
  });
}

function describeTarget(kind: DatabaseKind, get: () => { ks: KeystoneServer; world: World }) {
  describe(`into Lintel on ${kind.kind}`, () => {
    let db: TestDatabase;
    let h: Harness | undefined;
    let first: ImportRun;
    let env: NodeJS.ProcessEnv;
    const from = () => ['import', 'keystone', '--from', get().ks.connection, '--credential-keys', get().ks.credentialKeys];

    before(async () => {
      db = await kind.create();
      for (const args of [['db', 'migrate'], ['credential-keys', 'setup']]) assert.equal((await manage(db, args)).code, 0, args.join(' '));
    });

    after(async () => {
      await h?.close();
      await db?.drop();
    });

    it('a dry run reports what it would create and writes nothing', async () => {
      const dry = await manage(db, [...from(), '--dry-run']);
      assert.equal(dry.code, 3, dry.output.slice(-2000));
      assert.equal(dry.summary.dry_run, true);
      assert.equal(dry.summary.committed, false);
      assert.ok(dry.tables.get('users').created >= 8, JSON.stringify(dry.tables.get('users')));
      assert.deepEqual(await lintelCounts(db), { domains: 0, projects: 0, users: 0, passwords: 0, assignments: 0, credentials: 0 });
    });

    it('imports every row, and reports what Lintel has not got, with the reason', async () => {
      const { world } = get();
      const began = Date.now();
      first = await manage(db, from());
      assert.equal(first.code, 3, first.output.slice(-3000));
      console.log(`# import into ${kind.kind}: ${JSON.stringify(first.summary)} (${((Date.now() - began) / 1000).toFixed(1)} s with the process start)`);
      for (const t of first.tables.values()) console.log(`#   ${t.table}: ${t.created} created, ${t.updated} updated, ${t.skipped} skipped, ${t.refused} refused`);
      const table = (name: string) => first.tables.get(name);
      const created = (name: string, n: number, refused = 0) => {
        assert.deepEqual([table(name)?.created, table(name)?.updated, table(name)?.refused], [n, 0, refused], `${name}: ${JSON.stringify(table(name))}`);
      };
      const r = world.rows;
      created('domains', 3);
      created('projects', r.project! - 4); // less the domains and Keystone's root
      created('project tags', r.project_tag!);
      created('project options', 0, r.project_option!);
      created('roles', r.role!);
      created('implied roles', r.implied_role!);
      created('users', r.user!);
      created('user options', r.user_option!);
      created('passwords', r.password!);
      created('groups', r.group!);
      created('group memberships', r.user_group_membership!);
      created('role assignments', r.assignment! + r.system_assignment!);
      created('regions', r.region!);
      created('services', r.service!);
      created('endpoints', r.endpoint!);
      created('endpoint groups', r.endpoint_group!);
      created('project endpoints', r.project_endpoint!);
      created('project endpoint groups', r.project_endpoint_group!);
      created('policies', r.policy!);
      created('credentials', r.credential!);
      created('trusts', r.trust!);
      created('access rules', r.access_rule!);
      created('application credentials', r.application_credential!);
      created('OAuth1 consumers', r.consumer!);
      created('OAuth1 access tokens', r.access_token!);
      const reasons = [...first.tables.values()].flatMap((t) => t.reasons.map((x: any) => `${t.table}: ${x.reason}`));
      assert.ok(reasons.some((x) => x.startsWith('project options: not imported yet')), reasons.join('\n'));
      assert.equal(first.summary.refused, r.project_option!);
    });

    it('Lintel, on Keystone\'s port, shows what Keystone showed, field by field', async () => {
      const { ks, world } = get();
      h = await startIdentity(db, { LINTEL_ADMIN_PASSWORD: '', LINTEL_IDENTITY_PORT: String(ks.port) });
      assert.equal(h.url, ks.url);
      env = openstackEnv(`${ks.url}/v3`, { password: KEYSTONE_ADMIN_PASSWORD });
      const shown = await openstackBatch(world.views.map((v) => [...v.args, '-f', 'json']), env);
      world.views.forEach((v, i) => {
        const label = v.args.join(' ').replace(/[0-9a-f]{32}/g, '<id>');
        let keystone = v.keystone as any;
        let lintel = shown[i] as any;
        if (Array.isArray(keystone)) {
          lintel = withoutLintelBootstrap(v.args, lintel);
          assert.deepEqual(sorted(lintel), sorted(keystone), label);
        } else if (v.args[2] === world.ids.frozen) {
          // Lintel has no project options yet: the immutable flag is the one difference.
          assert.deepEqual(keystone.options, { immutable: true });
          assert.deepEqual(masked({ ...lintel, options: undefined }), masked({ ...keystone, options: undefined }), label);
          assert.deepEqual(lintel.options, {});
        } else {
          assert.deepEqual(masked(lintel), masked(keystone), label);
        }
      });
    });

    it('users log in with the passwords they had, whatever format Keystone hashed them in', async () => {
      const { ks, world } = get();
      for (const user of ['alice', 'bob', 'dave', 'erin', 'frank', 'grace'] as const) {
        const r = await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: world.ids[user] }, PW[user]) });
        assert.equal(r.status, 201, `${user} (${FORMATS[user]?.algorithm ?? 'bcrypt'}): ${r.status}`);
        const wrong = await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: world.ids[user] }, `${PW[user]}x`) });
        assert.equal(wrong.status, 401, `${user} with a wrong password`);
      }
      // By name in their domain, scoped to the default project Keystone had for alice.
      const alice = await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'alice', domain: { name: 'eng' } }, PW.alice, { project: { id: world.ids.web } }) });
      assert.equal(alice.status, 201);
      assert.deepEqual(alice.body.token.roles.map((x: any) => x.name).sort(), ['member', 'reader']);
      // The old password is history, carol stays disabled.
      assert.equal((await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: world.ids.alice }, PW.alice1) })).status, 401);
      assert.equal((await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: world.ids.carol }, PW.carol) })).status, 401);
      // henry's multi-factor rule came along: his password alone earns a receipt, not a token;
      // with the passcode of the TOTP credential Keystone had, he is in.
      const half = await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: world.ids.henry }, PW.henry) });
      assert.equal(half.status, 401);
      assert.ok(half.headers.get('openstack-auth-receipt'), 'a receipt');
      assert.deepEqual(half.body.required_auth_methods, [['password', 'totp']]);
      await awayFromTotpStepEdge();
      const both = await call(ks.url, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['password', 'totp'], password: { user: { id: world.ids.henry, password: PW.henry } }, totp: { user: { id: world.ids.henry, passcode: passcode(HENRY_TOTP) } } } } },
      });
      assert.equal(both.status, 201, both.text.slice(0, 300));
      assert.deepEqual(both.body.token.methods.sort(), ['password', 'totp']);
    });

    it('an OAuth1 consumer goes on signing with the access token Keystone gave it', async () => {
      const { ks, world } = get();
      const out = await runKeystoneclientOAuth1({ auth_url: `${ks.url}/v3`, consumer: world.oauth.consumer, access_token: world.oauth.access_token });
      assert.deepEqual(out.token.methods, ['oauth1']);
      assert.equal(out.project_name, 'admin');
      // Lintel's bootstrap has admin imply manager as well (withoutLintelBootstrap): the one difference.
      assert.deepEqual(out.token.roles.filter((r: string) => r !== 'manager'), world.oauth.roles);
      assert.deepEqual(out.token.oauth, { access_token_id: world.oauth.access_token.id, consumer_id: world.oauth.consumer.id });
      await assert.rejects(
        runKeystoneclientOAuth1({ auth_url: `${ks.url}/v3`, consumer: world.oauth.consumer, access_token: { ...world.oauth.access_token, secret: 'not-the-secret' } }),
        /exit status 1/,
      );
    });

    it('an application credential and a trust made in Keystone still authenticate', async () => {
      const { ks, world } = get();
      const app = await call(ks.url, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: world.ids.appCred, secret: world.appCredSecret } } } },
      });
      assert.equal(app.status, 201, app.text.slice(0, 300));
      assert.equal(app.body.token.application_credential.id, world.ids.appCred);
      assert.equal(app.body.token.project.name, 'admin');
      const wrong = await call(ks.url, 'POST', '/v3/auth/tokens', {
        body: { auth: { identity: { methods: ['application_credential'], application_credential: { id: world.ids.appCred, secret: `${world.appCredSecret}x`.slice(1) } } } },
      });
      assert.equal(wrong.status, 401);
      const trusted = await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ id: world.ids.alice }, PW.alice, { 'OS-TRUST:trust': { id: world.ids.trust } }) });
      assert.equal(trusted.status, 201, trusted.text.slice(0, 300));
      assert.equal(trusted.body.token['OS-TRUST:trust'].id, world.ids.trust);
      assert.ok(trusted.body.token.roles.some((x: any) => x.name === 'admin'));
    });

    it('an EC2 credential made in Keystone signs requests (keystoneclient\'s Ec2Signer) that ec2tokens accepts', async () => {
      const { ks, world } = get();
      const signed = await python(SIGNER, world.ec2);
      // As an EC2 API service asks: with a token of its own (admin here), which Keystone requires too.
      const token = (await call(ks.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, KEYSTONE_ADMIN_PASSWORD, { project: { name: 'admin', domain: { id: 'default' } } }) })).headers.get('x-subject-token')!;
      for (const credentials of signed) {
        const r = await call(ks.url, 'POST', '/v3/ec2tokens', { token, body: { credentials } });
        assert.equal(r.status, 200, `${credentials.headers ? 'SigV4' : 'SignatureVersion 2'}: ${r.status} ${r.text.slice(0, 300)}`);
        assert.equal(r.body.token.user.id, world.ids.alice);
        assert.equal(r.body.token.project.id, world.ids.web);
        const bad = await call(ks.url, 'POST', '/v3/ec2tokens', { token, body: { credentials: { ...credentials, signature: `${credentials.signature.slice(0, -2)}AA` } } });
        assert.equal(bad.status, 401);
      }
    });

    it('a re-run changes nothing; one after a change in Lintel puts Keystone\'s value back', async () => {
      const { world } = get();
      const before = await lintelCounts(db);
      // This time from Keystone's keystone.conf: its database and credential keys are read there.
      const again = await manage(db, ['import', 'keystone', '--from', get().ks.conf]);
      assert.equal(again.code, 3);
      assert.equal(again.summary.created, 0, JSON.stringify(again.summary));
      assert.equal(again.summary.updated, 0, JSON.stringify(again.summary));
      assert.equal(again.summary.refused, first.summary.refused);
      assert.deepEqual(await lintelCounts(db), before);

      const token = (await call(h!.url, 'POST', '/v3/auth/tokens', { body: passwordAuth({ name: 'admin' }, KEYSTONE_ADMIN_PASSWORD, { project: { name: 'admin', domain: { id: 'default' } } }) })).headers.get('x-subject-token')!;
      const patched = await call(h!.url, 'PATCH', `/v3/projects/${world.ids.web}`, { token, body: { project: { description: 'changed in Lintel' } } });
      assert.equal(patched.status, 200);
      const third = await manage(db, from());
      assert.deepEqual([third.tables.get('projects').updated, third.summary.created, third.summary.updated], [1, 0, 1]);
      const web = await call(h!.url, 'GET', `/v3/projects/${world.ids.web}`, { token });
      assert.equal(web.body.project.description, 'Web-tier');
    });
  });
}

/** A consistent copy of the Keystone SQLite database under `state`, changed by `sql`. */
async function copyKeystoneDb(ks: KeystoneServer, name: string, sql: string): Promise<string> {
  const path = join(ks.state, `${name}.db`);
  const src = new Database(join(ks.state, 'keystone.db'), { readonly: true });
  await src.backup(path);
  src.close();
  const c = new Database(path);
  c.exec(sql);
  c.close();
  return `sqlite:///${path}`;
}

/**
 * Domain configurations, as Keystone's `/v3/domains/{id}/config` stores them (JSON text, the
 * sensitive `ldap.password` in a table of its own), written into a copy of the database: the
 * Keystone under test runs without domain-specific drivers, as most do.
 */
function describeDomainConfigs(get: () => { ks: KeystoneServer }) {
  describe('domain configurations', () => {
    let db: TestDatabase;
    before(async () => {
      db = await databaseKinds()[0]!.create();
      for (const args of [['db', 'migrate'], ['credential-keys', 'setup']]) assert.equal((await manage(db, args)).code, 0);
    });
    after(async () => {
      await db?.drop();
    });

    it('come over with the sensitive ones sealed by Lintel\'s credential keys', async () => {
      const eng = "(SELECT id FROM project WHERE name = 'eng' AND is_domain = 1)";
      const url = await copyKeystoneDb(get().ks, 'configs', `
        INSERT INTO whitelisted_config SELECT ${eng}, 'identity', 'driver', '"ldap"';
        INSERT INTO whitelisted_config SELECT ${eng}, 'ldap', 'url', '"ldap://ldap.example.com"';
        INSERT INTO sensitive_config SELECT ${eng}, 'ldap', 'password', '"test-ldap-pw"';`);
      const r = await manage(db, ['import', 'keystone', '--from', url, '--credential-keys', get().ks.credentialKeys]);
      assert.equal(r.code, 3, r.output.slice(-2000));
      assert.deepEqual([r.tables.get('domain configs').created, r.tables.get('domain configs').refused], [3, 0]);
      const { config, ds } = await connectDatabase(db);
      try {
        const rows = await ds.getRepository(DomainConfigEntity).find({ order: { group: 'ASC', option: 'ASC' } });
        assert.deepEqual(rows.map((x) => [x.group, x.option, x.sensitive]), [['identity', 'driver', false], ['ldap', 'password', true], ['ldap', 'url', false]]);
        assert.equal(rows[2]!.value, '"ldap://ldap.example.com"');
        const sealed = rows[1]!;
        assert.ok(!sealed.value.includes('test-ldap-pw') && sealed.keyHash);
        const cipher = new CredentialCipher(config);
        cipher.reload();
        assert.equal(cipher.open({ ciphertext: sealed.value, keyHash: sealed.keyHash! }), '"test-ldap-pw"');
      } finally {
        await ds.destroy();
      }
      const again = await manage(db, ['import', 'keystone', '--from', url, '--credential-keys', get().ks.credentialKeys]);
      assert.deepEqual([again.tables.get('domain configs').skipped, again.summary.created, again.summary.updated], [3, 0, 0]);
    });
  });
}

/** Schemas the importer must refuse, and a failure half-way: each leaves Lintel's database untouched. */
function describeRefusals(get: () => { ks: KeystoneServer }) {
  describe('refused imports write nothing', () => {
    let db: TestDatabase;

    before(async () => {
      db = await databaseKinds()[0]!.create();
      for (const args of [['db', 'migrate'], ['credential-keys', 'setup']]) assert.equal((await manage(db, args)).code, 0);
    });

    after(async () => {
      await db?.drop();
    });

    const copy = (name: string, sql: string) => copyKeystoneDb(get().ks, name, sql);

    const empty = { domains: 0, projects: 0, users: 0, passwords: 0, assignments: 0, credentials: 0 };

    it('an alembic revision it does not know is refused, naming it', async () => {
      const url = await copy('unknown', "UPDATE alembic_version SET version_num = 'ffff00001111' WHERE version_num = '29e87d24a316'");
      const r = await manage(db, ['import', 'keystone', '--from', url, '--credential-keys', get().ks.credentialKeys]);
      assert.equal(r.code, 1);
      assert.match(r.error.message, /alembic revision ffff00001111, which this importer does not know/);
      assert.deepEqual(await lintelCounts(db), empty);
    });

    it('a schema older than Keystone 21 (sqlalchemy-migrate) is refused, naming its version', async () => {
      const url = await copy('old', `DROP TABLE alembic_version;
        CREATE TABLE migrate_version (repository_id VARCHAR(250) PRIMARY KEY, repository_path TEXT, version INTEGER);
        INSERT INTO migrate_version VALUES ('keystone_expand', '', 72), ('keystone_data_migrate', '', 72), ('keystone_contract', '', 72);`);
      const r = await manage(db, ['import', 'keystone', '--from', url, '--credential-keys', get().ks.credentialKeys]);
      assert.equal(r.code, 1);
      assert.match(r.error.message, /sqlalchemy-migrate version keystone_expand 72, .*too old to import/);
      assert.deepEqual(await lintelCounts(db), empty);
    });

    it('credentials without Keystone\'s keys are refused before anything is read', async () => {
      const r = await manage(db, ['import', 'keystone', '--from', get().ks.connection]);
      assert.equal(r.code, 1);
      assert.match(r.error.message, /holds \d+ credentials.*--credential-keys/);
    });

    it('a failure half-way (a credential table it cannot read) rolls everything back', async () => {
      const url = await copy('broken', 'ALTER TABLE credential RENAME COLUMN encrypted_blob TO sealed_blob');
      const r = await manage(db, ['import', 'keystone', '--from', url, '--credential-keys', get().ks.credentialKeys]);
      assert.equal(r.code, 1, r.output.slice(-2000));
      assert.match(r.error.message, /rolled back/);
      // The steps before credentials had run (users were read and written) ...
      assert.ok(r.tables.get('users')?.created > 0);
      // ... and none of it is there.
      assert.deepEqual(await lintelCounts(db), empty);
    });
  });
}
