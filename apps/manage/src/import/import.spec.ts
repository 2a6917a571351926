import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { instant, micros, sameJson, Tally } from './context.js';
import { fernetDecrypt, KeystoneCredentialKeys } from './keystone-fernet.js';
import { checkKeystoneSchema } from './schema.js';
import { maskUrl, parseSourceUrl, readKeystoneConf, resolveSource, type SourceDb } from './source.js';

test('Keystone connection URLs: SQLite paths as SQLAlchemy reads them, MySQL with any driver', () => {
  assert.deepEqual(parseSourceUrl('sqlite:////var/lib/keystone/keystone.db'), { kind: 'sqlite', path: '/var/lib/keystone/keystone.db' });
  assert.equal((parseSourceUrl('sqlite:///keystone.db') as { path: string }).path, join(process.cwd(), 'keystone.db'));
  for (const url of ['mysql+pymysql://keystone:p%40ss@db.example.com:3307/keystone?charset=utf8', 'mysql://keystone:p%40ss@db.example.com:3307/keystone']) {
    const t = parseSourceUrl(url);
    assert.equal(t.kind, 'mysql');
    const o = (t as unknown as { options: Record<string, unknown> }).options;
    assert.deepEqual([o.host, o.port, o.user, o.password, o.database], ['db.example.com', 3307, 'keystone', 'p@ss', 'keystone']);
  }
  assert.equal((parseSourceUrl('mysql+pymysql://k@/keystone?unix_socket=/run/mysqld/mysqld.sock') as unknown as { options: Record<string, unknown> }).options.socketPath, '/run/mysqld/mysqld.sock');
  assert.throws(() => parseSourceUrl('postgresql://k@h/keystone'), /"postgresql" is not one of them/);
  assert.throws(() => parseSourceUrl('sqlite://'), /in-memory/);
  assert.throws(() => parseSourceUrl('mysql://k@h/'), /names no database/);
  assert.equal(maskUrl('mysql+pymysql://keystone:secret@db/keystone'), 'mysql+pymysql://keystone:***@db/keystone');
});

test('--from a keystone.conf: its [database] connection and [credential] key repository', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-import-conf-'));
  try {
    const conf = join(dir, 'keystone.conf');
    writeFileSync(conf, '[DEFAULT]\n# connection = no\ndebug = false\n\n[database]\nconnection = mysql+pymysql://keystone:pw@db/keystone\n[credential]\nkey_repository = /srv/keys/\n');
    assert.deepEqual(readKeystoneConf(conf), { connection: 'mysql+pymysql://keystone:pw@db/keystone', credentialKeys: '/srv/keys/' });
    assert.deepEqual(resolveSource(conf, undefined), { url: 'mysql+pymysql://keystone:pw@db/keystone', credentialKeys: '/srv/keys/' });
    assert.deepEqual(resolveSource(conf, '/given'), { url: 'mysql+pymysql://keystone:pw@db/keystone', credentialKeys: '/given' });
    assert.deepEqual(resolveSource('sqlite:////x.db', undefined), { url: 'sqlite:////x.db', credentialKeys: undefined });
    writeFileSync(conf, '[database]\n');
    assert.throws(() => resolveSource(conf, undefined), /has no \[database\] connection/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Fernet tokens open as the specification says; a wrong key or a changed byte does not', () => {
  // The specification's own example (github.com/fernet/spec, generate.json).
  const specKey = Buffer.from('cw_0x689RpI-jtRR7oE8h_eQsKImvJapLeSbXpwF4e4=', 'base64url');
  const specToken = 'gAAAAAAdwJ6wAAECAwQFBgcICQoLDA0ODy021cpGVWKZ_eEwCGM4BLLF_5CV9dOPmrhuVUPgJobwOz7JcbmrR64jVmpU4IwqDA==';
  assert.equal(fernetDecrypt(specToken, specKey)?.toString(), 'hello');
  assert.equal(fernetDecrypt(specToken, Buffer.alloc(32)), null);
  const flipped = Buffer.from(specToken, 'base64url');
  flipped[30]! ^= 1;
  assert.equal(fernetDecrypt(flipped.toString('base64url'), specKey), null);
  assert.equal(fernetDecrypt('not a token', specKey), null);
});

test('Keystone\'s credential keys: the key the row names first, any other, then the null key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-import-keys-'));
  try {
    // Written by python3-cryptography's Fernet, as Keystone does: an ec2 blob (JSON of JSON text).
    writeFileSync(join(dir, '0'), Buffer.alloc(32, 7).toString('base64url') + '=');
    writeFileSync(join(dir, '1'), 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=');
    const keys = new KeystoneCredentialKeys(dir);
    assert.equal(keys.count, 2);
    const ec2 = 'gAAAAABrETFD2mD2qanNA3XXWtSW8BKN5D4Ky_YKvRPyXDhcBontz_WQmu1YODJAzLWKRWQC9OAFw-gs4xfylxK12JDhxEA84nuZ9VRpNVcXV27nEiPGEFPJtng9rNedLWnJNj8PSTNP';
    assert.equal(keys.decrypt(ec2, '86a1932a93c72239442f6cd6296f4eb28d8a1730'), '"{\\"access\\": \\"a1\\", \\"secret\\": \\"s1\\"}"');
    assert.equal(keys.decrypt(Buffer.from(ec2), 'another-hash'), '"{\\"access\\": \\"a1\\", \\"secret\\": \\"s1\\"}"');
    const nullKey = 'gAAAAABrETFDLVYMRbLSzzwGyFU7GR20UneZY8j69MxiwAm1Nz1Yofk4LZQSDFY2h3t1EhErvx3PbC8ovET2w_MXmK8z4witCw==';
    assert.equal(keys.decrypt(nullKey, 'c5bdc272b97a0d521ef878dc26fb73e4075544dc'), 'null-key blob');
    assert.equal(keys.decrypt(`${ec2.slice(0, -4)}AAAA`, null), null);
    writeFileSync(join(dir, '2'), 'too short');
    assert.throws(() => new KeystoneCredentialKeys(dir), /is not a Fernet key/);
    assert.throws(() => new KeystoneCredentialKeys(join(dir, 'none')), /is not a directory/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

/** A source with only the version tables (and the required ones, empty). */
function fakeSource(versions: { alembic?: string[]; migrate?: Array<[string, number]> }, tables = ['project', 'user', 'local_user', 'password', 'role', 'assignment', 'credential', 'service', 'endpoint', 'region']): SourceDb {
  const all = new Set(tables);
  if (versions.alembic) all.add('alembic_version');
  if (versions.migrate) all.add('migrate_version');
  return {
    kind: 'sqlite', shown: 'fake', q: (n) => `"${n}"`, tables: async () => all, columns: async () => new Set(), close: async () => undefined,
    stream: async function* () {},
    all: async (sql) => (sql.includes('alembic_version') ? (versions.alembic ?? []).map((v) => ({ version_num: v }))
      : (versions.migrate ?? []).map(([repository_id, version]) => ({ repository_id, version }))),
  };
}

test('schema versions: Keystone 22\'s alembic heads and later known ones are read; others are refused by name', async () => {
  assert.match(await checkKeystoneSchema(fakeSource({ alembic: ['29e87d24a316', 'e25ffa003242'] })), /Keystone 22 \(Zed\)/);
  assert.match(await checkKeystoneSchema(fakeSource({ alembic: ['742c857f1dfb', 'c88cdce8f248'] })), /2026\.1/);
  assert.match(await checkKeystoneSchema(fakeSource({ migrate: [['keystone_expand', 79], ['keystone_data_migrate', 79], ['keystone_contract', 79]] })), /sqlalchemy-migrate 79/);
  await assert.rejects(checkKeystoneSchema(fakeSource({ alembic: ['29e87d24a316', 'abcdef123456'] })), /alembic revision abcdef123456, which this importer does not know/);
  await assert.rejects(checkKeystoneSchema(fakeSource({ migrate: [['keystone_expand', 67], ['keystone_contract', 67]] })), /sqlalchemy-migrate version keystone_expand 67, keystone_contract 67: too old/);
  await assert.rejects(checkKeystoneSchema(fakeSource({ alembic: [] })), /empty alembic_version/);
  await assert.rejects(checkKeystoneSchema(fakeSource({})), /not a Keystone database/);
  await assert.rejects(checkKeystoneSchema(fakeSource({ alembic: ['29e87d24a316'] }, ['project'])), /tables user, local_user, .* are missing/);
});

test('Keystone\'s instants: DATETIME text and microsecond integers, to whole seconds', () => {
  assert.equal(instant('2026-12-03 08:03:47.019518')?.toISOString(), '2026-12-03T08:03:47.000Z');
  assert.equal(instant('2026-12-03')?.toISOString(), '2026-12-03T00:00:00.000Z');
  assert.equal(instant(null), null);
  assert.equal(micros(1796285027019518)?.toISOString(), new Date(1796285027000).toISOString());
  assert.equal(micros(0), null);
  assert.ok(sameJson({ a: 1, b: [1, { c: 2, d: 3 }] }, { b: [1, { d: 3, c: 2 }], a: 1 }));
});

test('a tally keeps a few ids per reason, each once', () => {
  const t = new Tally('users', 10);
  for (const id of ['a', 'b', 'a', 'c', 'd', 'e', 'f']) t.refuse(id, 'why');
  t.count('created', 3);
  assert.deepEqual([t.done, t.refused, t.created], [10, 7, 3]);
  assert.deepEqual(t.reasons.get('why'), { outcome: 'refused', count: 7, ids: ['a', 'b', 'c', 'd', 'e'] });
});
