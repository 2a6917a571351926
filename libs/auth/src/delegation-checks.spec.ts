import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ForbiddenError } from '@lintel/domain';
import { accessRulePathMatches, allowedByAccessRules, refuseRestrictedAppCred, withAppCredId, withinDelegation } from './delegation-checks.js';
import type { Principal } from './principal.js';

const principal = (o: { methods?: string[]; appCred?: Principal['appCred']; appCredId?: string; project?: string } = {}): Principal => ({
  claims: {
    userId: 'u', methods: o.methods ?? ['password'], auditIds: ['a'], issuedAt: 0, expiresAt: 0,
    scope: o.project ? { project: o.project } : undefined, ...(o.appCredId ? { appCredId: o.appCredId } : {}),
  },
  userId: 'u', userDomainId: 'default', scope: o.project ? { project: o.project } : undefined, roles: [], roleIds: [], isAdminProject: false,
  ...(o.appCred ? { appCred: o.appCred } : {}), creds: {} as Principal['creds'],
});

test('keystonemiddleware\'s path patterns: * and {name} one segment, ** anything, the rest literally', () => {
  const cases: Array<[string, string, boolean]> = [
    ['/v2.1/servers', '/v2.1/servers', true],
    ['/v2x1/servers', '/v2.1/servers', false],
    ['/v1/p1/aksks', '/v1/*/aksks', true],
    ['/v1/p1/p2/aksks', '/v1/*/aksks', false],
    ['/v1//aksks', '/v1/*/aksks', false],
    ['/v1/p1/aksks/u1', '/v1/{project_id}/aksks/{user_id}', true],
    ['/v1/p1/aksks/u1/download', '/v1/**', true],
    ['/v1/', '/v1/**', true],
    ['/v1/p1/aksks', '/v1/*/aksks/**', false],
    ['/v1/p1/aksks/', '/v1/*/aksks/**', true],
    ['/V1/p1/aksks', '/v1/*/aksks', false],
    ['/a(b', '/a(b', true],
  ];
  for (const [path, pattern, expected] of cases) assert.equal(accessRulePathMatches(path, pattern), expected, `${path} ~ ${pattern}`);
});

test('a request passes when no rule set applies, else when one rule names its service, method and path', () => {
  const rules = [{ id: 'r', service: 'multicloud', method: 'GET', path: '/v1/*/aksks/*' }];
  assert.equal(allowedByAccessRules(principal(), 'multicloud', 'DELETE', '/x'), true, 'a password token');
  assert.equal(allowedByAccessRules(principal({ appCred: { id: 'c', name: 'n', unrestricted: false, accessRules: [] } }), 'multicloud', 'DELETE', '/x'), true, 'no rules');
  const p = principal({ appCred: { id: 'c', name: 'n', unrestricted: false, accessRules: rules } });
  assert.equal(allowedByAccessRules(p, 'multicloud', 'GET', '/v1/p/aksks/u'), true);
  assert.equal(allowedByAccessRules(p, 'multicloud', 'HEAD', '/v1/p/aksks/u'), false);
  assert.equal(allowedByAccessRules(p, 'identity', 'GET', '/v1/p/aksks/u'), false);
});

test('restricted credentials are refused with Keystone\'s text; other tokens pass', () => {
  assert.doesNotThrow(() => refuseRestrictedAppCred(principal()));
  assert.doesNotThrow(() => refuseRestrictedAppCred(principal({ methods: ['application_credential'], appCred: { id: 'c', name: 'n', unrestricted: true, accessRules: [] } })));
  assert.throws(() => refuseRestrictedAppCred(principal({ methods: ['application_credential'], appCred: { id: 'c', name: 'n', unrestricted: false, accessRules: [] } }), 'credentials'),
    (e: unknown) => e instanceof ForbiddenError && e.message === "You are not authorized to perform the requested action: Using method 'application_credential' is not allowed for managing additional credentials..");
});

test('delegated tokens stay in their project; ec2 blobs remember the credential', () => {
  assert.equal(withinDelegation(principal({ project: 'p1' }), 'p2'), true, 'not delegated');
  assert.equal(withinDelegation(principal({ project: 'p1', appCredId: 'c' }), 'p1'), true);
  assert.equal(withinDelegation(principal({ project: 'p1', appCredId: 'c' }), 'p2'), false);
  assert.equal(withinDelegation(principal({ project: 'p1', appCredId: 'c' }), null), false, 'a credential without a project is out of bounds');
  assert.equal(withAppCredId('{"access":"a","secret":"s"}', principal()), '{"access":"a","secret":"s"}');
  assert.deepEqual(JSON.parse(withAppCredId('{"access":"a","app_cred_id":"forged"}', principal({ appCredId: 'c' }))), { access: 'a', app_cred_id: 'c' });
  assert.equal(withAppCredId('not json', principal({ appCredId: 'c' })), 'not json', 'left for the store to refuse');
});
