import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { parseAgileSignature, signAgileRequest, verifyAgileSignature } from './edgio-signature.js';
import { randomLowerHex, randomUpperAlphanumeric } from './random-keys.js';

const AK = '3e7359107d65869061992';
const SK = '86b2b120bf50e635ca84fd91524e5e32e344';
const NOW = new Date(1461084800 * 1000);

/** Edgio's own Python sample (signing_requests page): raw values, `k=v` strings sorted, base64 HMAC. */
function pythonSample(headers: Record<string, string>, endpoint: string, expiry: number, ak: string, sk: string): string {
  const mac = [`access_key=${ak}`, `expiry=${expiry}`];
  for (const [h, v] of Object.entries(headers)) if (h.startsWith('X-Agile-')) mac.push(`${h.slice('X-Agile-'.length).toLowerCase()}=${v}`);
  mac.sort();
  const payload = `${endpoint}?${mac.join('&')}`;
  return `${payload}&signature=${createHmac('sha256', sk).update(payload).digest('base64')}`;
}

test('the documented example payload: /post/raw?access_key=…&basename=testfile.txt&expiry=1461084890', () => {
  const header = signAgileRequest({ path: '/post/raw', accessKey: AK, secret: SK, expiry: 1461084890, headers: { 'X-Agile-Basename': 'testfile.txt' } });
  const payload = `/post/raw?access_key=${AK}&basename=testfile.txt&expiry=1461084890`;
  assert.equal(header, `${payload}&signature=${createHmac('sha256', SK).update(payload).digest('base64')}`);
  const parts = parseAgileSignature(header)!;
  assert.equal(parts.accessKey, AK);
  assert.equal(parts.expiry, 1461084890);
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers: { 'x-agile-basename': 'testfile.txt', 'x-agile-signature': header } }, SK, NOW), undefined);
});

test('a header made by Edgio\'s Python sample verifies (unencoded values such as a directory path)', () => {
  const headers = { 'X-Agile-Directory': '/a dir/sub', 'X-Agile-Basename': 'f.txt', 'X-Agile-Content-Detect': 'name' };
  const header = pythonSample(headers, '/post/raw', 1461084890, AK, SK);
  const parts = parseAgileSignature(header)!;
  assert.ok(parts);
  assert.equal(parts.terms.get('directory'), '/a dir/sub');
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers }, SK, NOW), undefined);
});

test('URL-encoded terms (space as +) verify and decode', () => {
  const headers = { 'X-Agile-Directory': '/a dir/x&y' };
  const header = signAgileRequest({ path: '/post/directory', accessKey: AK, secret: SK, expiry: 1461084890, headers });
  assert.match(header, /directory=%2Fa\+dir%2Fx%26y/);
  assert.equal(verifyAgileSignature(parseAgileSignature(header)!, { path: '/post/directory', headers }, SK, NOW), undefined);
});

test('refusals: wrong secret, tampered term, other path, missing or extra header, expired', () => {
  const headers = { 'X-Agile-Basename': 'f.txt' };
  const header = signAgileRequest({ path: '/post/raw', accessKey: AK, secret: SK, expiry: 1461084890, headers });
  const parts = parseAgileSignature(header)!;
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers }, 'other-secret', NOW), 'mismatch');
  assert.equal(verifyAgileSignature(parseAgileSignature(header.replace('f.txt', 'g.txt'))!, { path: '/post/raw', headers: { 'X-Agile-Basename': 'g.txt' } }, SK, NOW), 'mismatch');
  assert.equal(verifyAgileSignature(parts, { path: '/post/file', headers }, SK, NOW), 'path');
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers: {} }, SK, NOW), 'headers');
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers: { ...headers, 'X-Agile-Directory': '/x' } }, SK, NOW), 'headers');
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers: { 'X-Agile-Basename': 'other' } }, SK, NOW), 'headers');
  assert.equal(verifyAgileSignature(parts, { path: '/post/raw', headers }, SK, new Date(1461084891 * 1000)), 'expired');
});

test('malformed headers do not parse', () => {
  for (const h of ['', 'garbage', '/post/raw?access_key=a&expiry=1', '/post/raw?expiry=1&signature=x', '/post/raw?access_key=a&signature=x',
    '/post/raw?access_key=a&expiry=soon&signature=x', '/post/raw?access_key=a&access_key=b&expiry=1&signature=x', '/post/raw?access_key=%E0%A4%A&expiry=1&signature=x']) {
    assert.equal(parseAgileSignature(h), undefined, h);
  }
});

test('random keys: alphabet and length', () => {
  assert.match(randomLowerHex(36), /^[0-9a-f]{36}$/);
  assert.match(randomUpperAlphanumeric(40), /^[0-9A-Z]{40}$/);
  assert.notEqual(randomLowerHex(36), randomLowerHex(36));
  assert.throws(() => randomLowerHex(-1), RangeError);
});
