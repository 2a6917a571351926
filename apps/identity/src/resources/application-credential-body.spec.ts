import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '@lintel/domain';
import { parseAppCredBody, parseExpiry } from './application-credential-body.js';

const NOW = BigInt(Date.UTC(2026, 0, 1)) * 1000n;
const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n;
const message = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof InvalidInputError);
    return e.message;
  }
  assert.fail('no error');
};

test('expiry: the forms the iso8601 library reads once Keystone appends Z, to the microsecond', () => {
  assert.equal(parseExpiry('2031-02-03T04:05:06', NOW), us('2031-02-03T04:05:06Z'));
  assert.equal(parseExpiry('2031-02-03T04:05:06.123456Z', NOW), us('2031-02-03T04:05:06.123Z') + 456n);
  assert.equal(parseExpiry('2031-02-03T04:05:06.1234567', NOW), us('2031-02-03T04:05:06.123Z') + 456n, 'extra digits dropped');
  assert.equal(parseExpiry('2031-02-03T04:05', NOW), us('2031-02-03T04:05:00Z'));
  assert.equal(parseExpiry('2031-02-03T04', NOW), us('2031-02-03T04:00:00Z'));
  assert.equal(parseExpiry('20310203T040506', NOW), us('2031-02-03T04:05:06Z'));
  assert.equal(parseExpiry('2031-02-03 04:05:06,5', NOW), us('2031-02-03T04:05:06.5Z'));
  assert.equal(parseExpiry('2031-2-3T04:05:06', NOW), us('2031-02-03T04:05:06Z'));
  assert.equal(parseExpiry('2032-02-29T00:00:00', NOW), us('2032-02-29T00:00:00Z'), 'a leap day');
});

test('expiry: what Keystone refuses, with its two messages', () => {
  const format = /^Timestamp not in expected format\./;
  for (const bad of ['2031-02-03', '2031', '2031-02-03T04:05:06+02:00', 'tomorrow', '2031-02-30T00:00:00', '2031-02-03T24:00:00',
    '2031-02-03T04:60:00', '2031-02-03T04:05:60', '2033-02-29T00:00:00', '2031-02-03T04:05:06zZ']) {
    assert.match(message(() => parseExpiry(bad, NOW)), format, bad);
  }
  assert.match(message(() => parseExpiry('2001-01-01T00:00:00', NOW)), /^The 'expires_at' must not be before now\. The server could not comply/);
});

test('body: schema order, then name required, then keys the store does not know', () => {
  assert.equal(message(() => parseAppCredBody({ application_credential: { description: 5 } })), "Invalid input for field 'description': 5 is not of type 'string', 'null'");
  assert.equal(message(() => parseAppCredBody({ application_credential: { foo: 1 } })), "'name' is a required property");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', foo: 1 } })), "'foo' is an invalid keyword argument for ApplicationCredentialModel");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', roles: [{ foo: 1 }] } })), "Invalid input for field 'roles/0': Additional properties are not allowed ('foo' was unexpected)");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', roles: ['member'] } })), "Invalid input for field 'roles/0': 'member' is not of type 'object'");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', roles: [{ id: 'x y' }] } })), "Invalid input for field 'roles/0/id': 'x y' does not match '^[a-zA-Z0-9-]+$'");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', access_rules: [{ path: '/a', b: 1, c: 2 }] } })),
    "Invalid input for field 'access_rules/0': Additional properties are not allowed ('b', 'c' were unexpected)");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', system: 5 } })), "Invalid input for field 'system': 5 is not of type 'null', 'string'");
  assert.equal(message(() => parseAppCredBody({ application_credential: { name: 'a', secret: 12345 } })), "Invalid input for field 'secret': a value of type number is not of type 'null', 'string'",
    'a secret is never echoed');
});

test('body: what a valid one gives; ids and owners in the body are the server\'s to set', () => {
  const b = parseAppCredBody({ application_credential: {
    name: 'n', id: 'ignored', user_id: 'ignored', project_id: 'ignored', secret: null, expires_at: null, description: null,
    roles: [{ name: 'member' }, { id: 'abc' }], unrestricted: true, access_rules: [{ service: 'compute', method: 'GET', path: '/s/*' }, { id: 'r1' }],
  } });
  assert.deepEqual(b, {
    name: 'n', description: null, secret: '', expiresAt: null, roles: [{ name: 'member' }, { id: 'abc' }], unrestricted: true,
    accessRules: [{ service: 'compute', path: '/s/*', method: 'GET' }, { id: 'r1' }], system: null,
  });
  assert.equal(parseAppCredBody({ application_credential: { name: 'n' } }).roles, undefined);
});
