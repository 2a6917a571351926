import assert from 'node:assert/strict';
import { createHash, createHmac } from 'node:crypto';
import { test } from 'node:test';
import aws4 from 'aws4';
import { oscSignature, parseOscAuthorization, signOsc4, verifyOscSignature, type OscRequest } from './osc4-signature.js';
import { SignatureFormatError } from './sigv4.js';

const AK = 'ABCDEFGHIJ0123456789';
const SK = 'XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX';

/** osc-sdk-python's Authentication.forge_headers_signed, transcribed step by step (OSC4). */
function oscSdkPython(host: string, uri: string, body: string, ak: string, sk: string, region: string, at: string) {
  const h = (k: Buffer | string, m: string) => createHmac('sha256', k).update(m, 'utf8').digest();
  const date = at.slice(0, 8);
  const scope = `${date}/${region}/api/osc4_request`;
  const ct = 'application/json; charset=utf-8';
  const canonical = `POST\n${uri}\n\ncontent-type:${ct}\nhost:${host}\nx-osc-date:${at}\n\ncontent-type;host;x-osc-date\n${createHash('sha256').update(body).digest('hex')}`;
  const toSign = `OSC4-HMAC-SHA256\n${at}\n${scope}\n${createHash('sha256').update(canonical).digest('hex')}`;
  const key = h(h(h(h(`OSC4${sk}`, date), region), 'api'), 'osc4_request');
  const sig = createHmac('sha256', key).update(toSign).digest('hex');
  return { 'Content-Type': ct, 'X-Osc-Date': at, Authorization: `OSC4-HMAC-SHA256 Credential=${ak}/${scope}, SignedHeaders=content-type;host;x-osc-date, Signature=${sig}` };
}

const asRequest = (headers: Record<string, string>, host: string, path: string, body: string): OscRequest => ({ method: 'POST', path, headers: { ...headers, host }, body });

test('OSC4: a request signed as osc-sdk-python signs it verifies; signOsc4 produces the same headers', () => {
  const body = '{"ExpirationDate":"2063-04-05"}';
  const headers = oscSdkPython('api.eu-west-2.outscale.com', '/api/v1/CreateAccessKey', body, AK, SK, 'eu-west-2', '20260105T101500Z');
  const auth = parseOscAuthorization(headers.Authorization, { ...headers, host: 'api.eu-west-2.outscale.com' });
  assert.equal(auth.algorithm, 'OSC4-HMAC-SHA256');
  assert.equal(auth.accessKey, AK);
  assert.deepEqual(auth.scope, { date: '20260105', region: 'eu-west-2', service: 'api' });
  assert.equal(auth.at.toISOString(), '2026-01-05T10:15:00.000Z');
  assert.ok(verifyOscSignature(auth, asRequest(headers, 'api.eu-west-2.outscale.com', '/api/v1/CreateAccessKey', body), SK));
  const ours = signOsc4({ host: 'api.eu-west-2.outscale.com', path: '/api/v1/CreateAccessKey', body, accessKey: AK, secret: SK, region: 'eu-west-2', date: new Date('2026-01-05T10:15:00Z') });
  assert.deepEqual(ours, headers);
});

test('AWS4: a request signed by the aws4 package (as osc-sdk-js signs, service "api") verifies', () => {
  const body = '{"Filters":{"States":["ACTIVE"]}}';
  const opts = { host: '127.0.0.1:8089', path: '/api/v1/ReadAccessKeys', method: 'POST', body, service: 'api', region: 'eu-west-2', headers: { 'Content-Type': 'application/json' } };
  const signed = aws4.sign(opts, { accessKeyId: AK, secretAccessKey: SK });
  const headers = Object.fromEntries(Object.entries(signed.headers ?? {}).map(([k, v]) => [k, String(v)]));
  const auth = parseOscAuthorization(headers.Authorization!, headers);
  assert.equal(auth.algorithm, 'AWS4-HMAC-SHA256');
  assert.ok(verifyOscSignature(auth, { method: 'POST', path: opts.path, headers, body }, SK));
  assert.ok(!verifyOscSignature(auth, { method: 'POST', path: opts.path, headers, body: `${body} ` }, SK), 'another body');
  assert.ok(!verifyOscSignature(auth, { method: 'POST', path: '/api/v1/DeleteAccessKey', headers, body }, SK), 'another action');
  assert.ok(!verifyOscSignature(auth, { method: 'POST', path: opts.path, headers, body }, `${SK}x`), 'another secret');
});

test('AWS4 family equals SigV4: the AWS test suite\'s post-vanilla vector', () => {
  const headers = { host: 'example.amazonaws.com', 'x-amz-date': '20150830T123600Z' };
  const auth = { algorithm: 'AWS4-HMAC-SHA256' as const, scope: { date: '20150830', region: 'us-east-1', service: 'service' }, signedHeaders: ['host', 'x-amz-date'], amzDate: '20150830T123600Z' };
  assert.equal(oscSignature(auth, { method: 'POST', path: '/', headers, body: '' }, 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY'), '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b');
});

test('malformed Authorization headers and dates are format errors', () => {
  const ok = signOsc4({ host: 'h', path: '/api/v1/ReadAccessKeys', body: '{}', accessKey: AK, secret: SK, region: 'eu-west-2' });
  const headers = { ...ok, host: 'h' };
  const bad: Array<[string, Record<string, string>]> = [
    ['Basic abc', headers],
    [ok.Authorization.replace('osc4_request', 'aws4_request'), headers],
    [ok.Authorization.replace(/Credential=[^,]+/, 'Credential=AK/2026/eu-west-2/api/osc4_request'), headers],
    [ok.Authorization.replace(/Signature=\w+/, 'Signature=zz'), headers],
    [ok.Authorization.replace('content-type;host;x-osc-date', 'content-type;x-osc-date'), headers],
    [ok.Authorization, { ...headers, 'X-Osc-Date': '2026-01-05T10:15:00Z' }],
    [ok.Authorization, { host: 'h', 'Content-Type': 'application/json' }],
    [ok.Authorization.replace(/\/\d{8}\//, '/19990101/'), headers],
  ];
  for (const [a, h] of bad) assert.throws(() => parseOscAuthorization(a, h), SignatureFormatError, a);
});

test('a signed header the request does not carry fails verification', () => {
  const ok = signOsc4({ host: 'h', path: '/p', body: '', accessKey: AK, secret: SK, region: 'r' });
  const auth = parseOscAuthorization(ok.Authorization, { ...ok, host: 'h' });
  assert.ok(verifyOscSignature(auth, asRequest(ok, 'h', '/p', ''), SK));
  const { 'Content-Type': _ct, ...rest } = ok;
  assert.ok(!verifyOscSignature(auth, asRequest(rest, 'h', '/p', ''), SK));
});
