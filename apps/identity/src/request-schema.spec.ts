import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError, MalformedBodyError } from '@lintel/domain';
import {
  additional, array, body, boolean, envelope, expect, extrasOf, integer, member, minProperties, object, properties, required, sameId, string, text,
  type RequestBody,
} from './request-schema.js';

const message = (b: RequestBody<unknown>, raw: unknown, ctx?: { id?: string; until?: string }) => {
  try {
    b.check(raw, ctx);
  } catch (e) {
    assert.ok(e instanceof InvalidInputError || e instanceof MalformedBodyError, String(e));
    return e.message;
  }
  return 'ok';
};

const THING = envelope('thing', object(
  required('name'),
  properties({ name: text({ nonBlank: true }), size: integer({ min: 1, nullable: 'last' }) }),
  sameId('Cannot change the thing ID'),
  properties({ tags: array({ items: string({ min: 1 }), unique: true }), on: boolean() }),
));

test('steps run in the order written and stop at the first problem', () => {
  assert.equal(message(THING, { thing: { size: 'x' } }), "Invalid input for field 'thing': 'name' is a required property");
  assert.equal(message(THING, { thing: { name: 'a', size: 'x', on: 1 } }), "Invalid input for field 'thing/size': 'x' is not of type 'integer', 'null'");
  assert.equal(message(THING, { thing: { name: 'a', size: 0 } }), "Invalid input for field 'thing/size': 0 is less than the minimum of 1");
  assert.equal(message(THING, { thing: { name: 'a', id: 'other', on: 1 } }, { id: 'mine' }), 'Cannot change the thing ID');
  assert.equal(message(THING, { thing: { name: 'a', tags: ['x', ''] } }), "Invalid input for field 'thing/tags/1': '' is too short");
  assert.equal(message(THING, { thing: { name: 'a', tags: ['x', 'x'] } }), "Invalid input for field 'thing/tags': ['x', 'x'] has non-unique elements");
  assert.equal(message(THING, { thing: { name: ' ' } }), "Invalid input for field 'thing/name': '' is too short");
  assert.equal(message(THING, { thing: { name: 'a', size: null, on: true } }), 'ok');
});

test('an envelope: its member is required, also of a body that is no object', () => {
  const missing = 'Expecting to find thing in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';
  assert.equal(message(THING, {}), missing);
  assert.equal(message(THING, [1]), missing);
  assert.equal(message(THING, { thing: [] }), "Invalid input for field 'thing': [] is not of type 'object'");
});

test('until: the part of a body a route checks before its policy decision', () => {
  const bad = { thing: { name: 'a', size: 'x', on: 1 } };
  assert.equal(message(THING, bad, { until: 'size' }), 'ok');
  assert.equal(message(THING, bad, { until: 'sameId' }), "Invalid input for field 'thing/size': 'x' is not of type 'integer', 'null'");
  assert.equal(message(THING, { thing: { name: 'a', id: 'other' } }, { id: 'mine', until: 'sameId' }), 'ok');
});

test('values shown as JSON (a secret by its type), as Python, quoted, or not at all', () => {
  const shown = body(object(properties({
    password: text(), name: string(), state: text({ oneOf: ['on'], oneOfEcho: 'quoted' }), access: string({ echo: 'none' }),
  })));
  assert.equal(message(shown, { password: 12 }), "Invalid input for field 'password': a value of type number is not of type 'string'");
  assert.equal(message(shown, { name: true }), "Invalid input for field 'name': True is not of type 'string'");
  assert.equal(message(shown, { state: 'off' }), "Invalid input for field 'state': 'off' is not one of ['on']");
  assert.equal(message(shown, { access: 5 }), "Invalid input for field 'access': is not of type 'string'");
});

test('additional properties as each of Keystone\'s schemas words them', () => {
  const of = (style: 'first' | 'python' | 'all') => body(object(properties({ a: boolean() }), additional(style)));
  assert.equal(message(of('first'), { a: true, b: 1, c: 2 }), "Additional properties are not allowed ('b' was unexpected)");
  assert.equal(message(of('python'), { b: 1 }), "Additional properties are not allowed ('b' was unexpected)");
  assert.equal(message(of('all'), { b: 1, c: 2 }), "Additional properties are not allowed ('b', 'c' were unexpected)");
});

test('bodies read as empty, refused as malformed, members named at the top', () => {
  const b = body(object(expect('x'), member('m', object(minProperties()), { absent: 'empty', at: '' })), { notObject: 'malformed', empty: 'nullish' });
  assert.equal(message(b, 'text'), 'The request body is not valid JSON.');
  assert.match(message(b, null), /^Expecting to find x in request body\./);
  assert.equal(message(b, { x: 1 }), '{} does not have enough properties');
});

test('extras: what the schema does not declare, id and links left out, stored attributes kept', () => {
  const o = { name: 'a', id: 'i', links: {}, color: 'red', on: true };
  assert.deepEqual(extrasOf(o, THING), { color: 'red' });
  assert.deepEqual(extrasOf(o, THING, ['on']), { color: 'red', on: true });
});
