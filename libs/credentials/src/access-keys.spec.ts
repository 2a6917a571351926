import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ec2CredentialId, randomAlphanumeric, sha256Hex } from './access-keys.js';

test('randomAlphanumeric: requested length, alphabet 0-9a-zA-Z only', () => {
  for (const n of [0, 1, 20, 40, 129]) {
    const s = randomAlphanumeric(n);
    assert.equal(s.length, n);
    assert.match(s, /^[0-9a-zA-Z]*$/);
  }
});

test('randomAlphanumeric: every character of the alphabet turns up, none dominates', () => {
  const counts = new Map<string, number>();
  for (const ch of randomAlphanumeric(248_000)) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  assert.equal(counts.size, 62);
  // Expected 4000 each (standard deviation ~63). Reducing random bytes modulo 62 would give the
  // first 8 characters 5/256 instead of 4/256 of the draws, ~4840 each: outside this ±6 SD band.
  for (const [ch, n] of counts) assert.ok(n > 3620 && n < 4380, `${ch} drawn ${n} times`);
});

test('randomAlphanumeric: two draws differ (no fixed seed)', () => {
  assert.notEqual(randomAlphanumeric(32), randomAlphanumeric(32));
});

test('randomAlphanumeric: rejects negative, fractional and non-finite lengths', () => {
  for (const n of [-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) assert.throws(() => randomAlphanumeric(n), RangeError);
});

test('sha256Hex: FIPS 180-2 / NIST published vectors', () => {
  assert.equal(sha256Hex(''), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  assert.equal(sha256Hex(Buffer.from('abc')), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
});

test('ec2CredentialId: hex SHA-256 of the UTF-8 access key, as Keystone hash_access_key', () => {
  assert.equal(ec2CredentialId('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  // UTF-8, not UTF-16 or latin1: "é" is the two bytes c3 a9.
  assert.equal(ec2CredentialId('é'), sha256Hex(Buffer.from([0xc3, 0xa9])));
  assert.match(ec2CredentialId('9a7f53d3fd2b4c1d8f41fbf7f1e8a4b2'), /^[0-9a-f]{64}$/);
});
