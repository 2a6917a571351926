import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DomainError } from '@lintel/domain';
import { parseExpiry, parseTrust } from './trust-body.js';

const NOW = Date.UTC(2026, 0, 1);
const code = (f: () => unknown) => {
  try {
    f();
    return 'ok';
  } catch (e) {
    return e instanceof DomainError ? `${e.code}: ${e.message.split('.')[0]}` : String(e);
  }
};

test('expires_at: the forms Keystone\'s parser (iso8601 after a Z is appended) accepts, and only those', () => {
  const ok: Array<[string, string]> = [
    ['2034-01-01T00:00:00Z', '2034-01-01T00:00:00.000Z'],
    ['2034-01-01T00:00:00', '2034-01-01T00:00:00.000Z'],
    ['2034-01-01T00:00Z', '2034-01-01T00:00:00.000Z'],
    ['2034-01-01 00:00:00Z', '2034-01-01T00:00:00.000Z'],
    ['2034-1-1T00:00:00Z', '2034-01-01T00:00:00.000Z'],
    ['2034-01-01T00:00:00.5Z', '2034-01-01T00:00:00.500Z'],
    ['2034-01-01T00:00:00,5Z', '2034-01-01T00:00:00.500Z'],
    ['2034-01-01T00:00:00.1234567Z', '2034-01-01T00:00:00.123Z'],
    ['20340101T000000Z', '2034-01-01T00:00:00.000Z'],
    ['2034-01-01T00Z', '2034-01-01T00:00:00.000Z'],
    ['2034-01-01T0000Z', '2034-01-01T00:00:00.000Z'],
  ];
  for (const [text, iso] of ok) assert.equal(parseExpiry(text, NOW).toISOString(), iso, text);
  const bad = ['2034-01-01Z', '2034-01-01', '2034Z', '2034-01Z', '2034-01-01T24:00:00Z', '2034-02-30T00:00:00Z', '2034-01-01x00:00:00Z',
    '2034-01-01T00:00:60Z', '2034-01-01T00:00:00z', '2034-01-01T00:00:00+00:00', ' 2034-01-01T00:00:00Z', 'bad.123Z', ''];
  for (const text of bad) assert.equal(code(() => parseExpiry(text, NOW)), 'InvalidInput: Timestamp not in expected format', text);
  assert.equal(code(() => parseExpiry('2025-12-31T23:59:59Z', NOW)), "InvalidInput: The 'expires_at' must not be before now");
});

test('the trust schema: required, typed, roles by id or name; extras kept, assigned attributes ignored', () => {
  const base = { trustor_user_id: 'a', trustee_user_id: 'b', impersonation: false };
  const t = parseTrust({ ...base, roles: [{ id: 'r1' }, { name: 'member' }], note: 'x', id: 'mine', deleted_at: 'now', redelegated_trust_id: 'other' });
  assert.deepEqual(t.roles, [{ id: 'r1' }, { name: 'member' }]);
  assert.deepEqual(t.extra, { note: 'x' });
  assert.equal(t.redelegationCount, undefined);
  assert.equal(parseTrust({ ...base, redelegation_count: null }).redelegationCount, null);
  const message = (o: Record<string, unknown>) => {
    try {
      parseTrust(o);
      return 'ok';
    } catch (e) {
      return (e as Error).message;
    }
  };
  assert.equal(message({ trustee_user_id: 'b', impersonation: true }), "'trustor_user_id' is a required property");
  assert.equal(message({ ...base, trustor_user_id: 'x'.repeat(65) }), `Invalid input for field 'trustor_user_id': '${'x'.repeat(65)}' is too long`);
  assert.equal(message({ ...base, impersonation: null }), "Invalid input for field 'impersonation': None is not of type 'boolean'");
  assert.equal(message({ ...base, project_id: 'a b' }), "Invalid input for field 'project_id': 'a b' does not match '^[a-zA-Z0-9-]+$'");
  assert.equal(message({ ...base, remaining_uses: true }), "Invalid input for field 'remaining_uses': True is not of type 'integer', 'null'");
  assert.equal(message({ ...base, remaining_uses: 1.5 }), "Invalid input for field 'remaining_uses': 1.5 is not of type 'integer', 'null'");
  assert.equal(message({ ...base, allow_redelegation: 'yes' }), "Invalid input for field 'allow_redelegation': 'yes' is not of type 'boolean', 'null'");
  assert.equal(message({ ...base, roles: [{}] }), "Invalid input for field 'roles/0': {} does not have enough properties");
  assert.equal(message({ ...base, roles: [5] }), "Invalid input for field 'roles/0': 5 is not of type 'object'");
  assert.equal(message({ ...base, roles: [{ name: '   ' }] }), "Invalid input for field 'roles/0/name': '   ' does not match '[\\\\S]+'");
  assert.equal(message({ ...base, roles: [{ id: 'a/b' }] }), "Invalid input for field 'roles/0/id': 'a/b' does not match '^[a-zA-Z0-9-]+$'");
});
