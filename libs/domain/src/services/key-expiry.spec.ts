import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidExpiryError, parseKeyExpiry } from './key-expiry.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const problem = (text: string, o: { maxLifetimeMs?: number } = {}) => {
  try {
    parseKeyExpiry(text, { now: NOW, ...o });
  } catch (e) {
    assert.ok(e instanceof InvalidExpiryError, String(e));
    return e.problem;
  }
  assert.fail(`accepted ${text}`);
};

test('a date is midnight UTC; a date-time without a zone is UTC, whatever the server\'s time zone', () => {
  assert.equal(parseKeyExpiry('2063-04-05', { now: NOW }).toISOString(), '2063-04-05T00:00:00.000Z');
  assert.equal(parseKeyExpiry('2063-04-05T10:00', { now: NOW }).toISOString(), '2063-04-05T10:00:00.000Z');
  assert.equal(parseKeyExpiry('2063-04-05T10:00:30.123456789', { now: NOW }).toISOString(), '2063-04-05T10:00:30.123Z');
  assert.equal(parseKeyExpiry('2063-04-05t10:00:00z', { now: NOW }).toISOString(), '2063-04-05T10:00:00.000Z');
});

test('zone designators are honoured', () => {
  assert.equal(parseKeyExpiry('2063-04-05T10:00:00+02:00', { now: NOW }).toISOString(), '2063-04-05T08:00:00.000Z');
  assert.equal(parseKeyExpiry('2063-04-05T10:00:00.5-0130', { now: NOW }).toISOString(), '2063-04-05T11:30:00.500Z');
});

test('malformed or impossible texts, past instants and too distant ones are refused, each with its problem', () => {
  for (const t of ['2063-4-5', '2063-02-30', '2027-02-29', '2063-04-05T24:00', '2063-04-05T10:60', '2063-04-05T10:00:00+24:00', '2063-04-05 10:00', 'tomorrow', '', '2063-04-05T10']) {
    assert.equal(problem(t), 'format', t);
  }
  assert.equal(problem('2025-12-31'), 'past');
  assert.equal(problem('2026-01-01T00:00:00Z'), 'past');
  assert.equal(problem('2040-01-01', { maxLifetimeMs: 10 * 365 * 86_400_000 }), 'too-far');
  assert.equal(parseKeyExpiry('2028-02-29', { now: NOW }).toISOString(), '2028-02-29T00:00:00.000Z');
});
