import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TokenMap } from './token-map.js';

test('TokenMap answers only for the exact token stored, even when another shares its tail', () => {
  const tail = 'x'.repeat(40);
  const a = `aaaa.${tail}`;
  const b = `bbbb.${tail}`;
  const m = new TokenMap<number>({ max: 10 });
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

/** A clock the test moves by hand (lru-cache's `perf`); checked on every read (`ttlResolution: 0`). */
function manualClock(start = 1000) {
  const clock = { t: start, now: () => clock.t };
  return clock;
}

/** A distinct token per number, its tail the part that differs. */
const token = (n: number) => `gAAAAA.${String(n).padStart(30, '0')}`;

test('TokenMap holds at most max tokens and drops the least recently used first, not all of them', () => {
  const m = new TokenMap<number>({ max: 3 });
  m.set(token(1), 1);
  m.set(token(2), 2);
  m.set(token(3), 3);
  assert.equal(m.get(token(1)), 1, 'read: now the most recently used');
  m.set(token(4), 4);
  assert.equal(m.size, 3);
  assert.equal(m.get(token(2)), undefined, 'the least recently used went');
  assert.deepEqual([1, 3, 4].map((n) => m.get(token(n))), [1, 3, 4], 'the others stayed');
  for (let n = 5; n < 100; n++) m.set(token(n), n);
  assert.equal(m.size, 3);
  assert.deepEqual([97, 98, 99].map((n) => m.get(token(n))), [97, 98, 99]);
});

test('TokenMap entries expire their time to live after they were set, or after the start given', () => {
  const clock = manualClock();
  const m = new TokenMap<number>({ max: 10, ttl: 1000, perf: clock, ttlResolution: 0 });
  m.set(token(1), 1);
  clock.t += 999;
  assert.equal(m.get(token(1)), 1, 'within its time to live');
  assert.equal(m.get(token(1)), 1, 'reading does not extend it');
  clock.t += 2;
  assert.equal(m.get(token(1)), undefined, 'expired');
  assert.equal(m.size, 0, 'and gone');

  const began = m.now();
  clock.t += 600;
  m.set(token(2), 2, began);
  clock.t += 500;
  assert.equal(m.get(token(2)), undefined, 'counted from the start given, not from set');
});
