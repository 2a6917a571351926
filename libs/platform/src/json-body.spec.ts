import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MalformedBodyError } from '@lintel/domain';
import { jsonDepthExceeds, JsonNestingError, MAX_JSON_DEPTH, parseJsonBody } from './json-body.js';

const nested = (depth: number, open = '[', close = ']') => `${open.repeat(depth)}${close.repeat(depth)}`;

test('64 levels parse, 65 do not, arrays and objects alike (L5)', () => {
  assert.equal(MAX_JSON_DEPTH, 64);
  assert.deepEqual(JSON.stringify(parseJsonBody(nested(64))), nested(64));
  assert.throws(() => parseJsonBody(nested(65)), JsonNestingError);
  const objects = (d: number): string => (d === 0 ? '1' : `{"a":${objects(d - 1)}}`);
  assert.doesNotThrow(() => parseJsonBody(objects(64)));
  assert.throws(() => parseJsonBody(objects(65)), JsonNestingError);
  assert.throws(() => parseJsonBody(nested(30_000)), JsonNestingError);
});

test('brackets inside strings, escaped quotes included, do not count', () => {
  const text = JSON.stringify({ a: '['.repeat(200), b: `\\"${'{'.repeat(200)}`, c: [[['x"]]]']]] });
  assert.equal(jsonDepthExceeds(text), false);
  assert.deepEqual(parseJsonBody(text), JSON.parse(text));
});

test('depth is the deepest point, not the number of containers', () => {
  assert.equal(jsonDepthExceeds(`[${Array.from({ length: 500 }, () => '[[1]]').join(',')}]`), false);
});

test('what is not JSON stays a MalformedBodyError', () => {
  assert.throws(() => parseJsonBody('{"a": '), MalformedBodyError);
  assert.throws(() => parseJsonBody(`${nested(10)}}`), MalformedBodyError);
});
