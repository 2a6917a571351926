import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { sha256Hex } from './access-keys.js';
import {
  MAX_DERIVED_KEYS,
  SignatureFormatError,
  amzDate,
  canonicalQueryString,
  constantTimeEqual,
  encodePath,
  hmacSha256,
  hmacSha256Hex,
  parseAuthorizationV4,
  parseCredential,
  presignV4,
  rfc3986Encode,
  signV4,
  signingKey,
  type SignV4Input,
} from './sigv4.js';

// AWS Signature Version 4 test suite (aws-sig-v4-test-suite, 2015-08-30): fixed credentials,
// date, region and service shared by every case.
const SUITE = {
  accessKey: 'AKIDEXAMPLE',
  secret: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 'service',
  date: new Date('2015-08-30T12:36:00Z'),
  host: 'example.amazonaws.com',
};

// Amazon S3 API reference, "Signature Calculations for the Authorization Header" and "Query
// String Authentication" examples (note the S3 docs' secret differs from the suite's: /bPxR).
const S3_DOCS = {
  accessKey: 'AKIAIOSFODNN7EXAMPLE',
  secret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  region: 'us-east-1',
  service: 's3',
  date: new Date('2013-05-24T00:00:00Z'),
  host: 'examplebucket.s3.amazonaws.com',
};

type SuiteCase = Pick<SignV4Input, 'method' | 'path' | 'query' | 'headers' | 'body' | 'sessionToken'> & { signature: string; signedHeaders: string };

const suiteCases: Record<string, SuiteCase> = {
  'get-vanilla': { method: 'GET', path: '/', signedHeaders: 'host;x-amz-date', signature: '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31' },
  'get-vanilla-query-order-key-case': {
    method: 'GET', path: '/', query: { Param2: 'value2', Param1: 'value1' }, signedHeaders: 'host;x-amz-date',
    signature: 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500',
  },
  'get-vanilla-query-unreserved': {
    method: 'GET', path: '/',
    query: { '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz': '-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz' },
    signedHeaders: 'host;x-amz-date', signature: '9c3e54bfcdf0b19771a7f523ee5669cdf59bc7cc0884027167c21bb143a40197',
  },
  'get-vanilla-utf8-query': {
    method: 'GET', path: '/', query: { 'ሴ': 'bar' }, signedHeaders: 'host;x-amz-date',
    signature: '2cdec8eed098649ff3a119c94853b13c643bcf08f8b0a1d91e12c9027818dd04',
  },
  'get-unreserved': {
    method: 'GET', path: '/-._~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz', signedHeaders: 'host;x-amz-date',
    signature: '07ef7494c76fa4850883e2b006601f940f8a34d404d0cfa977f52a65bbf5f24f',
  },
  'get-utf8': { method: 'GET', path: encodePath('/ሴ'), signedHeaders: 'host;x-amz-date', signature: '8318018e0b0f223aa2bbf98705b62bb787dc9c0e678f255a891fd03141be5d85' },
  'get-header-value-trim': {
    method: 'GET', path: '/', headers: { 'My-Header1': ' value1', 'My-Header2': ' "a   b   c"' },
    signedHeaders: 'host;my-header1;my-header2;x-amz-date', signature: 'acc3ed3afb60bb290fc8d2dd0098b9911fcaa05412b367055dee359757a9c736',
  },
  'post-vanilla': { method: 'POST', path: '/', signedHeaders: 'host;x-amz-date', signature: '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b' },
  'post-vanilla-query': {
    method: 'POST', path: '/', query: { Param1: 'value1' }, signedHeaders: 'host;x-amz-date',
    signature: '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11',
  },
  'post-header-key-sort': {
    method: 'POST', path: '/', headers: { 'My-Header1': 'value1' }, signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'c5410059b04c1ee005303aed430f6e6645f61f4dc9e1461ec8f8916fdf18852c',
  },
  'post-header-value-case': {
    method: 'POST', path: '/', headers: { 'My-Header1': 'VALUE1' }, signedHeaders: 'host;my-header1;x-amz-date',
    signature: 'cdbc9802e29d2942e5e10b5bccfdd67c5f22c7c4e8ae67b53629efa58b974b7d',
  },
  'post-sts-header-before': {
    method: 'POST', path: '/',
    sessionToken: 'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==',
    signedHeaders: 'host;x-amz-date;x-amz-security-token', signature: '85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead',
  },
  'post-x-www-form-urlencoded': {
    method: 'POST', path: '/', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date', signature: 'ff11897932ad3f4e8b18135d722051e5ac45fc38421b1da7b9d196a0fe09473a',
  },
  'post-x-www-form-urlencoded-parameters': {
    method: 'POST', path: '/', headers: { 'Content-Type': 'application/x-www-form-urlencoded; charset=utf8' }, body: 'Param1=value1',
    signedHeaders: 'content-type;host;x-amz-date', signature: '1a72ec8f64bd914b0e42e42607c7fbce7fb2c7465f63e3092b3b0d39fa77a6fe',
  },
};

for (const [name, c] of Object.entries(suiteCases)) {
  test(`signV4: AWS SigV4 test suite "${name}"`, () => {
    const { signature, signedHeaders, ...req } = c;
    const signed = signV4({ ...SUITE, ...req });
    assert.equal(signed.signature, signature);
    assert.equal(
      signed.authorization,
      `AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=${signedHeaders}, Signature=${signature}`,
    );
    assert.equal(signed.headers.authorization, signed.authorization);
    assert.equal(signed.headers['x-amz-date'], '20150830T123600Z');
    assert.equal(signed.headers.host, 'example.amazonaws.com');
  });
}

test('hmacSha256(Hex) equals createHmac for keys shorter than, equal to and longer than a block, string or bytes', () => {
  // RFC 4231 test case 2: a short string key.
  assert.equal(hmacSha256('Jefe', 'what do ya want for nothing?').toString('hex'), '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843');
  for (const keyLength of [0, 1, 32, 63, 64, 65, 131]) {
    for (const dataLength of [0, 1, 55, 56, 64, 200, 5000]) {
      const key = randomBytes(keyLength);
      const data = randomBytes(dataLength);
      const expected = createHmac('sha256', key).update(data).digest('hex');
      assert.equal(hmacSha256(key, data).toString('hex'), expected, `key ${keyLength} B, data ${dataLength} B`);
      assert.equal(hmacSha256Hex(key, data), expected);
      assert.equal(hmacSha256(key.toString('latin1'), data.toString('latin1')).toString('hex'),
        createHmac('sha256', Buffer.from(key.toString('latin1'), 'utf8')).update(Buffer.from(data.toString('latin1'), 'utf8')).digest('hex'), 'strings as UTF-8');
    }
  }
});

test('signingKey: AWS IAM documentation example (20120215/us-east-1/iam)', () => {
  const key = signingKey('wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY', { date: '20120215', region: 'us-east-1', service: 'iam' });
  assert.equal(key.toString('hex'), 'f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d');
});

test('signingKey: derived keys are kept for the most recently used secrets, the least recently used going first', () => {
  const scope = { date: '20260101', region: 'r', service: 's' };
  const secret = (n: number) => `bounds-test-secret-${n}`;
  const first = signingKey(secret(0), scope);
  assert.equal(signingKey(secret(0), scope), first, 'cached: the same key object');
  const other = signingKey(secret(0), { ...scope, date: '20260102' });
  assert.notEqual(other, first, 'another scope of the same secret: its own key');
  assert.equal(signingKey(secret(0), scope), first, 'both scopes kept');
  const keys = new Map<number, Buffer>();
  for (let n = 1; n < MAX_DERIVED_KEYS; n++) keys.set(n, signingKey(secret(n), scope));
  // Full now: secret 0 and the others (keys of earlier tests, older, went first).
  assert.equal(signingKey(secret(1), scope), keys.get(1), 'secret 1 read: recently used again');
  assert.equal(signingKey(secret(0), scope), first, 'secret 0 kept at the bound, and read');
  signingKey(secret(MAX_DERIVED_KEYS), scope);
  assert.equal(signingKey(secret(0), scope), first, 'one more secret: secret 0 stays');
  assert.equal(signingKey(secret(1), scope), keys.get(1));
  assert.equal(signingKey(secret(3), scope), keys.get(3), 'the others stay: nothing was emptied');
  assert.notEqual(signingKey(secret(2), scope), keys.get(2), 'secret 2, the least recently used, went');
});

test('signV4: S3 docs "GET Object" example (Range header, x-amz-content-sha256 of the empty body)', () => {
  const signed = signV4({ ...S3_DOCS, method: 'GET', path: '/test.txt', headers: { Range: 'bytes=0-9' } });
  assert.equal(signed.signedHeaders, 'host;range;x-amz-content-sha256;x-amz-date');
  assert.equal(signed.headers['x-amz-content-sha256'], 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  assert.equal(signed.signature, 'f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41');
});

test('signV4: S3 docs "PUT Object" example (encoded path, Date and storage-class headers, body hash)', () => {
  const signed = signV4({
    ...S3_DOCS, method: 'PUT', path: encodePath('/test$file.text'), body: 'Welcome to Amazon S3.',
    headers: { Date: 'Fri, 24 May 2013 00:00:00 GMT', 'x-amz-storage-class': 'REDUCED_REDUNDANCY' },
  });
  assert.equal(signed.bodyHash, '44ce7dd67c959e0d3524ffac1771dfbba87d2b6b4b4e99e42034a8b803f8b072');
  assert.equal(signed.signedHeaders, 'date;host;x-amz-content-sha256;x-amz-date;x-amz-storage-class');
  assert.equal(signed.signature, '98ad721746da40c64f1a55b78f14c238d841ea1380cd77a1b5971af0ece108bd');
});

test('signV4: S3 docs "GET Bucket Lifecycle" and "Get Bucket (List Objects)" examples (query strings)', () => {
  const lifecycle = signV4({ ...S3_DOCS, method: 'GET', path: '/', query: { lifecycle: '' } });
  assert.equal(lifecycle.signature, 'fea454ca298b7da1c68078a5d1bdbfbbe0d65c699e0f91ac7a200a0136783543');
  const list = signV4({ ...S3_DOCS, method: 'GET', path: '/', query: { 'max-keys': '2', prefix: 'J' } });
  assert.equal(list.signature, '34b48302e7b5fa45bde8084f4b7868a86f0a534bc59db6670ed5711ef69dc6f7');
});

test('presignV4: S3 docs presigned-URL example (X-Amz-Expires=86400, UNSIGNED-PAYLOAD)', () => {
  const p = presignV4({ ...S3_DOCS, method: 'GET', path: '/test.txt' }, 86400);
  assert.equal(p.signature, 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404');
  assert.deepEqual(p.query, {
    'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    'X-Amz-Credential': 'AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request',
    'X-Amz-Date': '20130524T000000Z',
    'X-Amz-Expires': '86400',
    'X-Amz-SignedHeaders': 'host',
    'X-Amz-Signature': 'aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404',
  });
  assert.deepEqual(p.headers, { host: 'examplebucket.s3.amazonaws.com' });
});

test('signV4: bodyHash overrides body; a caller-supplied Host header never wins over host', () => {
  const a = signV4({ ...SUITE, method: 'POST', path: '/', body: 'x', bodyHash: sha256Hex('') });
  assert.equal(a.signature, suiteCases['post-vanilla'].signature);
  const b = signV4({ ...SUITE, method: 'GET', path: '/', headers: { Host: 'evil.example' } });
  assert.equal(b.signature, suiteCases['get-vanilla'].signature);
  assert.equal(b.headers.host, 'example.amazonaws.com');
});

test('signV4: any change in what is signed changes the signature', () => {
  const base = { ...SUITE, method: 'GET', path: '/' };
  const s = signV4(base).signature;
  assert.notEqual(signV4({ ...base, secret: `${SUITE.secret}x` }).signature, s);
  assert.notEqual(signV4({ ...base, region: 'us-west-2' }).signature, s);
  assert.notEqual(signV4({ ...base, path: '/x' }).signature, s);
  assert.notEqual(signV4({ ...base, date: new Date('2015-08-30T12:36:01Z') }).signature, s);
  assert.notEqual(signV4({ ...base, query: { a: 'b' } }).signature, s);
});

test('rfc3986Encode: only A-Za-z0-9-_.~ stay as they are; UTF-8 bytes upper-case hex', () => {
  assert.equal(rfc3986Encode('-_.~AZaz09'), '-_.~AZaz09');
  assert.equal(rfc3986Encode(" !'()*+/=&"), '%20%21%27%28%29%2A%2B%2F%3D%26');
  assert.equal(rfc3986Encode('ሴ'), '%E1%88%B4');
  assert.throws(() => rfc3986Encode('\ud800'), SignatureFormatError);
});

test('encodePath keeps the slashes and encodes each segment', () => {
  assert.equal(encodePath('/photos/my puppy+1.jpg'), '/photos/my%20puppy%2B1.jpg');
  assert.equal(encodePath('/'), '/');
});

test('canonicalQueryString: sorted by encoded name then value, empty values kept', () => {
  assert.equal(canonicalQueryString({ b: '2', a: '1', 'a b': 'x y', c: '' }), 'a=1&a%20b=x%20y&b=2&c=');
  assert.equal(canonicalQueryString({}), '');
});

test('amzDate drops separators and milliseconds', () => {
  assert.equal(amzDate(new Date('2015-08-30T12:36:00.789Z')), '20150830T123600Z');
});

test('parseCredential accepts AK/yyyymmdd/region/service/aws4_request only', () => {
  assert.deepEqual(parseCredential('AKIDEXAMPLE/20150830/us-east-1/service/aws4_request'), {
    accessKey: 'AKIDEXAMPLE',
    scope: { date: '20150830', region: 'us-east-1', service: 'service' },
  });
  for (const bad of [
    undefined, '', 'AKIDEXAMPLE/20150830/us-east-1/service', 'AKIDEXAMPLE/20150830/us-east-1/service/aws4_requestx',
    '/20150830/us-east-1/service/aws4_request', 'AK/2015083/us-east-1/service/aws4_request', 'AK/20150830//service/aws4_request',
    'AK/20150830/us-east-1/service/aws4_request/extra',
  ]) {
    assert.throws(() => parseCredential(bad), SignatureFormatError, String(bad));
  }
});

test('parseAuthorizationV4 reads the three fields, tolerating missing spaces and a trailing comma', () => {
  assert.deepEqual(parseAuthorizationV4('AWS4-HMAC-SHA256 Credential=AK/20150830/r/s/aws4_request, SignedHeaders=host;x-amz-date, Signature=abc'), {
    credential: 'AK/20150830/r/s/aws4_request', signedHeaders: 'host;x-amz-date', signature: 'abc',
  });
  assert.deepEqual(parseAuthorizationV4('AWS4-HMAC-SHA256 Credential=AK/20110909/us-east-1/iam/aws4_request,SignedHeaders=content-type;host;x-amz-date,'), {
    credential: 'AK/20110909/us-east-1/iam/aws4_request', signedHeaders: 'content-type;host;x-amz-date', signature: undefined,
  });
  assert.throws(() => parseAuthorizationV4('AWS AKIAIOSFODNN7EXAMPLE:abc'), SignatureFormatError);
});

test('constantTimeEqual: equal only for identical strings, any length', () => {
  assert.equal(constantTimeEqual('abc', 'abc'), true);
  assert.equal(constantTimeEqual('abc', 'abd'), false);
  assert.equal(constantTimeEqual('abc', 'abcd'), false);
  assert.equal(constantTimeEqual('', ''), true);
});
