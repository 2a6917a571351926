import assert from 'node:assert/strict';
import { test } from 'node:test';
import { mfaSatisfied, parseMfaRules, requiredAuthMethods } from './mfa-rules.js';

const OFFERED = ['password', 'token', 'totp', 'application_credential'];
const rules = (r: unknown, enabled?: boolean) => ({ multi_factor_auth_rules: r, ...(enabled === undefined ? {} : { multi_factor_auth_enabled: enabled }) });

test('stored rules are read defensively: bad rules dropped, duplicates folded, never an error', () => {
  assert.deepEqual(parseMfaRules(undefined), []);
  assert.deepEqual(parseMfaRules('password'), []);
  assert.deepEqual(parseMfaRules([['password', 'totp'], 'totp', [], [1, 'totp'], ['totp', 'totp']]), [['password', 'totp'], ['totp']]);
});

test('a rule must be covered entirely; any one rule is enough', () => {
  const o = rules([['password', 'totp'], ['application_credential', 'totp']]);
  assert.equal(mfaSatisfied(o, ['password'], OFFERED), false);
  assert.equal(mfaSatisfied(o, ['totp'], OFFERED), false);
  assert.equal(mfaSatisfied(o, ['password', 'totp'], OFFERED), true);
  assert.equal(mfaSatisfied(o, ['totp', 'application_credential'], OFFERED), true);
  assert.equal(mfaSatisfied(o, ['token', 'password', 'totp'], OFFERED), true);
});

test('no rules, an empty list, or rules turned off: nothing is required; enabled is the default', () => {
  assert.equal(mfaSatisfied({}, ['password'], OFFERED), true);
  assert.equal(mfaSatisfied(null, ['password'], OFFERED), true);
  assert.equal(mfaSatisfied(rules([]), ['password'], OFFERED), true);
  assert.equal(mfaSatisfied(rules([], true), ['password'], OFFERED), true);
  assert.equal(mfaSatisfied(rules([['password', 'totp']], false), ['password'], OFFERED), true);
  assert.equal(mfaSatisfied(rules([['password', 'totp']], true), ['password'], OFFERED), false);
  assert.equal(mfaSatisfied(rules([['password', 'totp']]), ['password'], OFFERED), false);
});

test('methods the server does not offer are left out of a rule; a rule of only such methods is ignored (bug 2102096)', () => {
  // ["password", "bogus"] needs only the password.
  assert.equal(mfaSatisfied(rules([['password', 'bogus']]), ['password'], OFFERED), true);
  // ["bogus"] no longer lets a password-only login past ["password", "totp"].
  assert.equal(mfaSatisfied(rules([['password', 'totp'], ['bogus']]), ['password'], OFFERED), false);
  assert.equal(mfaSatisfied(rules([['password', 'totp'], ['bogus']]), ['password', 'totp'], OFFERED), true);
  // Only unusable rules: nobody is locked out by a rule nobody can meet.
  assert.equal(mfaSatisfied(rules([['bogus', 'other']]), ['password'], OFFERED), true);
});

test('required_auth_methods: the offered part of every rule that shares a method with what was proved', () => {
  const o = rules([['password', 'totp'], ['totp', 'bogus'], ['application_credential', 'totp'], ['bogus']]);
  assert.deepEqual(requiredAuthMethods(o, ['password'], OFFERED), [['password', 'totp']]);
  assert.deepEqual(requiredAuthMethods(o, ['totp'], OFFERED), [['password', 'totp'], ['totp'], ['application_credential', 'totp']]);
  assert.deepEqual(requiredAuthMethods(o, ['token'], OFFERED), []);
});
