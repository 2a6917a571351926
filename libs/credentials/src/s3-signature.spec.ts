import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { sha256Hex } from './access-keys.js';
import { s3TokenTime, verifyS3Token } from './s3-signature.js';
import { MAX_PRESIGNED_SECONDS, withinWindow } from './request-time.js';
import { SignatureFormatError, canonicalHeaderBlock, canonicalRequest, normalizeHeaders, signV4, signatureV4, stringToSignV4 } from './sigv4.js';

/** What swift's s3token middleware sends: URL-safe base64 of the string to sign. */
const token = (stringToSign: string): string => Buffer.from(stringToSign, 'utf8').toString('base64url');

function flip(sig: string): string {
  const i = Math.floor(sig.length / 2);
  return sig.slice(0, i) + (sig[i] === 'a' ? 'b' : 'a') + sig.slice(i + 1);
}

// Amazon S3 developer guide, "Signing and authenticating REST requests" (SigV2) examples.
const S3_V2_SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const s3V2Examples: Array<[string, string, string]> = [
  ['Object GET', 'GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg', 'bWq2s1WEIj+Ydj0vQ697zp+IXMU='],
  ['Object PUT', 'PUT\n\nimage/jpeg\nTue, 27 Mar 2007 21:15:45 +0000\n/johnsmith/photos/puppy.jpg', 'MyyxeRY7whkBe+bq8fHCL/2kKUg='],
  ['List', 'GET\n\n\nTue, 27 Mar 2007 19:42:41 +0000\n/johnsmith/', 'htDYFYduRNen8P9ZfE/s9SuKy0U='],
  [
    'Upload (x-amz-* headers)',
    'PUT\n4gJE4saaMU4BqNR0kLY+lw==\napplication/x-download\nTue, 27 Mar 2007 21:06:08 +0000\nx-amz-acl:public-read\n' +
      'x-amz-meta-checksumalgorithm:crc32\nx-amz-meta-filechecksum:0x02661779\nx-amz-meta-reviewedby:joe@johnsmith.net,jane@johnsmith.net\n' +
      '/static.johnsmith.net/db-backup.dat.gz',
    'ilyl83RwaSoYIEdixDQcA4OnAnc=',
  ],
];

for (const [name, sts, signature] of s3V2Examples) {
  test(`SigV2: AWS S3 docs example "${name}"`, () => {
    assert.equal(verifyS3Token(S3_V2_SECRET, token(sts), signature), true);
    assert.equal(verifyS3Token(S3_V2_SECRET, token(sts), flip(signature)), false, 'one character changed');
    assert.equal(verifyS3Token(`${S3_V2_SECRET}x`, token(sts), signature), false, 'wrong secret');
    assert.equal(verifyS3Token(S3_V2_SECRET, token(sts.replace('2007', '2008')), signature), false, 'string to sign changed');
  });
}

// Keystone's own s3tokens tests (keystone/tests/unit/test_contrib_s3_core.py).
const KS_V4_SECRET = 'e7a7a2240136494986991a6598d9fb9f';
const ksV4Token = (service: string) =>
  Buffer.from(`AWS4-HMAC-SHA256\n20150824T112041Z\n20150824/RegionOne/${service}/aws4_request\nf2215580eeb9a167351bd93e86c3b6f04a928f5c5520a3935a453540a09564b5`).toString('base64');

test('Keystone vector: SigV2 (PUT with Content-MD5)', () => {
  const t = 'UFVUCjFCMk0yWThBc2dUcGdBbVk3UGhDZmc9PQphcHBsaWNhdGlvbi9vY3RldC1zdHJlYW0KVHVlLCAxMSBEZWMgMjAxMiAyMTo0MTo0MSBHTVQKL2NvbnRfczMvdXBsb2FkZWRfZnJvbV9zMy50eHQ=';
  assert.equal(verifyS3Token('b121dd41cdcc42fe9f70e572e84295aa', t, 'IL4QLcLVaYgylF9iHj6Wb8BGZsw='), true);
  assert.equal(verifyS3Token('b121dd41cdcc42fe9f70e572e84295aa', t, '0123456789abcdef0123456789abcdef'), false);
});

test('Keystone vectors: SigV4 with service s3, iam and sts', () => {
  // The literal tokens of the Keystone test, to be sure we decode what Keystone decodes.
  assert.equal(
    ksV4Token('s3'),
    'QVdTNC1ITUFDLVNIQTI1NgoyMDE1MDgyNFQxMTIwNDFaCjIwMTUwODI0L1JlZ2lvbk9uZS9zMy9hd3M0X3JlcXVlc3QKZjIyMTU1ODBlZWI5YTE2NzM1MWJkOTNlODZjM2I2ZjA0YTkyOGY1YzU1MjBhMzkzNWE0NTM1NDBhMDk1NjRiNQ==',
  );
  assert.equal(verifyS3Token(KS_V4_SECRET, ksV4Token('s3'), '730ba8f58df6ffeadd78f402e990b2910d60bc5c2aec63619734f096a4dd77be'), true);
  assert.equal(verifyS3Token(KS_V4_SECRET, ksV4Token('iam'), 'db4e15b3040f6afaa9d9d16002de2fc3425beea0c6ea8c1b2bb674f052030b7d'), true);
  assert.equal(verifyS3Token(KS_V4_SECRET, ksV4Token('sts'), '3aa0b6f1414b92b2a32584068f83c6d09b7fdaa11d4ea58912bbf1d8616ef56d'), true);
  assert.equal(verifyS3Token(KS_V4_SECRET, ksV4Token('s3'), flip('730ba8f58df6ffeadd78f402e990b2910d60bc5c2aec63619734f096a4dd77be')), false);
});

test('Keystone vectors: rejected SigV4 tokens (bad service, key signed for aws4_badrequest, short scope, malformed)', () => {
  // Correctly signed for its scope: rejected for the service alone.
  assert.equal(
    signatureV4(KS_V4_SECRET, { date: '20150824', region: 'RegionOne', service: 'bad' }, Buffer.from(ksV4Token('bad'), 'base64')),
    '1a2dec50eb1bba97887d1103c2ead6a3991198c4be2537cf14d40b64cceb888b',
  );
  assert.equal(verifyS3Token(KS_V4_SECRET, ksV4Token('bad'), '1a2dec50eb1bba97887d1103c2ead6a3991198c4be2537cf14d40b64cceb888b'), false);
  assert.equal(verifyS3Token(KS_V4_SECRET, ksV4Token('s3'), '52d02211a3767d00b2104ab28c9859003b0e9c8735cd10de7975f3b1212cca41'), false);
  const shortScope = 'QVdTNC1ITUFDLVNIQTI1NgoyMDE1MDgyNFQxMTIwNDFaCjIwMTUwODI0L1JlZ2lvbk9uZS9zMwpmMjIxNTU4MGVlYjlhMTY3MzUxYmQ5M2U4NmMzYjZmMDRhOTI4ZjVjNTUyMGEzOTM1YTQ1MzU0MGEwOTU2NGI1';
  assert.equal(verifyS3Token(KS_V4_SECRET, shortScope, '28a075f1ee41e96c431153914998443ff0f55fe93d31b37181f13ff4865942a2'), false);
  assert.equal(verifyS3Token(KS_V4_SECRET, 'QVdTNC1BQUEKWApYClg=', 'x'), false);
  assert.equal(verifyS3Token(KS_V4_SECRET, 'QVdTNC1ITUFDLVNIQTI1NgpYCi8vczMvYXdzTl9yZXF1ZXN0Clg=', 'x'), false);
});

// Amazon S3 API reference, SigV4 "GET Object" example: the string to sign is given in full.
test('SigV4: AWS S3 docs "GET Object" string to sign', () => {
  const sts = 'AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\n7344ae5b7ee6c3e7e6b0fe0640412a37625d1fbfff95c48bbb2dc43964946972';
  assert.equal(verifyS3Token(S3_V2_SECRET, token(sts), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'), true);
  assert.equal(verifyS3Token(S3_V2_SECRET, token(sts.replace('us-east-1', 'us-west-2')), 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41'), false);
});

test('round trip: a request signed with signV4 verifies from the string to sign swift would send', () => {
  const date = new Date('2026-07-18T10:15:02Z');
  const signed = signV4({
    method: 'PUT', host: 'swift.example.com:8080', path: '/bucket/key', body: 'hello', accessKey: 'AK', secret: 'SK', region: 'RegionOne', service: 's3', date,
  });
  const canonical = canonicalRequest({
    method: 'PUT', path: '/bucket/key', query: '',
    headerBlock: canonicalHeaderBlock(normalizeHeaders(signed.headers), signed.signedHeaders.split(';')),
    signedHeaders: signed.signedHeaders, payloadHash: sha256Hex('hello'),
  });
  const sts = stringToSignV4(signed.amzDate, { date: '20260718', region: 'RegionOne', service: 's3' }, canonical);
  assert.equal(verifyS3Token('SK', token(sts), signed.signature), true);
  assert.equal(verifyS3Token('SK', Buffer.from(sts).toString('base64'), signed.signature), true, 'standard alphabet with padding too');
  assert.equal(verifyS3Token('SK-other', token(sts), signed.signature), false);
  assert.equal(s3TokenTime(token(sts))?.at.toISOString(), '2026-07-18T10:15:02.000Z');
});

test('SigV2: the signature is over the exact bytes, including ones that are not UTF-8', () => {
  const bytes = Buffer.concat([Buffer.from('GET\n\n\n\n/b/'), Buffer.from([0xff, 0xfe])]);
  const sig = createHmac('sha1', 'SK').update(bytes).digest('base64');
  assert.equal(verifyS3Token('SK', bytes.toString('base64url'), sig), true);
});

test('malformed input never verifies', () => {
  const sts = token('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\n/johnsmith/photos/puppy.jpg');
  assert.equal(verifyS3Token(S3_V2_SECRET, sts, ''), false, 'empty signature');
  assert.equal(verifyS3Token(S3_V2_SECRET, sts, undefined as unknown as string), false, 'no signature');
  assert.equal(verifyS3Token(S3_V2_SECRET, '', 'bWq2s1WEIj+Ydj0vQ697zp+IXMU='), false, 'empty token');
  assert.equal(verifyS3Token(S3_V2_SECRET, `${sts}!`, 'bWq2s1WEIj+Ydj0vQ697zp+IXMU='), false, 'not base64');
  assert.equal(verifyS3Token(S3_V2_SECRET, token('AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request'), 'x'), false, '3 lines');
  assert.equal(verifyS3Token(S3_V2_SECRET, token('AWS4-HMAC-SHA1\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request\nabc'), 'x'), false, 'algorithm');
  assert.equal(verifyS3Token(S3_V2_SECRET, token('AWS4-HMAC-SHA256\n20130524T000000Z\n20130524/us-east-1/s3/aws4_request/x\nabc'), 'x'), false, '5-part scope');
});

test('s3TokenTime: SigV4 timestamp line', () => {
  assert.equal(s3TokenTime(ksV4Token('s3'))?.at.toISOString(), '2015-08-24T11:20:41.000Z');
  assert.throws(() => s3TokenTime(token('AWS4-HMAC-SHA256\nnot-a-date\n20150824/RegionOne/s3/aws4_request\nabc')), SignatureFormatError);
});

test('s3TokenTime: SigV2 Date line, x-amz-date header line, presigned Expires', () => {
  assert.equal(s3TokenTime(token(s3V2Examples[0][1]))?.at.toISOString(), '2007-03-27T19:36:42.000Z');
  const keystoneV2 = 'UFVUCjFCMk0yWThBc2dUcGdBbVk3UGhDZmc9PQphcHBsaWNhdGlvbi9vY3RldC1zdHJlYW0KVHVlLCAxMSBEZWMgMjAxMiAyMTo0MTo0MSBHTVQKL2NvbnRfczMvdXBsb2FkZWRfZnJvbV9zMy50eHQ=';
  assert.equal(s3TokenTime(keystoneV2)?.at.toISOString(), '2012-12-11T21:41:41.000Z');
  // x-amz-date overrides the Date line (S3 clients then leave Date empty).
  assert.equal(s3TokenTime(token('DELETE\n\n\n\nx-amz-date:Tue, 27 Mar 2007 21:20:26 +0000\n/johnsmith/photos/puppy.jpg'))?.at.toISOString(), '2007-03-27T21:20:26.000Z');
  assert.equal(s3TokenTime(token('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000\nx-amz-date:Tue, 27 Mar 2007 21:20:26 -0100\n/b/k'))?.at.toISOString(), '2007-03-27T22:20:26.000Z');
  // Query-string authentication signs Expires (epoch seconds) where Date would be.
  assert.deepEqual(s3TokenTime(token('GET\n\n\n1175139620\n/johnsmith/photos/puppy.jpg')), { at: new Date('2007-03-29T03:40:20.000Z'), kind: 'expires' });
  assert.equal(s3TokenTime(token(s3V2Examples[0][1]))?.kind, 'signed');
});

test('s3TokenTime: undefined with no time at all, SignatureFormatError when unreadable', () => {
  assert.equal(s3TokenTime(token('GET\n\n\n\n/b/k')), undefined);
  // Not a SigV2 string to sign at all (an EC2-v1 style concatenation): no Date line to read (M2).
  assert.equal(s3TokenTime(token('ActionDescribeInstancesSignatureVersion1Timestamp2001-01-01T00:00:00Z')), undefined);
  assert.equal(s3TokenTime(token('GET\n\n\nTue, 27 Mar 2007 19:36:42 +0000')), undefined, 'four lines: no resource line');
  assert.throws(() => s3TokenTime(token('GET\n\n\nsometime\n/b/k')), SignatureFormatError);
  assert.throws(() => s3TokenTime(token('GET\n\n\n\nx-amz-date:soon\n/b/k')), SignatureFormatError);
  assert.throws(() => s3TokenTime(token('GET\n\n\nTue, 30 Feb 2007 19:36:42 GMT\n/b/k')), SignatureFormatError);
  assert.throws(() => s3TokenTime('%%%'), SignatureFormatError);
});

test('withinWindow: a signing time within the TTL either way; an expiry not passed and at most 7 days ahead', () => {
  const now = Date.parse('2026-07-18T10:00:00Z');
  const signed = (ms: number) => ({ at: new Date(now + ms), kind: 'signed' as const });
  const expires = (ms: number) => ({ at: new Date(now + ms), kind: 'expires' as const });
  assert.equal(withinWindow(signed(0), 900, now), true);
  assert.equal(withinWindow(signed(-900_000), 900, now), true);
  assert.equal(withinWindow(signed(900_000), 900, now), true);
  assert.equal(withinWindow(signed(-900_001), 900, now), false);
  assert.equal(withinWindow(signed(900_001), 900, now), false, 'a signature from the future');
  assert.equal(withinWindow(expires(3600_000), 900, now), true);
  assert.equal(withinWindow(expires(MAX_PRESIGNED_SECONDS * 1000), 900, now), true);
  assert.equal(withinWindow(expires(MAX_PRESIGNED_SECONDS * 1000 + 1), 900, now), false);
  assert.equal(withinWindow(expires(-1), 900, now), false, 'expired');
});
