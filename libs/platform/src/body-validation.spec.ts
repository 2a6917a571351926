import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IsBoolean, IsIn, IsString } from 'class-validator';
import { Chars, declaredMembers, IfPresent, Nested, NotWith, Present, validateBody, type BodyViolation } from './body-validation.js';

class Inner {
  @IfPresent() @IsString() @IsIn(['a', 'b']) pick?: string;
}

class Outer {
  @Present() @IsString() @Chars(1, 3) name!: string;
  @IfPresent() @IsBoolean() @NotWith('name') clear?: boolean;
  @IfPresent() @Nested(() => Inner) inner?: Inner;
}

const violations = (body: unknown, closed = true): Array<[string, string]> => {
  try {
    validateBody(Outer, body, (v: BodyViolation[]) => Object.assign(new Error('bad'), { v }), { closed });
  } catch (e) {
    return (e as { v: BodyViolation[] }).v.map((x) => [x.path.join('.'), x.rule]);
  }
  return [];
};

test('the members in the order the DTO declares them, and their positional order', () => {
  assert.deepEqual(declaredMembers(Outer), ['name', 'clear', 'inner']);
});

test('a valid body comes back as it was sent', () => {
  const body = { name: 'ab', inner: { pick: 'a' } };
  assert.equal(validateBody(Outer, body, () => new Error('bad')), body);
});

test('each member reports its most basic rule: present, then type, then size, then value', () => {
  assert.deepEqual(violations({}), [['name', 'present']]);
  assert.deepEqual(violations({ name: null }), [['name', 'isString']], 'null is a value of the wrong type, not an absent member');
  assert.deepEqual(violations({ name: 'abcd' }), [['name', 'chars']]);
  assert.deepEqual(violations({ name: 'ab', clear: true }), [['clear', 'notWith']]);
  assert.deepEqual(violations({ name: 'ab', inner: [] }), [['inner', 'isJsonObject']]);
  assert.deepEqual(violations({ name: 'ab', inner: { pick: 'c' } }), [['inner.pick', 'isIn']]);
  assert.deepEqual(violations('x'), [['', 'isJsonObject']]);
});

test('lengths are UTF-16 code units, as String.length counts', () => {
  assert.deepEqual(violations({ name: '😀😀' }), [['name', 'chars']], 'two emoji are four code units');
  assert.deepEqual(violations({ name: '😀' }), []);
});

test('closed DTOs: unknown members first, constructor and __proto__ included, nested ones too', () => {
  const body = JSON.parse('{"zz": 1, "constructor": 2, "__proto__": 3, "name": 5, "inner": {"x": 1}}');
  assert.deepEqual(violations(body), [['zz', 'unknown'], ['constructor', 'unknown'], ['__proto__', 'unknown'], ['inner.x', 'unknown'], ['name', 'isString']]);
  assert.deepEqual(violations({ name: 'ab', zz: 1 }, false), [], 'an open DTO ignores them');
});
