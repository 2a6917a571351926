import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenMap } from './token-map.js';

test('TokenMap answers only for the exact token stored, even when another shares its tail', () => {
  const tail = 'x'.repeat(40);
  const a = `aaaa.${tail}`;
  const b = `bbbb.${tail}`;
  const m = new TokenMap<number>();
  m.set(a, 1);
  assert.equal(m.get(a), 1);
  assert.equal(m.get(`${'aaaa'}.${tail}`), 1, 'an equal string built anew');
  assert.equal(m.get(b), undefined, 'same tail, other token: a miss');
  m.delete(b);
  assert.equal(m.get(a), 1, 'deleting another token with the same tail leaves it');
  m.set(b, 2);
  assert.equal(m.get(b), 2);
  assert.equal(m.get(a), undefined, 'replaced by the token sharing its tail');
  assert.equal(m.size, 1);
  m.set('short', 3);
  assert.equal(m.get('short'), 3);
  m.clear();
  assert.equal(m.size, 0);
});
