import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseExpiration, parseRequest } from './access-key.request.js';
import { OutscaleError } from './outscale-exception.filter.js';

const NOW = Date.parse('2026-01-01T00:00:00Z');
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof OutscaleError, String(e));
    return e.code;
  }
  assert.fail('no error');
};

test('ExpirationDate: dates at midnight UTC, date-times with or without offsets', () => {
  assert.equal(parseExpiration('2063-04-05', NOW).toISOString(), '2063-04-05T00:00:00.000Z');
  assert.equal(parseExpiration('2063-04-05T10:00:00.000Z', NOW).toISOString(), '2063-04-05T10:00:00.000Z');
  assert.equal(parseExpiration('2063-04-05T10:00:00+02:00', NOW).toISOString(), '2063-04-05T08:00:00.000Z');
  assert.equal(parseExpiration('2063-04-05T10:00:00.5-0130', NOW).toISOString(), '2063-04-05T11:30:00.500Z');
  assert.equal(parseExpiration('2063-04-05T10:00', NOW).toISOString(), '2063-04-05T10:00:00.000Z');
  assert.equal(parseExpiration('2028-02-29', NOW).toISOString(), '2028-02-29T00:00:00.000Z');
});

test('ExpirationDate: malformed, impossible or past values are 4047', () => {
  for (const v of ['2063-4-5', '2063-02-30', '2027-02-29', '2063-04-05T25:00:00Z', 'tomorrow', '20630405', '2063-04-05 10:00:00', '2025-12-31', '2026-01-01T00:00:00Z']) {
    assert.equal(code(() => parseExpiration(v, NOW)), '4047', v);
  }
});

test('request shapes: unknown member 4045, wrong type 4108, bad value 4047, missing 7000', () => {
  assert.deepEqual(parseRequest('CreateAccessKey', undefined), {});
  assert.deepEqual(parseRequest('ReadAccessKeys', { Filters: { States: ['ACTIVE'], AccessKeyIds: ['A'] } }), { Filters: { States: ['ACTIVE'], AccessKeyIds: ['A'] } });
  assert.equal(code(() => parseRequest('CreateAccessKey', { Nope: 1 })), '4045');
  assert.equal(code(() => parseRequest('CreateAccessKey', 'x')), '4108');
  assert.equal(code(() => parseRequest('CreateAccessKey', { DryRun: 1 })), '4108');
  assert.equal(code(() => parseRequest('CreateAccessKey', { Tag: '' })), '4047');
  assert.equal(code(() => parseRequest('ReadAccessKeys', { Filters: [] })), '4108');
  assert.equal(code(() => parseRequest('ReadAccessKeys', { Filters: { States: ['active'] } })), '4047');
  assert.equal(code(() => parseRequest('ReadAccessKeys', { Filters: { AccessKeyIds: [1] } })), '4108');
  assert.equal(code(() => parseRequest('UpdateAccessKey', {})), '7000');
  assert.equal(code(() => parseRequest('UpdateAccessKey', { AccessKeyId: 'A', State: 'OFF' })), '4047');
  assert.equal(code(() => parseRequest('UpdateAccessKey', { AccessKeyId: 'A', Tag: 't', ClearTag: true })), '4047');
  assert.equal(code(() => parseRequest('DeleteAccessKey', { AccessKeyId: 5 })), '4108');
});
