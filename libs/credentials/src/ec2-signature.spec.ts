import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { sha256Hex } from './access-keys.js';
import { ec2ExpectedSignatures, ec2SignedTime, verifyEc2Signature, type Ec2Credentials } from './ec2-signature.js';
import { SignatureFormatError, presignV4, signV4, type SignedV4 } from './sigv4.js';

/** Flips one character of a signature, keeping its length and alphabet. */
function flip(sig: string): string {
  const i = Math.floor(sig.length / 2);
  return sig.slice(0, i) + (sig[i] === 'a' ? 'b' : 'a') + sig.slice(i + 1);
}

/** The ec2tokens body an EC2-API service builds from a request signed with an Authorization header. */
function relayed(signed: SignedV4, req: { access: string; host: string; verb: string; path: string; params?: Record<string, string> }): Ec2Credentials {
  const headers: Record<string, string> = {
    Host: signed.headers.host,
    'X-Amz-Date': signed.amzDate,
    Authorization: signed.authorization,
    'User-Agent': 'aws-cli/2',
  };
  for (const [k, v] of Object.entries(signed.headers)) if (!['host', 'x-amz-date', 'authorization'].includes(k)) headers[k] = v;
  return { ...req, signature: signed.signature, headers, body_hash: signed.bodyHash };
}

// ---------------------------------------------------------------------------------------------
// Published vectors: python-keystoneclient's Ec2Signer tests (keystoneclient/tests/unit/
// test_ec2utils.py), which Keystone's /v3/ec2tokens uses verbatim.

const KSC = { access: '966afbde20b84200ae4e62e09acf46b2', secret: '89cdf9e94e2643cab35b8b8ac5a51f83' };

test('keystoneclient vector: SignatureVersion 0', () => {
  const c: Ec2Credentials = {
    access: KSC.access, host: '127.0.0.1', verb: 'GET', path: '/v1/',
    params: { SignatureVersion: '0', AWSAccessKeyId: KSC.access, Timestamp: '2012-11-27T11:47:02Z', Action: 'Foo' },
  };
  assert.deepEqual(ec2ExpectedSignatures(KSC.secret, c), ['SmXQEZAUdQw5glv5mX8mmixBtas=']);
  assert.equal(verifyEc2Signature(KSC.secret, { ...c, signature: 'SmXQEZAUdQw5glv5mX8mmixBtas=' }), true);
});

test('keystoneclient vector: SignatureVersion 1', () => {
  const c: Ec2Credentials = { access: KSC.access, host: '127.0.0.1', verb: 'GET', path: '/v1/', params: { SignatureVersion: '1', AWSAccessKeyId: KSC.access } };
  assert.deepEqual(ec2ExpectedSignatures(KSC.secret, c), ['VRnoQH/EhVTTLhwRLfuL7jmFW9c=']);
});

test('keystoneclient vector: SignatureVersion 2 (SHA-256 forced)', () => {
  const c: Ec2Credentials = { access: KSC.access, host: '127.0.0.1', verb: 'GET', path: '/v1/', params: { SignatureVersion: '2', AWSAccessKeyId: KSC.access } };
  assert.deepEqual(ec2ExpectedSignatures(KSC.secret, c), ['odsGmT811GffUO0Eu13Pq+xTzKNIjJ6NhgZU74tYX/w=']);
});

// The AWS IAM CreateUser example (AWS General Reference, SigV4 examples) as keystoneclient
// replays it: POST, Authorization header without a Signature field and with a trailing comma,
// stale X-Amz-* params that the header must take precedence over.
const IAM_EXAMPLE: Ec2Credentials = {
  access: 'AKIAIOSFODNN7EXAMPLE',
  host: 'iam.amazonaws.com',
  verb: 'POST',
  path: '/',
  params: {
    Action: 'CreateUser', UserName: 'NewUser', Version: '2010-05-08', 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': 'AKIAEXAMPLE/20140611/us-east-1/iam/aws4_request', 'X-Amz-Date': '20140611T231318Z', 'X-Amz-Expires': '30',
    'X-Amz-SignedHeaders': 'host', 'X-Amz-Signature': 'ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c',
  },
  headers: {
    'Content-type': 'application/x-www-form-urlencoded; charset=utf-8',
    'X-Amz-Date': '20110909T233600Z',
    Host: 'iam.amazonaws.com',
    Authorization: 'AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20110909/us-east-1/iam/aws4_request,SignedHeaders=content-type;host;x-amz-date,',
  },
  body_hash: 'b6359072c78d70ebee1e81adcbab4f01bf2c23245fa365ef83fe8f1f955085e2',
};
const AWS_EXAMPLE_SECRET = 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY';

test('keystoneclient vector: SigV4 (AWS IAM example)', () => {
  assert.deepEqual(ec2ExpectedSignatures(AWS_EXAMPLE_SECRET, IAM_EXAMPLE), ['ced6826de92d2bdeed8f846f0bf508e8559e98e4b0199114b84c54174deb456c']);
});

test('keystoneclient vectors: SigV4 with host:port gives the with-port and the port-stripped (old boto) signatures', () => {
  const c: Ec2Credentials = { ...IAM_EXAMPLE, host: 'foo:8000', params: {}, headers: { ...IAM_EXAMPLE.headers, Host: 'foo:8000' } };
  assert.deepEqual(ec2ExpectedSignatures(AWS_EXAMPLE_SECRET, c), [
    '26dd92ea79aaa49f533d13b1055acdcd7d7321460d64621f96cc79c4f4d4ab2b',
    '9a4b2276a5039ada3b90f72ea8ec174514b92b909fb106b22ad910c5d75a54f4',
  ]);
  for (const signature of ec2ExpectedSignatures(AWS_EXAMPLE_SECRET, c)) assert.equal(verifyEc2Signature(AWS_EXAMPLE_SECRET, { ...c, signature }), true);
});

// ---------------------------------------------------------------------------------------------
// Published vectors: the AWS SigV4 test suite (2015-08-30), relayed in the ec2tokens body shape.

const SUITE_HOST = 'example.amazonaws.com';
const suiteAuth = (signedHeaders: string, signature: string) =>
  `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`;

function suiteBody(verb: string, path: string, params: Record<string, string>, signedHeaders: string, signature: string, extra: Record<string, string> = {}, body = ''): Ec2Credentials {
  return {
    access: 'AKIDEXAMPLE', signature, host: SUITE_HOST, verb, path, params,
    headers: { Host: SUITE_HOST, 'X-Amz-Date': '20150830T123600Z', ...extra, Authorization: suiteAuth(signedHeaders, signature) },
    body_hash: sha256Hex(body),
  };
}

const suiteVectors: Array<[string, Ec2Credentials]> = [
  ['get-vanilla', suiteBody('GET', '/', {}, 'host;x-amz-date', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31')],
  ['get-vanilla-query-order-key-case', suiteBody('GET', '/', { Param2: 'value2', Param1: 'value1' }, 'host;x-amz-date', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500')],
  ['get-vanilla-utf8-query', suiteBody('GET', '/', { 'ሴ': 'bar' }, 'host;x-amz-date', '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04')],
  ['get-utf8', suiteBody('GET', '/%E1%88%B4', {}, 'host;x-amz-date', '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85')],
  ['get-header-value-trim', suiteBody('GET', '/', {}, 'host;my-header1;my-header2;x-amz-date', 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736', { 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"' })],
  ['post-vanilla', suiteBody('POST', '/', {}, 'host;x-amz-date', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b')],
  // The relay puts the form fields in params; for POST they are not part of the canonical query.
  ['post-x-www-form-urlencoded', suiteBody('POST', '/', { Param1: 'value1' }, 'content-type;host;x-amz-date', 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a', { 'Content-Type': 'application/x-www-form-urlencoded' }, 'Param1=value1')],
];

for (const [name, c] of suiteVectors) {
  test(`AWS SigV4 test suite "${name}" relayed to ec2tokens verifies`, () => {
    assert.deepEqual(ec2ExpectedSignatures(AWS_EXAMPLE_SECRET, c), [c.signature]);
    assert.equal(verifyEc2Signature(AWS_EXAMPLE_SECRET, c), true);
    assert.equal(verifyEc2Signature(AWS_EXAMPLE_SECRET, { ...c, signature: flip(c.signature!) }), false);
  });
}

test('SigV4 (docs/keystone.md, "Signatures"): for POST the canonical query is empty, so query parameters are not signed (suite post-vanilla-query is not accepted)', () => {
  const postVanilla = suiteBody('POST', '/', { Param1: 'value1' }, 'host;x-amz-date', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
  assert.equal(verifyEc2Signature(AWS_EXAMPLE_SECRET, postVanilla), true);
  const postVanillaQuery = suiteBody('POST', '/', { Param1: 'value1' }, 'host;x-amz-date', '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11');
  assert.equal(verifyEc2Signature(AWS_EXAMPLE_SECRET, postVanillaQuery), false);
});

// ---------------------------------------------------------------------------------------------
// SignatureVersion 2, expected value computed independently from the documented string to sign.

const V2_SECRET = '0e4f6b3c9a8d4e7fa1b2c3d4e5f60718';
const V2_PARAMS = {
  Action: 'DescribeInstances', SignatureMethod: 'HmacSHA256', SignatureVersion: '2', AWSAccessKeyId: '9a7f53d3fd2b4c1d8f41fbf7f1e8a4b2',
  Timestamp: '2026-07-18T10:15:02Z', Version: '2016-11-15', 'Filter.1.Name': 'tag:Name', 'Filter.1.Value.1': 'web server/1~*',
};
// verb \n host \n path \n params sorted by name (byte order), name=value RFC 3986-encoded.
const V2_QUERY =
  'AWSAccessKeyId=9a7f53d3fd2b4c1d8f41fbf7f1e8a4b2&Action=DescribeInstances&Filter.1.Name=tag%3AName' +
  '&Filter.1.Value.1=web%20server%2F1~%2A&SignatureMethod=HmacSHA256&SignatureVersion=2' +
  '&Timestamp=2026-07-18T10%3A15%3A02Z&Version=2016-11-15';
const v2Sign = (host: string, query = V2_QUERY) => createHmac('sha256', V2_SECRET).update(`GET\n${host}\n/\n${query}`).digest('base64');

test('v2: matches an HMAC-SHA256 computed by hand over the documented string to sign', () => {
  const c: Ec2Credentials = { access: V2_PARAMS.AWSAccessKeyId, host: 'ec2.example.com', verb: 'GET', path: '/', params: V2_PARAMS };
  assert.deepEqual(ec2ExpectedSignatures(V2_SECRET, c), [v2Sign('ec2.example.com')]);
  assert.equal(verifyEc2Signature(V2_SECRET, { ...c, signature: v2Sign('ec2.example.com') }), true);
});

test('v2: with host:port, signatures over host:port and over the bare host both verify', () => {
  const c: Ec2Credentials = { access: V2_PARAMS.AWSAccessKeyId, host: 'ec2.example.com:8788', verb: 'GET', path: '/', params: V2_PARAMS };
  assert.deepEqual(ec2ExpectedSignatures(V2_SECRET, c), [v2Sign('ec2.example.com:8788'), v2Sign('ec2.example.com')]);
  assert.equal(verifyEc2Signature(V2_SECRET, { ...c, signature: v2Sign('ec2.example.com:8788') }), true);
  assert.equal(verifyEc2Signature(V2_SECRET, { ...c, signature: v2Sign('ec2.example.com') }), true);
  assert.equal(verifyEc2Signature(V2_SECRET, { ...c, signature: v2Sign('other.example.com') }), false);
});

test('v2: SignatureMethod is forced to HmacSHA256, a Signature param is ignored', () => {
  const asSha1 = { ...V2_PARAMS, SignatureMethod: 'HmacSHA1', Signature: 'whatever' };
  const c: Ec2Credentials = { access: V2_PARAMS.AWSAccessKeyId, host: 'ec2.example.com', verb: 'GET', path: '/', params: asSha1 };
  assert.deepEqual(ec2ExpectedSignatures(V2_SECRET, c), [v2Sign('ec2.example.com')]);
  const sha1Query = V2_QUERY.replace('HmacSHA256', 'HmacSHA1');
  const sha1Sig = createHmac('sha1', V2_SECRET).update(`GET\nec2.example.com\n/\n${sha1Query}`).digest('base64');
  assert.equal(verifyEc2Signature(V2_SECRET, { ...c, signature: sha1Sig }), false);
});

test('v2: bracketed IPv6 host loses only its port; a bare IPv6 address is left alone', () => {
  const base = { access: 'a', verb: 'GET', path: '/', params: V2_PARAMS };
  assert.equal(ec2ExpectedSignatures(V2_SECRET, { ...base, host: '[::1]:8788' })[1], v2Sign('[::1]'));
  assert.equal(ec2ExpectedSignatures(V2_SECRET, { ...base, host: '::1' }).length, 1);
});

// ---------------------------------------------------------------------------------------------
// Round trips with the in-repo signer.

const RT = { accessKey: '9a7f53d3fd2b4c1d8f41fbf7f1e8a4b2', secret: '0e4f6b3c9a8d4e7fa1b2c3d4e5f60718', region: 'RegionOne', service: 'ec2', date: new Date('2026-07-18T10:15:02Z') };

test('round trip: GET signed with signV4 (Authorization header) verifies; tampering does not', () => {
  const params = { Action: 'DescribeInstances', Version: '2016-11-15', 'Filter.1.Value.1': 'a b/ሴ' };
  const signed = signV4({ ...RT, method: 'GET', host: 'ec2.example.com:8788', path: '/', query: params });
  const c = relayed(signed, { access: RT.accessKey, host: 'ec2.example.com:8788', verb: 'GET', path: '/', params });
  assert.equal(verifyEc2Signature(RT.secret, c), true);
  assert.equal(verifyEc2Signature(RT.secret, { ...c, signature: flip(c.signature!) }), false, 'one character changed');
  assert.equal(verifyEc2Signature(`${RT.secret}x`, c), false, 'wrong secret');
  assert.equal(verifyEc2Signature(RT.secret, { ...c, params: { ...params, Action: 'TerminateInstances' } }), false, 'param changed');
  assert.equal(verifyEc2Signature(RT.secret, { ...c, path: '/x' }), false, 'path changed');
  assert.equal(verifyEc2Signature(RT.secret, { ...c, verb: 'DELETE' }), false, 'verb changed');
  assert.equal(verifyEc2Signature(RT.secret, { ...c, body_hash: sha256Hex('x') }), false, 'body changed');
  assert.equal(verifyEc2Signature(RT.secret, { ...c, signature: signed.signature.toUpperCase() }), false, 'hex compared exactly');
});

test('round trip: POST form (ec2api style) verifies with the form fields in params', () => {
  const form = 'Action=DescribeRegions&Version=2016-11-15';
  const signed = signV4({ ...RT, method: 'POST', host: 'ec2.example.com', path: '/', body: form, headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf-8' } });
  const c = relayed(signed, { access: RT.accessKey, host: 'ec2.example.com', verb: 'POST', path: '/', params: { Action: 'DescribeRegions', Version: '2016-11-15' } });
  assert.equal(c.body_hash, sha256Hex(form));
  assert.equal(verifyEc2Signature(RT.secret, c), true);
  assert.equal(verifyEc2Signature(RT.secret, { ...c, body_hash: sha256Hex('Action=TerminateInstances') }), false);
});

test('round trip: a request signed without the port verifies when the relay reports host:port', () => {
  const signed = signV4({ ...RT, method: 'GET', host: 'ec2.example.com', path: '/', query: { Action: 'DescribeRegions' } });
  const c = relayed(signed, { access: RT.accessKey, host: 'ec2.example.com:8788', verb: 'GET', path: '/', params: { Action: 'DescribeRegions' } });
  c.headers!.Host = 'ec2.example.com:8788';
  assert.equal(ec2ExpectedSignatures(RT.secret, c).length, 2);
  assert.equal(verifyEc2Signature(RT.secret, c), true);
  c.headers!.Host = 'ec2.example.com:9999';
  assert.equal(verifyEc2Signature(RT.secret, c), true, 'only the port is ignored...');
  c.headers!.Host = 'other.example.com:8788';
  assert.equal(verifyEc2Signature(RT.secret, c), false, '...never the host name');
});

test('round trip: presigned query form; X-Amz-Signature is not signed, payload defaults to UNSIGNED-PAYLOAD', () => {
  const p = presignV4({ ...RT, method: 'GET', host: 'ec2.example.com', path: '/', query: { Action: 'DescribeRegions' } }, 300);
  const c: Ec2Credentials = { access: RT.accessKey, signature: p.signature, host: 'ec2.example.com', verb: 'GET', path: '/', params: p.query, headers: { Host: 'ec2.example.com' } };
  assert.equal(verifyEc2Signature(RT.secret, c), true);
  const { 'X-Amz-Signature': _omitted, ...withoutSignatureParam } = p.query;
  assert.equal(verifyEc2Signature(RT.secret, { ...c, params: withoutSignatureParam }), true);
  assert.equal(verifyEc2Signature(RT.secret, { ...c, body_hash: sha256Hex('') }), false, 'a given body_hash replaces UNSIGNED-PAYLOAD');
  assert.equal(verifyEc2Signature(RT.secret, { ...c, params: { ...p.query, 'X-Amz-Expires': '86400' } }), false, 'expiry is signed');
});

// ---------------------------------------------------------------------------------------------
// Malformed requests: SignatureFormatError from ec2ExpectedSignatures, false from verify.

function assertFormatError(c: Ec2Credentials, what: string): void {
  assert.throws(() => ec2ExpectedSignatures(RT.secret, c), SignatureFormatError, what);
  assert.equal(verifyEc2Signature(RT.secret, c), false, what);
}

test('malformed SigV4 fields are format errors', () => {
  const signed = signV4({ ...RT, method: 'GET', host: 'ec2.example.com', path: '/', query: { Action: 'DescribeRegions' } });
  const good = relayed(signed, { access: RT.accessKey, host: 'ec2.example.com', verb: 'GET', path: '/', params: { Action: 'DescribeRegions' } });
  assert.equal(verifyEc2Signature(RT.secret, good), true);
  const withHeaders = (h: Record<string, string>): Ec2Credentials => ({ ...good, headers: { ...good.headers, ...h } });
  const { 'X-Amz-Date': _d, ...noDate } = good.headers!;
  assertFormatError({ ...good, headers: noDate }, 'missing X-Amz-Date');
  assertFormatError(withHeaders({ 'X-Amz-Date': '20260719T101502Z' }), 'date not matching the scope date');
  assertFormatError(withHeaders({ 'X-Amz-Date': '2026-07-18T10:15:02Z' }), 'X-Amz-Date not in basic format');
  assertFormatError(withHeaders({ Authorization: signed.authorization.replace('/aws4_request', '/aws4_requests') }), 'bad Credential terminator');
  assertFormatError(withHeaders({ Authorization: signed.authorization.replace('/RegionOne', '') }), 'Credential without region');
  assertFormatError(withHeaders({ Authorization: signed.authorization.replace(/SignedHeaders=[^,]*, /, '') }), 'no SignedHeaders');
  assertFormatError({ ...good, access: 'someone-else' }, 'Credential names another access key');
  assertFormatError({ ...good, body_hash: undefined }, 'no body hash in the header form');
  assertFormatError({ ...good, verb: undefined }, 'no verb');
  assertFormatError({ ...good, path: undefined }, 'no path');
});

test('absent or unknown signature versions are format errors (upstream answers 500)', () => {
  const base = { access: 'a', signature: 'x', host: 'h', verb: 'GET', path: '/' };
  assertFormatError({ ...base, params: {} }, 'no version, no SigV4 marker');
  assertFormatError(base, 'no params at all');
  assertFormatError({ ...base, params: { SignatureVersion: '3' } }, 'unknown version');
  assertFormatError({ ...base, params: { SignatureVersion: 2 as unknown as string } }, 'version as a number');
  assertFormatError({ ...base, params: { SignatureVersion: '0', Action: 'Foo' } }, 'v0 without Timestamp');
  assertFormatError({ ...base, host: undefined, params: { SignatureVersion: '2' } }, 'v2 without host');
  assertFormatError({ ...base, headers: { Authorization: 'AWS AKIAIOSFODNN7EXAMPLE:frJIUN8DYpKDtOLCwo//yllqDzg=' }, params: {} }, 'S3 SigV2 header');
});

test('a missing or empty signature never verifies', () => {
  const c: Ec2Credentials = { access: KSC.access, host: '127.0.0.1', verb: 'GET', path: '/v1/', params: { SignatureVersion: '1', AWSAccessKeyId: KSC.access } };
  assert.equal(verifyEc2Signature(KSC.secret, c), false);
  assert.equal(verifyEc2Signature(KSC.secret, { ...c, signature: '' }), false);
  assert.equal(verifyEc2Signature(KSC.secret, { ...c, signature: 'VRnoQH/EhVTTLhwRLfuL7jmFW9c' }), false, 'shorter');
  assert.equal(verifyEc2Signature(KSC.secret, { ...c, signature: 'VRnoQH/EhVTTLhwRLfuL7jmFW9c=' }), true);
});

// ---------------------------------------------------------------------------------------------
// Request time for the freshness check.

const V4_AUTH = { Authorization: 'AWS4-HMAC-SHA256 Credential=a/20260718/RegionOne/ec2/aws4_request, SignedHeaders=host;x-amz-date, Signature=00' };

test('ec2SignedTime: Timestamp for SignatureVersion 0/1/2, the X-Amz-Date the string to sign used for SigV4', () => {
  for (const v of ['0', '1', '2']) {
    assert.equal(ec2SignedTime({ access: 'a', params: { SignatureVersion: v, Timestamp: '2026-07-18T10:15:02Z' } })?.toISOString(), '2026-07-18T10:15:02.000Z');
  }
  assert.equal(ec2SignedTime({ access: 'a', params: { SignatureVersion: '2', Timestamp: '2026-07-18T10:15:02.123+02:00' } })?.toISOString(), '2026-07-18T08:15:02.123Z');
  assert.equal(ec2SignedTime({ access: 'a', params: { SignatureVersion: '2', Timestamp: '2026-07-18T10:15:02' } })?.toISOString(), '2026-07-18T10:15:02.000Z', 'no zone: UTC');
  assert.equal(ec2SignedTime({ access: 'a', headers: { ...V4_AUTH, 'x-amz-date': '20260718T101502Z' } })?.toISOString(), '2026-07-18T10:15:02.000Z');
  assert.equal(ec2SignedTime({ access: 'a', params: { 'X-Amz-Algorithm': 'AWS4-HMAC-SHA256', 'X-Amz-Date': '20260718T101502Z' } })?.toISOString(), '2026-07-18T10:15:02.000Z');
  // The header wins over the parameter, as in the signature itself.
  assert.equal(ec2SignedTime({ access: 'a', params: { 'X-Amz-Date': '20200101T000000Z' }, headers: { ...V4_AUTH, 'X-Amz-Date': '20210101T000000Z' } })?.toISOString(), '2021-01-01T00:00:00.000Z');
  assert.equal(ec2SignedTime(IAM_EXAMPLE)?.toISOString(), '2011-09-09T23:36:00.000Z');
});

test('ec2SignedTime: an unsigned Timestamp next to a SigV4 signature is ignored (M1)', () => {
  const c: Ec2Credentials = { access: 'a', verb: 'POST', params: { Action: 'DescribeRegions', Timestamp: '2026-07-18T10:15:02Z' }, headers: { ...V4_AUTH, 'X-Amz-Date': '20210101T000000Z' } };
  assert.equal(ec2SignedTime(c)?.toISOString(), '2021-01-01T00:00:00.000Z');
});

test('ec2SignedTime: undefined when the signature covers no time, SignatureFormatError when unreadable', () => {
  assert.equal(ec2SignedTime({ access: 'a' }), undefined);
  assert.equal(ec2SignedTime({ access: 'a', params: { Timestamp: '2026-07-18T10:15:02Z' } }), undefined, 'no signature version');
  assert.equal(ec2SignedTime({ access: 'a', params: { SignatureVersion: '2', Timestamp: '' } }), undefined);
  assert.equal(ec2SignedTime({ access: 'a', params: { SignatureVersion: '2', Expires: '2036-07-18T10:15:02Z' } }), undefined, 'an expiry is no signing time');
  assert.equal(ec2SignedTime({ access: 'a', headers: { 'x-amz-date': '20260718T101502Z' } }), undefined, 'not SigV4');
  for (const bad of ['yesterday', '2026-02-30T10:15:02Z', '2026-07-18T25:15:02Z', '20260718', '1721297702']) {
    assert.throws(() => ec2SignedTime({ access: 'a', params: { SignatureVersion: '1', Timestamp: bad } }), SignatureFormatError, bad);
  }
  assert.throws(() => ec2SignedTime({ access: 'a', headers: { ...V4_AUTH, 'X-Amz-Date': 'Sat, 18 Jul 2026 10:15:02 GMT' } }), SignatureFormatError);
});

// ---------------------------------------------------------------------------------------------
// Cross-check with AWS's own signer when it is installed (devDependencies @smithy/signature-v4
// and @smithy/hash-node); skipped otherwise.

async function loadSmithy(): Promise<{ SignatureV4: any; Hash: any } | undefined> {
  // Specifiers in variables: the packages are optional and must not be resolved at compile time.
  const signerPkg = '@smithy/signature-v4';
  const hashPkg = '@smithy/hash-node';
  try {
    const [{ SignatureV4 }, { Hash }] = await Promise.all([import(signerPkg), import(hashPkg)]);
    return { SignatureV4, Hash };
  } catch {
    return undefined;
  }
}

const smithy = await loadSmithy();

test('cross-check: requests signed by @smithy/signature-v4 verify via the ec2tokens body', { skip: smithy ? false : '@smithy/signature-v4 not installed' }, async () => {
  const { SignatureV4, Hash } = smithy!;
  const signer = new SignatureV4({
    credentials: { accessKeyId: RT.accessKey, secretAccessKey: RT.secret }, region: 'RegionOne', service: 'ec2', sha256: Hash.bind(null, 'sha256'),
  });
  const signingDate = new Date();

  const query = { Action: 'DescribeInstances', Version: '2016-11-15', 'Filter.1.Value.1': 'a b/c*~' };
  const get = await signer.sign(
    { method: 'GET', protocol: 'https:', hostname: 'ec2.example.com', port: 8788, path: '/', query, headers: { host: 'ec2.example.com:8788' } },
    { signingDate },
  );
  const getSig = /Signature=([0-9a-f]{64})/.exec(get.headers.authorization)![1];
  const getBody: Ec2Credentials = {
    access: RT.accessKey, signature: getSig, host: 'ec2.example.com:8788', verb: 'GET', path: '/', params: query,
    headers: { Host: get.headers.host, 'X-Amz-Date': get.headers['x-amz-date'], 'X-Amz-Content-Sha256': get.headers['x-amz-content-sha256'], Authorization: get.headers.authorization },
    body_hash: sha256Hex(''),
  };
  assert.equal(verifyEc2Signature(RT.secret, getBody), true);
  assert.equal(verifyEc2Signature(RT.secret, { ...getBody, signature: flip(getSig) }), false);

  const form = 'Action=DescribeRegions&Version=2016-11-15';
  const post = await signer.sign(
    { method: 'POST', protocol: 'https:', hostname: 'ec2.example.com', path: '/', query: {}, body: form, headers: { host: 'ec2.example.com', 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' } },
    { signingDate },
  );
  const postBody: Ec2Credentials = {
    access: RT.accessKey, signature: /Signature=([0-9a-f]{64})/.exec(post.headers.authorization)![1], host: 'ec2.example.com', verb: 'POST', path: '/',
    params: { Action: 'DescribeRegions', Version: '2016-11-15' }, headers: post.headers, body_hash: sha256Hex(form),
  };
  assert.equal(verifyEc2Signature(RT.secret, postBody), true);
  assert.ok(Math.abs(ec2SignedTime(postBody)!.getTime() - signingDate.getTime()) < 1000);

  const pre = await signer.presign(
    { method: 'GET', protocol: 'https:', hostname: 'ec2.example.com', path: '/', query: { Action: 'DescribeRegions' }, headers: { host: 'ec2.example.com' } },
    { signingDate, expiresIn: 300 },
  );
  const preBody: Ec2Credentials = {
    access: RT.accessKey, signature: pre.query['X-Amz-Signature'], host: 'ec2.example.com', verb: 'GET', path: '/', params: pre.query, headers: { Host: 'ec2.example.com' },
    body_hash: sha256Hex(''),
  };
  // Outside S3, AWS presigns the hash of the (empty) body, not UNSIGNED-PAYLOAD: the relay's
  // body_hash is what makes it verify.
  assert.equal(verifyEc2Signature(RT.secret, preBody), true);
  assert.equal(verifyEc2Signature(RT.secret, { ...preBody, body_hash: undefined }), false);
});
