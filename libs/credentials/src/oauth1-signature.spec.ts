import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  baseStringUri, oauthEncode, oauthSignature, parseOAuthHeader, signatureBaseString, signOAuth1Request, verifyOAuthSignature,
} from './oauth1-signature.js';

test('RFC 5849 §3.4.1.1: the example request gives the RFC\'s signature base string', () => {
  // POST /request?b5=%3D%253D&a3=a&c%40=&a2=r%20b with the form body c2&a3=2+q
  const header = 'OAuth realm="Example", oauth_consumer_key="9djdj82h48djs9d2", oauth_token="kkk9d7dh3k39sjv7", '
    + 'oauth_signature_method="HMAC-SHA1", oauth_timestamp="137131201", oauth_nonce="7d8f3e4a", oauth_signature="bYT5CMsGcbgUdFHObYMEfcx6bsw%3D"';
  const params = parseOAuthHeader(header)!;
  assert.deepEqual(params[0], ['realm', 'Example']);
  assert.deepEqual(params.at(-1), ['oauth_signature', 'bYT5CMsGcbgUdFHObYMEfcx6bsw=']);
  const body: Array<[string, string]> = [['c2', ''], ['a3', '2 q']];
  const base = signatureBaseString('POST', 'http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b', [...params, ...body]);
  assert.equal(base, 'POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q%26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26'
    + 'oauth_consumer_key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1%26'
    + 'oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7');
});

test('RFC 5849 §1.2: the photos example signs to the RFC\'s signature', () => {
  const header = signOAuth1Request({
    method: 'GET', url: 'http://photos.example.net/photos?file=vacation.jpg&size=original', consumerKey: 'dpf43f3p2l4k3l03',
    consumerSecret: 'kd94hf93k423kf44', token: 'nnch734d00sl2jdk', tokenSecret: 'pfkkdhi9sl3r4s00', nonce: 'chapoH', timestamp: '137131202',
    realm: 'Photos', version: false,
  });
  assert.match(header, /oauth_signature="MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D"$/);
  const params = parseOAuthHeader(header)!;
  const base = signatureBaseString('GET', 'http://photos.example.net/photos?file=vacation.jpg&size=original', params);
  assert.ok(verifyOAuthSignature('HMAC-SHA1', base, 'MdpQcU8iPSUjWoN/UDMsK2sui9I=', 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00'));
  assert.ok(!verifyOAuthSignature('HMAC-SHA1', base, 'MdpQcU8iPSUjWoN/UDMsK2sui9I=', 'kd94hf93k423kf44', 'wrong'));
});

test('a header made by oauthlib (the library keystoneclient signs with) verifies', () => {
  // oauthlib 3.2.2, Client(...).sign() of the RFC 5849 §1.2 request with oauth_version="1.0" added.
  const header = 'OAuth realm="Photos", oauth_nonce="chapoH", oauth_timestamp="137131202", oauth_version="1.0", oauth_signature_method="HMAC-SHA1", '
    + 'oauth_consumer_key="dpf43f3p2l4k3l03", oauth_token="nnch734d00sl2jdk", oauth_signature="1IAE9RzK%2BDqSqVTdQ%2F0zWANXVzs%3D"';
  const params = parseOAuthHeader(header)!;
  const base = signatureBaseString('GET', 'http://photos.example.net/photos?file=vacation.jpg&size=original', params);
  assert.equal(oauthSignature('HMAC-SHA1', base, 'kd94hf93k423kf44', 'pfkkdhi9sl3r4s00'), '1IAE9RzK+DqSqVTdQ/0zWANXVzs=');
});

test('RFC 5849 §3.4.1.2: base string URIs', () => {
  assert.equal(baseStringUri('HTTP://EXAMPLE.COM:80/r%20v/X?id=123'), 'http://example.com/r%20v/X');
  assert.equal(baseStringUri('https://www.example.net:8080/?q=1'), 'https://www.example.net:8080/');
  assert.equal(baseStringUri('https://example.net:443'), 'https://example.net/');
});

test('RFC 5849 §3.6: percent-encoding keeps only the unreserved set', () => {
  assert.equal(oauthEncode("a b+c~d-e_f.g!*'()/=&é"), 'a%20b%2Bc~d-e_f.g%21%2A%27%28%29%2F%3D%26%C3%A9');
});

test('headers that are not OAuth, or malformed, are refused', () => {
  assert.equal(parseOAuthHeader(undefined), undefined);
  assert.equal(parseOAuthHeader('Basic abc'), undefined);
  assert.equal(parseOAuthHeader('OAuth oauth_nonce=unquoted'), undefined);
  assert.equal(parseOAuthHeader('OAuth oauth_nonce="%zz"'), undefined);
  assert.deepEqual(parseOAuthHeader('OAuth'), []);
  assert.deepEqual(parseOAuthHeader('oauth  a="1",b="2"'), [['a', '1'], ['b', '2']]);
});

test('each HMAC method signs with its own digest', () => {
  for (const m of ['HMAC-SHA1', 'HMAC-SHA256', 'HMAC-SHA512'] as const) {
    const header = signOAuth1Request({ method: 'POST', url: 'http://h/x', consumerKey: 'c', consumerSecret: 's', signatureMethod: m });
    const params = parseOAuthHeader(header)!;
    const sig = params.find(([k]) => k === 'oauth_signature')![1];
    assert.ok(verifyOAuthSignature(m, signatureBaseString('POST', 'http://h/x', params), sig, 's'));
  }
});
