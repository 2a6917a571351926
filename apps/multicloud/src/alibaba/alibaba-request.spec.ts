import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AlibabaError } from './alibaba-exception.filter.js';
import { formatFrom, operationInput, type AlibabaCall } from './alibaba-request.js';
import { renderXml } from './alibaba-xml.js';

const call = (action: AlibabaCall['action'], params: Record<string, string>): AlibabaCall => ({ scheme: 'v1', params, query: {}, action, format: 'JSON' });
const code = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof AlibabaError, String(e));
    return `${e.status} ${e.code}`;
  }
  assert.fail('no error');
};

test('Format: JSON by default, case-insensitive, anything else refused', () => {
  assert.equal(formatFrom({}), 'JSON');
  assert.equal(formatFrom({ Format: 'json' }), 'JSON');
  assert.equal(formatFrom({ Format: 'Xml' }), 'XML');
  assert.equal(formatFrom({ Format: 'yaml' }), undefined);
});

test('operation parameters: required ones, Status values, UserPrincipalName bounds', () => {
  assert.deepEqual(operationInput(call('CreateAccessKey', {})), {});
  assert.deepEqual(operationInput(call('CreateAccessKey', { UserPrincipalName: '' })), {}, 'empty: the caller');
  assert.deepEqual(operationInput(call('ListAccessKeys', { UserPrincipalName: 'a@b' })), { userPrincipalName: 'a@b' });
  assert.deepEqual(operationInput(call('UpdateAccessKey', { UserAccessKeyId: 'K', Status: 'Inactive' })), { userAccessKeyId: 'K', status: 'Inactive' });
  assert.equal(code(() => operationInput(call('DeleteAccessKey', {}))), '400 MissingUserAccessKeyId');
  assert.equal(code(() => operationInput(call('GetAccessKeyLastUsed', { UserAccessKeyId: '' }))), '400 MissingUserAccessKeyId');
  assert.equal(code(() => operationInput(call('UpdateAccessKey', { UserAccessKeyId: 'K' }))), '400 MissingParameter');
  assert.equal(code(() => operationInput(call('UpdateAccessKey', { UserAccessKeyId: 'K', Status: 'ACTIVE' }))), '400 InvalidParameter.Status');
  assert.equal(code(() => operationInput(call('ListAccessKeys', { UserPrincipalName: 'x'.repeat(256) }))), '400 InvalidParameter.UserPrincipalName');
});

test('XML: members in order, lists repeat their item element, text escaped', () => {
  assert.equal(renderXml('ListAccessKeysResponse', { RequestId: 'R', AccessKeys: { AccessKey: [{ AccessKeyId: 'A', Status: 'Active' }, { AccessKeyId: 'B', Status: 'Inactive' }] } }),
    '<ListAccessKeysResponse><RequestId>R</RequestId><AccessKeys><AccessKey><AccessKeyId>A</AccessKeyId><Status>Active</Status></AccessKey><AccessKey><AccessKeyId>B</AccessKeyId><Status>Inactive</Status></AccessKey></AccessKeys></ListAccessKeysResponse>');
  assert.equal(renderXml('Error', { Message: 'a<b & "c"' }), '<Error><Message>a&lt;b &amp; &quot;c&quot;</Message></Error>');
  assert.equal(renderXml('X', { AccessKeys: { AccessKey: [] }, None: undefined }), '<X><AccessKeys></AccessKeys></X>');
});
