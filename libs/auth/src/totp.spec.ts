import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hotp, totp, totpKey, totpMatches } from './totp.js';

/** RFC 6238 Appendix B's SHA-1 seed, "12345678901234567890", in base32. */
const RFC_SEED = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

test('RFC 6238 SHA-1 test vectors (last six digits of the eight-digit values)', () => {
  const key = totpKey(RFC_SEED)!;
  assert.equal(key.toString(), '12345678901234567890');
  for (const [t, code] of [[59, '287082'], [1111111109, '081804'], [1111111111, '050471'], [1234567890, '005924'], [2000000000, '279037'], [20000000000, '353130']] as const) {
    assert.equal(totp(key, t * 1000), code, `T=${t}`);
  }
  // RFC 4226 Appendix D, counter 0 and 9.
  assert.equal(hotp(key, 0), '755224');
  assert.equal(hotp(key, 9), '520489');
});

test('blobs are read as Keystone reads them: padded strict base32, at least 128 bits', () => {
  assert.ok(totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP'));
  assert.equal(totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP')!.length, 20);
  // 26 characters (130 bits) pad to 32 and give 16 bytes: the shortest usable key.
  assert.equal(totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEH')!.length, 16);
  assert.equal(totpKey('JBSWY3DPEHPK3PXP'), undefined, '80-bit key: too short');
  assert.equal(totpKey('jbswy3dpehpk3pxpjbswy3dpehpk3pxp'), undefined, 'lower case is not base32 to Keystone');
  assert.equal(totpKey('JBSWY3DPEHPK3PXP JBSWY3DPEHPK3PXP'), undefined, 'white space');
  assert.equal(totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXPJ'), undefined, 'one character into a quantum is no byte');
  assert.equal(totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP========'), undefined, 'a whole quantum of padding');
  assert.deepEqual(totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX='), totpKey('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PX'), 'given padding is kept');
  assert.equal(totpKey(''), undefined);
  assert.equal(totpKey('{"secret": "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"}'), undefined);
});

test('the current window and the configured number of earlier ones match; later ones never', () => {
  const key = totpKey(RFC_SEED)!;
  const now = 1_700_000_015_000;
  const at = (steps: number) => totp(key, now + steps * 30_000);
  assert.equal(totpMatches(key, at(0), 1, now), true);
  assert.equal(totpMatches(key, at(-1), 1, now), true);
  assert.equal(totpMatches(key, at(-2), 1, now), false);
  assert.equal(totpMatches(key, at(-1), 0, now), false);
  assert.equal(totpMatches(key, at(-2), 2, now), true);
  assert.equal(totpMatches(key, at(1), 10, now), false, 'a future passcode');
  assert.equal(totpMatches(key, '', 1, now), false);
  assert.equal(totpMatches(key, `${at(0)} `, 1, now), false);
  assert.equal(totpMatches(key, '١٢٣٤٥٦', 1, now), false, 'other digits, other byte length');
});
