import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import OpenApiUtils from '@alicloud/openapi-core/dist/utils.js';
import {
  acs3Signature, alibabaPercentEncode, alibabaRpcSignature, alibabaRpcStringToSign, parseAcs3Authorization, parseAlibabaTimestamp,
  verifyAcs3Signature, verifyAlibabaRpcSignature,
} from './alibaba-signature.js';

// Alibaba Cloud's documented V1 example (ECS "Request signatures": DescribeRegions, testid / testsecret).
const DOC_PARAMS = {
  Timestamp: '2016-02-23T12:46:24Z', Format: 'XML', AccessKeyId: 'testid', Action: 'DescribeRegions', SignatureMethod: 'HMAC-SHA1',
  SignatureNonce: '3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf', Version: '2014-05-26', SignatureVersion: '1.0',
};

test('V1: the documented string-to-sign and signature', () => {
  assert.equal(alibabaRpcStringToSign('GET', DOC_PARAMS),
    'GET&%2F&AccessKeyId%3Dtestid%26Action%3DDescribeRegions%26Format%3DXML%26SignatureMethod%3DHMAC-SHA1%26SignatureNonce%3D3ee8c1b8-83d3-44af-a94f-4e0ad82fd6cf%26SignatureVersion%3D1.0%26Timestamp%3D2016-02-23T12%253A46%253A24Z%26Version%3D2014-05-26');
  assert.equal(alibabaRpcSignature('GET', DOC_PARAMS, 'testsecret'), 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=');
  assert.ok(verifyAlibabaRpcSignature('GET', { ...DOC_PARAMS, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }, 'testsecret'));
  assert.ok(!verifyAlibabaRpcSignature('POST', { ...DOC_PARAMS, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }, 'testsecret'));
  assert.ok(!verifyAlibabaRpcSignature('GET', { ...DOC_PARAMS, Signature: 'OLeaidS1JvxuMvnyHOwuJ+uX5qY=' }, 'other'));
  assert.ok(!verifyAlibabaRpcSignature('GET', DOC_PARAMS, 'testsecret'), 'no Signature');
});

test('percent-encoding as the SDKs write it', () => {
  assert.equal(alibabaPercentEncode("a b!'()*~+/:"), "a%20b%21%27%28%29%2A~%2B%2F%3A");
});

test('V3: the signature @alicloud/openapi-core computes', () => {
  const body = 'UserPrincipalName=a%40b';
  const payloadHash = createHash('sha256').update(body).digest('hex');
  const headers: Record<string, string> = {
    host: 'localhost:8089', 'x-acs-action': 'ListAccessKeys', 'x-acs-version': '2019-08-15', 'x-acs-date': '2026-01-01T00:00:00Z',
    'x-acs-signature-nonce': 'n1', 'x-acs-content-sha256': payloadHash, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json',
  };
  const query = { Zeta: 'x y', Alpha: "it's" };
  const header = (OpenApiUtils as any).default.getAuthorization({ pathname: '/', method: 'POST', query, headers }, 'ACS3-HMAC-SHA256', payloadHash, 'LTAIexample', 'secret123');
  const auth = parseAcs3Authorization(header);
  assert.equal(auth.accessKey, 'LTAIexample');
  assert.deepEqual(auth.signedHeaders, ['content-type', 'host', 'x-acs-action', 'x-acs-content-sha256', 'x-acs-date', 'x-acs-signature-nonce', 'x-acs-version']);
  const r = { method: 'POST', path: '/', query, headers, payloadHash };
  assert.equal(acs3Signature(r, auth.signedHeaders, 'secret123'), auth.signature);
  assert.ok(verifyAcs3Signature(r, auth, 'secret123'));
  assert.ok(!verifyAcs3Signature(r, auth, 'secret124'));
  assert.ok(!verifyAcs3Signature({ ...r, query: { ...query, Alpha: 'x' } }, auth, 'secret123'));
  assert.ok(!verifyAcs3Signature({ ...r, headers: { ...headers, 'x-acs-action': 'DeleteAccessKey' } }, auth, 'secret123'));
});

test('V3 Authorization header: malformed ones are refused', () => {
  for (const h of ['', 'ACS3-HMAC-SHA256', 'ACS3-HMAC-SHA256 Credential=a', 'ACS3-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=zz',
    `ACS3-HMAC-SHA256 Credential=a,SignedHeaders=Host,Signature=${'0'.repeat(64)}`, `ACS3-HMAC-SHA256 Credential=a,Credential=b,SignedHeaders=host,Signature=${'0'.repeat(64)}`,
    `AWS4-HMAC-SHA256 Credential=a,SignedHeaders=host,Signature=${'0'.repeat(64)}`]) {
    assert.throws(() => parseAcs3Authorization(h), h);
  }
});

test('timestamps: YYYY-MM-DDThh:mm:ssZ only, real dates', () => {
  assert.equal(parseAlibabaTimestamp('2016-02-23T12:46:24Z')?.toISOString(), '2016-02-23T12:46:24.000Z');
  assert.equal(parseAlibabaTimestamp('2016-02-23T12:46:24.123Z')?.toISOString(), '2016-02-23T12:46:24.000Z');
  for (const v of ['2016-02-30T00:00:00Z', '2016-02-23 12:46:24', '2016-02-23T12:46:24+08:00', '1456231584', '2016-02-23T24:00:00Z']) assert.equal(parseAlibabaTimestamp(v), undefined, v);
});
