import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, test } from 'node:test';
import { DEFAULT_RULES, flattenInput, Policy, type Credentials, type FlatTarget, type RuleDefault } from '@lintel/policy';
import { onPath, skipUnless } from '../helpers/commands.js';

/**
 * Lintel's policy engine against oslo.policy itself (Debian's python3-oslo.policy): the same
 * rules, credentials and targets must pass and fail alike, on Keystone's default rules, Lintel's
 * own and hand-written check strings. Scope enforcement is left out (oslopolicy-checker has none).
 */

const here = dirname(fileURLToPath(import.meta.url));
const driver = resolve(here, '../../../test/policy/oslo_eval.py');
// Debian's own interpreter, where python3-oslo.policy is installed (a pyenv python3 on PATH lacks it).
const python = ['/usr/bin/python3', onPath('python3')].find((p) => p && existsSync(p));
const hasOslo = !!python && spawnSync(python, ['-c', 'import oslo_policy'], { stdio: 'ignore' }).status === 0;
const checker = onPath('oslopolicy-checker');
const skip = skipUnless(hasOslo && checker ? 'ok' : undefined, 'python3-oslo.policy (oslopolicy-checker) is not installed');

/** A Keystone-shaped token body and the credentials Keystone derives from it. */
function persona(o: { user: string; userDomain: string; roles: string[]; project?: [string, string]; domain?: string; system?: boolean; adminProject?: boolean }): Credentials {
  const token: Record<string, unknown> = {
    user: { id: o.user, domain: { id: o.userDomain } },
    roles: o.roles.map((name) => ({ id: `${name}-id`, name })),
  };
  if (o.project) token.project = { id: o.project[0], domain: { id: o.project[1] } };
  if (o.domain) token.domain = { id: o.domain };
  if (o.system) token.system = { all: true };
  return {
    user_id: o.user, user_domain_id: o.userDomain, roles: o.roles,
    project_id: o.project?.[0] ?? null, project_domain_id: o.project?.[1] ?? null,
    domain_id: o.domain ?? null, system_scope: o.system ? 'all' : null, ...(o.system ? { system: 'all' } : {}),
    is_admin_project: o.adminProject ?? !o.domain, token,
  };
}

const PERSONAS: Credentials[] = [
  persona({ user: 'cloudadmin', userDomain: 'default', roles: ['admin', 'manager', 'member', 'reader'], project: ['adminproject', 'default'], adminProject: true }),
  persona({ user: 'projadmin', userDomain: 'd1', roles: ['admin', 'manager', 'member', 'reader'], project: ['p1', 'd1'], adminProject: false }),
  persona({ user: 'member1', userDomain: 'd1', roles: ['member', 'reader'], project: ['p1', 'd1'], adminProject: false }),
  persona({ user: 'reader1', userDomain: 'd1', roles: ['reader'], project: ['p1', 'd1'], adminProject: false }),
  persona({ user: 'manager1', userDomain: 'd1', roles: ['manager', 'member', 'reader'], domain: 'd1' }),
  persona({ user: 'domreader', userDomain: 'd1', roles: ['reader'], domain: 'd1' }),
  persona({ user: 'domadmin', userDomain: 'd1', roles: ['admin', 'manager', 'member', 'reader'], domain: 'd1' }),
  persona({ user: 'sysadmin', userDomain: 'default', roles: ['admin', 'manager', 'member', 'reader'], system: true }),
  persona({ user: 'sysreader', userDomain: 'default', roles: ['reader'], system: true }),
  persona({ user: 'svc', userDomain: 'default', roles: ['service'], project: ['service', 'default'], adminProject: false }),
  persona({ user: 'nobody', userDomain: 'd2', roles: [] }),
];

const role = (name: string, domainId: string | null = null) => ({ id: `${name}-id`, name, domain_id: domainId });
const TARGETS: FlatTarget[] = [
  { args: { user_id: 'member1' }, target: { user: { id: 'member1', domain_id: 'd1' }, project: { id: 'p1', domain_id: 'd1' }, role: role('member') } },
  { args: { user_id: 'other' }, target: { user: { id: 'other', domain_id: 'd2' }, project: { id: 'p2', domain_id: 'd2' }, role: role('admin') } },
  { target: { user: { id: 'x', domain_id: 'd1' }, domain: { id: 'd1' }, role: role('manager'), group: { id: 'g1', domain_id: 'd1' } } },
  { target: { group: { id: 'g1', domain_id: 'd1' }, project: { id: 'p1', domain_id: 'd1' }, role: role('service') } },
  { target: { project: { id: 'p3', domain_id: null, is_domain: true }, role: role('custom', 'd1'), domain_id: 'd1' } },
  { target: { credential: { user_id: 'member1', project_id: 'p1' }, token: { user_id: 'member1' }, domain: { id: 'default' } } },
  { target: { credential: { user_id: 'reader1' }, token: { user_id: 'cloudadmin', user: { domain: { id: 'default' } } }, trust: { trustor_user_id: 'member1', trustee_user_id: 'reader1' } } },
  { target: { domain_id: 'd2', limit: { domain: { id: 'd1' }, project: { domain_id: 'd1' }, project_id: 'p1' } } },
  {},
].map((t) => flattenInput(t));

const HANDWRITTEN: Record<string, string> = {
  'hw:nested': '((role:admin or role:reader) and not (role:member and project_id:p1)) or user_id:%(target.user.id)s',
  'hw:literals': "True:%(target.project.is_domain)s or 'member':%(target.role.name)s or 1:%(target.count)s",
  'hw:none': 'None:%(target.role.domain_id)s and not None:%(target.project.domain_id)s',
  'hw:paths': 'token.project.domain.id:%(target.project.domain_id)s or token.roles.name:service',
  'hw:flags': 'is_admin_project:True and role:admin',
  'hw:case': 'ROLE:admin or role:ADMIN',
  'hw:multi-colon': 'role:compute:admin or user_id:%(target.user.id)s',
  'hw:literal-text': 'user_id:member1 and domain_id:None',
  'hw:percent': 'user_id:%%literal or user_id:%(user_id)s',
  'hw:empty': '',
  'hw:always': '@',
  'hw:never': '!',
  'hw:not-not': 'not not role:reader',
  'hw:missing-key': 'user_id:%(target.nothing.here)s or role:nothing',
};

function ourResults(rules: RuleDefault[]): string[][] {
  const p = Policy.build({ defaults: rules, enforceScope: false });
  const names = rules.map((r) => r.name).sort();
  return PERSONAS.flatMap((c) => TARGETS.map((t) => names.filter((n) => p.allows(n, c, t, true))));
}

function osloResults(rules: RuleDefault[]): string[][] {
  const cases = PERSONAS.flatMap((creds) => TARGETS.map((target) => ({ creds, target })));
  const input = JSON.stringify({ rules: Object.fromEntries(rules.map((r) => [r.name, r.check])), cases });
  return JSON.parse(execFileSync(python!, [driver], { input, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })) as string[][];
}

describe('policy engine parity with oslo.policy', { skip }, () => {
  test("Keystone's and Lintel's default rules decide as oslo.policy does", () => {
    const ours = ourResults([...DEFAULT_RULES]);
    const theirs = osloResults([...DEFAULT_RULES]);
    assert.equal(ours.length, PERSONAS.length * TARGETS.length);
    let compared = 0;
    for (let i = 0; i < ours.length; i++) {
      assert.deepEqual(ours[i], theirs[i], `persona ${Math.floor(i / TARGETS.length)}, target ${i % TARGETS.length}`);
      compared += DEFAULT_RULES.length;
    }
    // Not vacuous: both allow and refuse happen, for many rules.
    const allowed = ours.reduce((n, r) => n + r.length, 0);
    assert.ok(allowed > 1000 && allowed < compared - 1000, `allowed ${allowed} of ${compared}`);
  });

  test('hand-written check strings decide as oslo.policy does', () => {
    const rules = Object.entries(HANDWRITTEN).map(([name, check]) => ({ name, check }));
    assert.deepEqual(ourResults(rules), osloResults(rules));
  });

  test('oslopolicy-checker itself agrees on a project admin token', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lintel-oslo-'));
    const rules = [...DEFAULT_RULES];
    writeFileSync(join(dir, 'policy.json'), JSON.stringify(Object.fromEntries(rules.map((r) => [r.name, r.check]))));
    const admin = PERSONAS[1]!;
    // The checker builds the credentials from a token body: user_id, project_id, role names.
    const token = { ...(admin.token as object), ...admin, roles: (admin.roles as string[]).map((name) => ({ name })) };
    writeFileSync(join(dir, 'access.json'), JSON.stringify({ token }));
    const target = { target: { project: { id: 'p1', domain_id: 'd1' }, user: { id: 'member1', domain_id: 'd1' }, role: role('member') } };
    writeFileSync(join(dir, 'target.json'), JSON.stringify(target));
    const out = execFileSync(checker!, ['--policy', join(dir, 'policy.json'), '--access', join(dir, 'access.json'), '--target', join(dir, 'target.json')], { encoding: 'utf8' });
    const passed = out.split('\n').filter((l) => l.startsWith('passed: ')).map((l) => l.slice(8)).sort();
    const p = Policy.build({ defaults: rules, enforceScope: false });
    const creds = { ...admin, is_admin: false };
    const ours = rules.map((r) => r.name).filter((n) => n.includes(':') && p.allows(n, creds, target)).sort();
    assert.ok(passed.length > 50);
    assert.deepEqual(ours, passed);
  });
});
