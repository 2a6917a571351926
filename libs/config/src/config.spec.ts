import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ConfigError, loadConfig, redactConfig } from './config.js';

test('defaults match the documented contract', () => {
  const c = loadConfig({});
  assert.equal(c.database.kind, 'sqlite');
  assert.ok(c.database.url.endsWith('/data/lintel.sqlite'));
  assert.equal(c.identityPort, 5000);
  assert.equal(c.multicloudPort, 8089);
  assert.equal(c.bind, '127.0.0.1');
  assert.equal(c.token.expiration, 3600);
  assert.equal(c.lockout.failureAttempts, undefined);
  assert.equal(c.totp.includedPreviousWindows, 1);
  assert.equal(c.receipt.expiration, 300);
  assert.equal(c.password.bcryptRounds, 12);
  assert.ok(c.password.hashThreads >= 1);
  assert.equal(c.multicloudPublicUrl, 'http://127.0.0.1:8089');
  assert.deepEqual(c.oauth1, { requestTokenDuration: 28800, accessTokenDuration: 86400 }, "Keystone's [oauth1] defaults");
});

test('OAuth1 durations: 0 means no expiry; negative values are refused', () => {
  assert.deepEqual(loadConfig({ LINTEL_OAUTH1_REQUEST_TOKEN_DURATION: '0', LINTEL_OAUTH1_ACCESS_TOKEN_DURATION: '60' }).oauth1, { requestTokenDuration: 0, accessTokenDuration: 60 });
  assert.throws(() => loadConfig({ LINTEL_OAUTH1_ACCESS_TOKEN_DURATION: '-1' }), /LINTEL_OAUTH1_ACCESS_TOKEN_DURATION/);
});

test('mysql and mariadb URLs select the MySQL driver', () => {
  assert.equal(loadConfig({ LINTEL_DATABASE_URL: 'mysql://u:p@db:3306/lintel' }).database.kind, 'mysql');
  assert.equal(loadConfig({ LINTEL_DATABASE_URL: 'mariadb://u:p@db/lintel' }).database.url, 'mysql://u:p@db/lintel');
});

test('LINTEL_DB_WSREP_SYNC_WAIT: unset leaves the Galera default to the driver, 0-15 is taken as given', () => {
  assert.equal(loadConfig({ LINTEL_DATABASE_URL: 'mysql://u:p@db/lintel' }).database.wsrepSyncWait, undefined);
  assert.equal(loadConfig({ LINTEL_DATABASE_URL: 'mysql://u:p@db/lintel', LINTEL_DB_WSREP_SYNC_WAIT: '0' }).database.wsrepSyncWait, 0);
  assert.equal(loadConfig({ LINTEL_DATABASE_URL: 'mysql://u:p@db/lintel', LINTEL_DB_WSREP_SYNC_WAIT: '3' }).database.wsrepSyncWait, 3);
  assert.throws(() => loadConfig({ LINTEL_DB_WSREP_SYNC_WAIT: '16' }), /LINTEL_DB_WSREP_SYNC_WAIT/);
});

test('every bad variable is named in one error', () => {
  assert.throws(
    () => loadConfig({ LINTEL_IDENTITY_PORT: 'abc', LINTEL_DATABASE_URL: 'postgres://x', LINTEL_LOG_LEVEL: 'loud', LINTEL_TOKEN_EXPIRATION: '5' }),
    (e: unknown) => {
      assert.ok(e instanceof ConfigError);
      for (const name of ['LINTEL_IDENTITY_PORT', 'LINTEL_DATABASE_URL', 'LINTEL_LOG_LEVEL', 'LINTEL_TOKEN_EXPIRATION']) {
        assert.ok(e.message.includes(name), `${name} missing from: ${e.message}`);
      }
      return true;
    },
  );
});

test('redaction hides the admin password and database credentials', () => {
  const c = loadConfig({ LINTEL_ADMIN_PASSWORD: 'very-secret-pw', LINTEL_DATABASE_URL: 'mysql://lintel:dbsecret@db:3306/x' });
  const text = JSON.stringify(redactConfig(c));
  assert.ok(!text.includes('very-secret-pw'));
  assert.ok(!text.includes('dbsecret'));
  assert.ok(text.includes('mysql://lintel:***@db:3306/x'));
});

test('list limits: 1000 by default, LINTEL_LIST_LIMIT for all sections, LINTEL_LIST_LIMITS per section, 0 for none', () => {
  assert.deepEqual(loadConfig({}).listLimits, { identity: 1000, resource: 1000, assignment: 1000, role: 1000, credential: 1000 });
  assert.deepEqual(loadConfig({ LINTEL_LIST_LIMIT: '0' }).listLimits.identity, undefined);
  const c = loadConfig({ LINTEL_LIST_LIMIT: '200', LINTEL_LIST_LIMITS: 'identity=5000, assignment=0' });
  assert.deepEqual(c.listLimits, { identity: 5000, resource: 200, assignment: undefined, role: 200, credential: 200 });
  for (const bad of ['users=5', 'identity', 'identity=x', 'identity=5;role=2']) {
    assert.throws(() => loadConfig({ LINTEL_LIST_LIMITS: bad }), /LINTEL_LIST_LIMITS/);
  }
  assert.throws(() => loadConfig({ LINTEL_LIST_LIMIT: '-1' }), /LINTEL_LIST_LIMIT/);
});
