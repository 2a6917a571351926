import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { CheckSyntaxError, formatCheck, parseCheckString } from './check-language.js';
import { DEFAULT_RULES, loadPolicy } from './load-policy.js';
import { flattenInput, inputLookup, Policy, PolicyError, type PolicyInput } from './policy.js';
import { MISSING } from './check-language.js';
import { parsePolicyText } from './policy-file.js';

const build = (rules: Record<string, string>, enforceScope = false) =>
  Policy.build({ defaults: Object.entries(rules).map(([name, check]) => ({ name, check })), enforceScope });
const creds = (o: Record<string, unknown> = {}) => ({ user_id: 'u1', roles: ['Member'], project_id: 'p1', domain_id: null, system_scope: null, ...o });

test('precedence: not binds tighter than and, and tighter than or', () => {
  assert.equal(formatCheck(parseCheckString('a:1 or b:2 and not c:3')), 'a:1 or (b:2 and not c:3)');
  assert.equal(formatCheck(parseCheckString('(a:1 or b:2) and c:3')), '(a:1 or b:2) and c:3');
  assert.equal(formatCheck(parseCheckString('not (a:1 or b:2)')), 'not (a:1 or b:2)');
  assert.equal(formatCheck(parseCheckString('((role:x))')), 'role:x');
  assert.equal(formatCheck(parseCheckString('a:1 AND b:2 Or c:3')), '(a:1 and b:2) or c:3');
});

test('syntax errors name the character', () => {
  for (const [src, at] of [['role:a and', 11], ['(role:a', 8], ['role:a)', 7], ['admin', 1], ['role:a or or role:b', 11], ["'quoted'", 1], ['   ', 1], ['a:%(x)d', 3], ['http:x', 1]] as const) {
    assert.throws(() => parseCheckString(src), (e: unknown) => e instanceof CheckSyntaxError && e.position + 1 === at, `${src} should fail at ${at}`);
  }
});

test('the empty rule allows; @ allows; ! refuses', () => {
  const p = build({ a: '', b: '@', c: '!' });
  assert.equal(p.allows('a', creds(), {}), true);
  assert.equal(p.allows('b', creds(), {}), true);
  assert.equal(p.allows('c', creds(), {}), false);
  assert.equal(p.allows('unknown', creds(), {}), false);
});

test('role checks ignore case and may substitute the target', () => {
  const p = build({ r: 'role:member', s: 'role:%(target.role.name)s' });
  assert.equal(p.allows('r', creds(), {}), true);
  assert.equal(p.allows('s', creds(), { target: { role: { name: 'MEMBER' } } }), true);
  assert.equal(p.allows('s', creds(), {}), false, 'a missing target key is a failed check');
});

test('generic checks compare Python text: None, True, literals, lists along the path', () => {
  const p = build({
    none: 'None:%(target.role.domain_id)s',
    dom: 'domain_id:%(target.role.domain_id)s',
    lit: "'manager':%(target.role.name)s",
    flag: 'is_admin_project:True',
    deep: 'token.project.domain.id:%(target.domain.id)s',
    list: 'token.roles.name:admin',
    notnone: 'not None:%(target.project.domain_id)s',
  });
  assert.equal(p.allows('none', creds(), { target: { role: { domain_id: null } } }), true);
  assert.equal(p.allows('dom', creds(), { target: { role: { domain_id: null } } }), true, 'a null credential matches None, as in Keystone');
  assert.equal(p.allows('lit', creds(), { target: { role: { name: 'manager' } } }), true);
  assert.equal(p.allows('flag', creds({ is_admin_project: true }), {}), true);
  assert.equal(p.allows('flag', creds({ is_admin_project: false }), {}), false);
  const tok = { token: { project: { domain: { id: 'd1' } }, roles: [{ name: 'reader' }, { name: 'admin' }] } };
  assert.equal(p.allows('deep', creds(tok), { target: { domain: { id: 'd1' } } }), true);
  assert.equal(p.allows('list', creds(tok), {}), true);
  assert.equal(p.allows('notnone', creds(), { target: { project: { domain_id: null } } }), false);
  assert.equal(p.allows('notnone', creds(), { target: { project: { domain_id: 'd' } } }), true);
});

test('the body and the filters cannot stand in for the target', () => {
  const flat = flattenInput({ args: { user_id: 'u9' }, target: { credential: { user_id: 'u2' } }, body: { target: { credential: { user_id: 'u1' } } }, filters: { user_id: 'u1' } });
  assert.equal(flat['target.credential.user_id'], 'u2');
  assert.equal(flat['request_body.target.credential.user_id'], 'u1');
  assert.equal(flat['filter_attr.user_id'], 'u1');
  assert.equal(flat.user_id, 'u9');
});

test('keys are looked up in the nested input exactly as in its flattened form, dotted names included', () => {
  const inputs: PolicyInput[] = [
    { args: { user_id: 'u', 'a.b': 1 }, target: { user: { id: 'x', domain_id: null, options: {} }, 'scope.OS-INHERIT:inherited_to': 'projects', n: { 'x.y': { z: true } } } },
    { target: { project: { id: 'p', tags: ['a', 'b'] } }, body: { project: { name: 'n' } }, filters: { 'scope.OS-INHERIT:inherited_to': 'projects', name: 'q' } },
    { body: ['not', 'an', 'object'], target: { when: new Date(0) } },
  ];
  for (const input of inputs) {
    const flat = flattenInput(input);
    const lookup = inputLookup(input);
    for (const [key, value] of Object.entries(flat)) {
      const got = lookup(key, key.split('.'));
      assert.deepEqual(got instanceof Date ? got.toISOString() : got, value, key); // substitution prints dates as ISO text
    }
    for (const key of ['target.user', 'target.nope', 'nope', 'target.user.id.more', 'request_body', 'filter_attr.scope']) {
      if (!(key in flat)) assert.equal(lookup(key, key.split('.')), MISSING, key);
    }
  }
});

test('scope enforcement refuses tokens of a scope the rule is not meant for', () => {
  const defaults = [{ name: 'x', check: '', scopes: ['system' as const] }];
  assert.equal(Policy.build({ defaults, enforceScope: true }).allows('x', creds(), {}), false);
  assert.equal(Policy.build({ defaults, enforceScope: true }).allows('x', creds({ system_scope: 'all', project_id: null }), {}), true);
  assert.equal(Policy.build({ defaults, enforceScope: false }).allows('x', creds(), {}), true);
});

test("Keystone's defaults: admin at any scope is admin; the domain manager creates projects only in its domain", () => {
  const p = loadPolicy({ file: undefined, enforceScope: true });
  const admin = creds({ roles: ['admin', 'member', 'reader'] });
  const manager = creds({ roles: ['manager', 'member', 'reader'], project_id: null, domain_id: 'd1' });
  assert.equal(p.allows('identity:create_project', admin, { target: { project: { domain_id: 'any' } } }), true);
  assert.equal(p.allows('identity:create_project', manager, { target: { project: { domain_id: 'd1' } } }), true);
  assert.equal(p.allows('identity:create_project', manager, { target: { project: { domain_id: 'd2' } } }), false);
  const grant = (role: string) => ({ target: { project: { domain_id: 'd1' }, user: { domain_id: 'd1' }, role: { name: role, domain_id: null } } });
  assert.equal(p.allows('identity:create_grant', manager, grant('member')), true);
  assert.equal(p.allows('identity:create_grant', manager, grant('admin')), false, 'a manager may not hand out admin');
  assert.equal(p.allows('identity:create_grant', manager, grant('service')), false, 'nor service');
  assert.ok(DEFAULT_RULES.some((r) => r.name === 'identity:get_domain'));
});

test('a policy file overrides by name and every problem is reported with its line', () => {
  const rules = parsePolicyText('"identity:get_user": "role:admin"\n"extra": "rule:identity:get_user or role:x"\nlisted: [["role:a", "role:b"], ["role:c"]]\nempty:\n', 'p.yaml');
  const p = Policy.build({ defaults: DEFAULT_RULES, overrides: rules, enforceScope: false });
  assert.equal(p.allows('identity:get_user', creds({ roles: ['admin'] }), {}), true);
  assert.equal(p.allows('identity:get_user', creds(), { target: { user: { id: 'u1' } } }), false, 'the override replaced the owner rule');
  assert.equal(p.allows('listed', creds({ roles: ['a', 'b'] }), {}), true);
  assert.equal(p.allows('listed', creds({ roles: ['a'] }), {}), false);
  assert.equal(p.allows('empty', creds(), {}), true);
  assert.equal(p.effective().find((r) => r.name === 'identity:get_user')?.source, 'file');

  assert.throws(() => parsePolicyText('"a": "role:x and"\n"b": "rule:nope"\n"c": 3\n', 'bad.yaml'), (e: unknown) => {
    assert.ok(e instanceof PolicyError);
    assert.match(e.message, /rule "a" \(line 1\): the rule ends where a check was expected at character 11/);
    assert.match(e.message, /rule "c" \(line 3\): the check must be a string/);
    return true;
  });
  assert.throws(() => Policy.build({ defaults: DEFAULT_RULES, overrides: parsePolicyText('"b": "rule:nope"\n', 'f'), enforceScope: false }), /rule "b" \(line 1\): rule:nope at character 1 names no rule/);
  assert.throws(() => Policy.build({ defaults: DEFAULT_RULES, overrides: parsePolicyText('"a": "rule:b"\n"b": "role:x or rule:a"\n', 'f'), enforceScope: false }), /refers to itself \(a -> b -> a\)/);
  assert.throws(() => parsePolicyText('"a": "x\n  b: [', 'f'), /line \d+, column \d+/);
});

test('JSON policy files are read as well', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lintel-policy-'));
  const file = join(dir, 'policy.json');
  writeFileSync(file, JSON.stringify({ 'identity:list_users': 'role:reader' }));
  const p = loadPolicy({ file, enforceScope: false });
  assert.equal(p.allows('identity:list_users', creds({ roles: ['reader'] }), {}), true);
  assert.throws(() => loadPolicy({ file: join(dir, 'missing.yaml'), enforceScope: false }), /cannot read the file: ENOENT/);
});

test('targetKeysOf follows rule references', () => {
  const p = build({ a: 'rule:b and user_id:%(target.user.id)s', b: 'domain_id:%(target.domain.id)s' });
  assert.deepEqual([...p.targetKeysOf('a')].sort(), ['target.domain.id', 'target.user.id']);
  assert.equal(p.reads('a', 'target.domain.'), true);
  assert.equal(p.reads('b', 'target.user.'), false);
});
