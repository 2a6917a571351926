import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { AssignmentService, CredentialService, DomainConfigEntity, SYSTEM_TARGET_ID } from '@lintel/domain';
import { credentialKeys, rotateCredentialKeys } from '../../apps/manage/src/tasks.js';
import { databaseKinds } from '../helpers/databases.js';
import { adminProjectAuth, call, issue, keystoneError, passwordAuth } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/** What Keystone 22 answers to `GET /v3/domains/config/default` with a stock configuration, in its order. */
const KEYSTONE_DEFAULTS = {
  identity: { driver: 'sql', list_limit: null },
  ldap: {
    url: 'ldap://localhost', user: null, suffix: 'cn=example,cn=com', query_scope: 'one', page_size: 0, alias_dereferencing: 'default',
    debug_level: null, chase_referrals: null, user_tree_dn: null, user_filter: null, user_objectclass: 'inetOrgPerson',
    user_id_attribute: 'cn', user_name_attribute: 'sn', user_mail_attribute: 'mail', user_description_attribute: 'description',
    user_pass_attribute: 'userPassword', user_enabled_attribute: 'enabled', user_enabled_invert: false, user_enabled_mask: 0,
    user_enabled_default: 'True', user_attribute_ignore: ['default_project_id'], user_default_project_id_attribute: null,
    user_enabled_emulation: false, user_enabled_emulation_dn: null, user_enabled_emulation_use_group_config: false,
    user_additional_attribute_mapping: [], group_tree_dn: null, group_filter: null, group_objectclass: 'groupOfNames',
    group_id_attribute: 'cn', group_name_attribute: 'ou', group_members_are_ids: false, group_member_attribute: 'member',
    group_desc_attribute: 'description', group_attribute_ignore: [], group_additional_attribute_mapping: [], tls_cacertfile: null,
    tls_cacertdir: null, use_tls: false, tls_req_cert: 'demand', use_pool: true, pool_size: 10, pool_retry_max: 3, pool_retry_delay: 0.1,
    pool_connection_timeout: -1, pool_connection_lifetime: 600, use_auth_pool: true, auth_pool_size: 100, auth_pool_connection_lifetime: 60,
  },
};
const invalid = (reason: string) => `Invalid domain specific configuration: ${reason}.`;
const INVALID_JSON = 'Expecting to find valid JSON in request body. The server could not comply with the request since it is either malformed or otherwise incorrect. The client is assumed to be in error.';

/** Domain-specific configuration (docs/keystone-catalog-extensions.md, "Domain configuration"). */
for (const kind of databaseKinds()) {
  describe(`Keystone domain configuration (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let base: string;
    let admin: string;
    let member: string;
    let sysReader: string;

    const req = async (method: string, path: string, body?: unknown, status = 200, token = admin) => {
      const r = await call(base, method, path, { token, body });
      assert.equal(r.status, status, `${method} ${path}: ${r.text}`);
      return r.body;
    };
    const fail = async (method: string, path: string, body: unknown, status: number, message: string, token = admin) => {
      const e = keystoneError(await call(base, method, path, { token, body }), status);
      assert.equal(e.message, message, `${method} ${path} ${JSON.stringify(body)}`);
    };
    const newDomain = async (name: string) => (await req('POST', '/v3/domains', { domain: { name } }, 201)).domain.id as string;
    const notFound = (domainId: string, what: string) => `Could not find ${what} in domain configuration for domain ${domainId}.`;

    before(async () => {
      h = ctx.h;
      base = h.url;
      admin = (await issue(base, adminProjectAuth())).id;
      const a = h.get(AssignmentService);
      for (const [name, grant] of [
        ['mia', { type: 'UserProject' as const, targetId: h.adminProjectId, role: 'member' }],
        ['sam', { type: 'UserSystem' as const, targetId: SYSTEM_TARGET_ID, role: 'reader' }],
      ] as const) {
        const u = await req('POST', '/v3/users', { user: { name, password: `${name}-pw-1` } }, 201);
        await a.grant({ type: grant.type, actorId: u.user.id, targetId: grant.targetId, roleId: (await a.findGlobalRole(grant.role))!.id });
      }
      member = (await issue(base, passwordAuth({ name: 'mia' }, 'mia-pw-1', { project: { id: h.adminProjectId } }))).id;
      sysReader = (await issue(base, passwordAuth({ name: 'sam' }, 'sam-pw-1', { system: { all: true } }))).id;
    });

    test('defaults: the identity and ldap values Keystone reports, per group and per option', async () => {
      const all = (await req('GET', '/v3/domains/config/default')).config;
      assert.deepEqual(all, KEYSTONE_DEFAULTS);
      assert.deepEqual(Object.keys(all.ldap), Object.keys(KEYSTONE_DEFAULTS.ldap), "Keystone's order");
      assert.deepEqual(await req('GET', '/v3/domains/config/identity/default'), { config: { identity: { driver: 'sql', list_limit: null } } });
      assert.deepEqual(await req('GET', '/v3/domains/config/ldap/default'), { config: { ldap: KEYSTONE_DEFAULTS.ldap } });
      for (const [option, value] of Object.entries(KEYSTONE_DEFAULTS.ldap)) {
        assert.deepEqual(await req('GET', `/v3/domains/config/ldap/${option}/default`), { config: { [option]: value } });
      }
      assert.deepEqual(await req('GET', '/v3/domains/config/identity/list_limit/default'), { config: { list_limit: null } });
      assert.equal((await call(base, 'HEAD', '/v3/domains/config/default', { token: admin })).status, 200);
      await fail('GET', '/v3/domains/config/ldap/password/default', undefined, 403, invalid('Reading the default for option password in group ldap is not supported'));
      await fail('GET', '/v3/domains/config/foo/default', undefined, 403, invalid('Group foo is not supported for domain specific configurations'));
      await fail('GET', '/v3/domains/config/identity/bogus/default', undefined, 403, invalid('Option bogus in group identity is not supported for domain specific configurations'));
      await fail('GET', '/v3/domains/config/security_compliance/default', undefined, 403, invalid('Group security_compliance is not supported for domain specific configurations'));
    });

    test('create (201, then 200), read whole, by group and by option; the ldap password is stored sealed and never shown', async () => {
      const d = await newDomain('cfg-create');
      await fail('GET', `/v3/domains/${d}/config`, undefined, 404, notFound(d, 'any options'));
      const config = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://myldap.com:389/', user_tree_dn: 'ou=Users,dc=my_new_root,dc=org', password: 'hunter2-secret' } };
      const put = await call(base, 'PUT', `/v3/domains/${d}/config`, { token: admin, body: { config } });
      assert.equal(put.status, 201, put.text);
      const shown = { identity: { driver: 'ldap' }, ldap: { url: 'ldap://myldap.com:389/', user_tree_dn: 'ou=Users,dc=my_new_root,dc=org' } };
      assert.deepEqual(put.body, { config: shown });
      assert.ok(!put.text.includes('hunter2'));
      assert.deepEqual(await req('GET', `/v3/domains/${d}/config`), { config: shown });
      assert.deepEqual(await req('GET', `/v3/domains/${d}/config/ldap`), { config: { ldap: shown.ldap } });
      assert.deepEqual(await req('GET', `/v3/domains/${d}/config/ldap/url`), { config: { url: 'ldap://myldap.com:389/' } });
      assert.deepEqual(await req('GET', `/v3/domains/${d}/config/identity/driver`), { config: { driver: 'ldap' } });
      assert.equal((await call(base, 'HEAD', `/v3/domains/${d}/config/ldap`, { token: admin })).status, 200);
      await fail('GET', `/v3/domains/${d}/config/ldap/password`, undefined, 404, notFound(d, 'option password in group ldap'));
      await fail('GET', `/v3/domains/${d}/config/ldap/user`, undefined, 404, notFound(d, 'option user in group ldap'));
      await fail('GET', `/v3/domains/${d}/config/foo`, undefined, 403, invalid('Group foo is not supported for domain specific configurations'));
      await fail('GET', `/v3/domains/${d}/config/ldap/bar`, undefined, 403, invalid('Option bar in group ldap is not supported for domain specific configurations'));

      const row = await h.ds.getRepository(DomainConfigEntity).findOneByOrFail({ domainId: d, group: 'ldap', option: 'password' });
      assert.equal(row.sensitive, true);
      assert.ok(row.keyHash, 'sealed with a credential key');
      assert.ok(!row.value.includes('hunter2'), 'the password is not stored in the clear');
      assert.ok((await h.get(CredentialService).keyHashesInUse()).has(row.keyHash!), 'a key rotation must not prune the key sealing it');
      const plain = await h.ds.getRepository(DomainConfigEntity).findOneByOrFail({ domainId: d, group: 'ldap', option: 'url' });
      assert.equal(plain.keyHash, null);

      // PUT replaces the whole configuration and answers 200 once one existed.
      const again = await call(base, 'PUT', `/v3/domains/${d}/config`, { token: admin, body: { config: { ldap: { url: 'ldap://other' } } } });
      assert.equal(again.status, 200, again.text);
      assert.deepEqual(again.body, { config: { ldap: { url: 'ldap://other' } } });
      assert.equal(await h.ds.getRepository(DomainConfigEntity).countBy({ domainId: d }), 1);

      // Sensitive options alone: stored (the next PUT answers 200), but there is nothing to show.
      const only = await newDomain('cfg-secret-only');
      const s = await call(base, 'PUT', `/v3/domains/${only}/config`, { token: admin, body: { config: { ldap: { password: 'p' } } } });
      assert.equal(s.status, 201, s.text);
      assert.deepEqual(s.body, { config: {} });
      await fail('GET', `/v3/domains/${only}/config`, undefined, 404, notFound(only, 'any options'));
      await fail('PATCH', `/v3/domains/${only}/config/ldap/password`, { config: { password: 'q' } }, 404, notFound(only, 'any options'));
      assert.equal((await call(base, 'PUT', `/v3/domains/${only}/config`, { token: admin, body: { config: { ldap: { url: 'u' } } } })).status, 200);
    });

    test('update the whole, a group, an option; delete an option, a group, the whole; Keystone 403s and 404s', async () => {
      const d = await newDomain('cfg-update');
      await req('PUT', `/v3/domains/${d}/config`, { config: { identity: { driver: 'ldap' }, ldap: { url: 'ldap://a', user_tree_dn: 'ou=u' } } }, 201);
      let c = (await req('PATCH', `/v3/domains/${d}/config`, { config: { ldap: { url: 'ldap://b', user: 'cn=admin', use_tls: false, page_size: 0 } } })).config;
      assert.deepEqual(c, { identity: { driver: 'ldap' }, ldap: { url: 'ldap://b', user_tree_dn: 'ou=u', user: 'cn=admin', use_tls: false, page_size: 0 } });
      c = (await req('PATCH', `/v3/domains/${d}/config/identity`, { config: { identity: { driver: 'sql', list_limit: 42 } } })).config;
      assert.deepEqual(c.identity, { driver: 'sql', list_limit: 42 });
      c = (await req('PATCH', `/v3/domains/${d}/config/identity/driver`, { config: { driver: 'ldap' } })).config;
      assert.deepEqual(c.identity, { driver: 'ldap', list_limit: 42 });
      assert.deepEqual(c, (await req('GET', `/v3/domains/${d}/config`)).config, 'PATCH answers the whole configuration');

      for (const [path, body, message] of [
        [`/v3/domains/${d}/config/ldap`, { config: { identity: { driver: 'x' } } }, invalid('request to update group ldap, but config provided contains group identity instead')],
        [`/v3/domains/${d}/config/ldap`, { config: { identity: { driver: 'x' }, ldap: { url: 'y' } } }, invalid('Trying to update group ldap, so that, and only that, group must be specified in the config')],
        [`/v3/domains/${d}/config/ldap/user`, { config: { url: 'x' } }, invalid('Trying to update option user in group ldap, but config provided contains option url instead')],
        [`/v3/domains/${d}/config/ldap/user`, { config: { url: 'x', user: 'y' } }, invalid('Trying to update option user in group ldap, so that, and only that, option must be specified  in the config')],
        [`/v3/domains/${d}/config/ldap/bogus`, { config: { bogus: 'x' } }, invalid('Option bogus in group ldap is not supported for domain specific configurations')],
        [`/v3/domains/${d}/config`, { config: { foo: { bar: 1 } } }, invalid('Group foo is not supported for domain specific configurations')],
        [`/v3/domains/${d}/config`, { config: { ldap: 'x' } }, invalid('The value of group ldap specified in the config should be a dictionary of options')],
        [`/v3/domains/${d}/config`, { config: { ldap: {} } }, invalid('The value of group ldap specified in the config should be a dictionary of options')],
        [`/v3/domains/${d}/config`, {}, invalid('No options specified')],
        [`/v3/domains/${d}/config`, { config: null }, invalid('No options specified')],
        [`/v3/domains/${d}/config/ldap/url`, { config: 'x' }, invalid('The value of group ldap specified in the config should be a dictionary of options')],
      ] as const) {
        await fail('PATCH', path, body, 403, message);
      }
      await fail('PATCH', `/v3/domains/${d}/config/ldap/suffix`, { config: { suffix: 'cn=x' } }, 404, notFound(d, 'option suffix in group ldap'));
      await fail('PATCH', `/v3/domains/${d}/config`, { config: 'abc' }, 400, `Invalid input for field 'config': "abc" is not of type 'object'`);
      assert.equal(keystoneError(await call(base, 'PATCH', `/v3/domains/${d}/config`, { token: admin, body: ['x'] }), 400).message, INVALID_JSON);

      // Keystone deletes an option only when its value is true for Python: false and 0 stay.
      await fail('DELETE', `/v3/domains/${d}/config/ldap/use_tls`, undefined, 404, notFound(d, 'option use_tls in group ldap'));
      await fail('DELETE', `/v3/domains/${d}/config/ldap/page_size`, undefined, 404, notFound(d, 'option page_size in group ldap'));
      await fail('DELETE', `/v3/domains/${d}/config/ldap/tls_cacertdir`, undefined, 404, notFound(d, 'option tls_cacertdir in group ldap'));
      await fail('DELETE', `/v3/domains/${d}/config/foo`, undefined, 403, invalid('Group foo is not supported for domain specific configurations'));
      await req('DELETE', `/v3/domains/${d}/config/identity/driver`, undefined, 204);
      await fail('GET', `/v3/domains/${d}/config/identity/driver`, undefined, 404, notFound(d, 'option driver in group identity'));
      await req('DELETE', `/v3/domains/${d}/config/identity`, undefined, 204);
      await fail('GET', `/v3/domains/${d}/config/identity`, undefined, 404, notFound(d, 'group identity'));
      await fail('DELETE', `/v3/domains/${d}/config/identity`, undefined, 404, notFound(d, 'group identity'));
      await fail('PATCH', `/v3/domains/${d}/config/identity`, { config: { identity: { driver: 'x' } } }, 404, notFound(d, 'group identity'));
      await req('PATCH', `/v3/domains/${d}/config`, { config: { ldap: { password: 'secret' } } });
      await req('DELETE', `/v3/domains/${d}/config/ldap/password`, undefined, 204);
      await req('DELETE', `/v3/domains/${d}/config`, undefined, 204);
      await fail('GET', `/v3/domains/${d}/config`, undefined, 404, notFound(d, 'any options'));
      await req('DELETE', `/v3/domains/${d}/config`, undefined, 204);
      assert.equal(await h.ds.getRepository(DomainConfigEntity).countBy({ domainId: d }), 0);

      // An unknown domain: writes look it up first; reads report the configuration's error.
      for (const [method, body] of [['PUT', { config: { ldap: { url: 'u' } } }], ['PATCH', { config: { ldap: { url: 'u' } } }], ['DELETE', undefined]] as const) {
        await fail(method, '/v3/domains/nope/config', body, 404, 'Could not find domain: nope.');
      }
      await fail('PUT', '/v3/domains/nope/config', { config: { foo: { bar: 1 } } }, 404, 'Could not find domain: nope.');
      await fail('GET', '/v3/domains/nope/config', undefined, 404, notFound('nope', 'any options'));
      await fail('GET', '/v3/domains/nope/config/foo', undefined, 403, invalid('Group foo is not supported for domain specific configurations'));
      assert.equal(keystoneError(await call(base, 'PUT', `/v3/domains/${d}/config`, { token: admin, raw: '{"config":', headers: { 'Content-Type': 'application/json' } }), 400).message, INVALID_JSON);
    });

    test('security_compliance: the password rules, default domain only, readable by any token', async () => {
      for (const t of [admin, member]) {
        assert.deepEqual(await req('GET', '/v3/domains/default/config/security_compliance', undefined, 200, t), {
          config: { security_compliance: { password_regex: null, password_regex_description: null } },
        });
        assert.deepEqual(await req('GET', '/v3/domains/default/config/security_compliance/password_regex', undefined, 200, t), { config: { password_regex: null } });
      }
      await fail('GET', '/v3/domains/default/config/security_compliance/lockout_duration', undefined, 403,
        invalid('Reading security compliance values other than password_regex and password_regex_description is not allowed.'));
      const d = await newDomain('cfg-compliance');
      await fail('GET', `/v3/domains/${d}/config/security_compliance`, undefined, 403,
        invalid('Reading security compliance information for any domain other than the default domain is not allowed or supported.'));
    });

    test('policy: a project member gets 403 on every route (existing domain or not); a system reader reads', async () => {
      const d = await newDomain('cfg-guarded');
      await req('PUT', `/v3/domains/${d}/config`, { config: { ldap: { url: 'ldap://keep' } } }, 201);
      const routes = [
        ['PUT', `/v3/domains/${d}/config`, { config: { ldap: { url: 'x' } } }, 'create_domain_config', false],
        ['PUT', `/v3/domains/${d}/config`, { config: { foo: {} } }, 'create_domain_config', false],
        ['PUT', '/v3/domains/nope/config', { config: { ldap: { url: 'x' } } }, 'create_domain_config', false],
        ['GET', `/v3/domains/${d}/config`, undefined, 'get_domain_config', true],
        ['GET', `/v3/domains/${d}/config/ldap`, undefined, 'get_domain_config', true],
        ['GET', `/v3/domains/${d}/config/ldap/url`, undefined, 'get_domain_config', true],
        ['GET', '/v3/domains/nope/config', undefined, 'get_domain_config', true],
        ['PATCH', `/v3/domains/${d}/config`, { config: { ldap: { url: 'x' } } }, 'update_domain_config', false],
        ['PATCH', `/v3/domains/${d}/config/ldap`, { config: { ldap: { url: 'x' } } }, 'update_domain_config', false],
        ['PATCH', `/v3/domains/${d}/config/ldap/url`, { config: { url: 'x' } }, 'update_domain_config', false],
        ['DELETE', `/v3/domains/${d}/config/ldap/url`, undefined, 'delete_domain_config', false],
        ['DELETE', `/v3/domains/${d}/config/ldap`, undefined, 'delete_domain_config', false],
        ['DELETE', `/v3/domains/${d}/config`, undefined, 'delete_domain_config', false],
        ['GET', '/v3/domains/config/default', undefined, 'get_domain_config_default', true],
        ['GET', '/v3/domains/config/ldap/default', undefined, 'get_domain_config_default', true],
        ['GET', '/v3/domains/config/ldap/url/default', undefined, 'get_domain_config_default', true],
      ] as const;
      for (const [method, path, body, action, read] of routes) {
        await fail(method, path, body, 403, `You are not authorized to perform the requested action: identity:${action}.`, member);
        const r = await call(base, method, path, { token: sysReader, body });
        if (read) assert.ok(r.status === 200 || r.status === 404, `system reader ${method} ${path}: ${r.status} ${r.text}`);
        else assert.equal(keystoneError(r, 403).message, `You are not authorized to perform the requested action: identity:${action}.`);
      }
      keystoneError(await call(base, 'GET', '/v3/domains/config/default'), 401);
      assert.deepEqual(await req('GET', `/v3/domains/${d}/config`), { config: { ldap: { url: 'ldap://keep' } } }, 'nothing written');
    });

    test('credential key rotation: a sealed option holds its key until migrate re-seals it, and stays readable', async () => {
      const d = await newDomain('cfg-rotation');
      await req('PUT', `/v3/domains/${d}/config`, { config: { ldap: { url: 'ldap://x', password: 'rotate-me' } } }, 201);
      const sealedBy = async () => (await h.ds.getRepository(DomainConfigEntity).findOneByOrFail({ domainId: d, option: 'password' })).keyHash;
      const first = await sealedBy();
      await rotateCredentialKeys(h.app, h.config);
      await assert.rejects(rotateCredentialKeys(h.app, h.config), /run "credential-keys migrate" first/);
      const creds = h.get(CredentialService);
      assert.ok((await creds.resealAll()) > 0);
      const ring = credentialKeys(h.config);
      ring.load();
      assert.equal(await sealedBy(), ring.primaryHash);
      assert.notEqual(await sealedBy(), first);
      assert.deepEqual([...(await creds.keyHashesInUse())], [ring.primaryHash]);
      await rotateCredentialKeys(h.app, h.config);
      // Deleting the option reads it (Keystone's truth test), which needs the re-sealed value to open.
      await req('DELETE', `/v3/domains/${d}/config/ldap/password`, undefined, 204);
      assert.deepEqual(await req('GET', `/v3/domains/${d}/config`), { config: { ldap: { url: 'ldap://x' } } });
    });

    test('deleting a domain deletes its configuration', async () => {
      const d = await newDomain('cfg-doomed');
      await req('PUT', `/v3/domains/${d}/config`, { config: { ldap: { url: 'ldap://x', password: 'p' } } }, 201);
      assert.equal(await h.ds.getRepository(DomainConfigEntity).countBy({ domainId: d }), 2);
      await req('PATCH', `/v3/domains/${d}`, { domain: { enabled: false } });
      await req('DELETE', `/v3/domains/${d}`, undefined, 204);
      assert.equal(await h.ds.getRepository(DomainConfigEntity).countBy({ domainId: d }), 0);
      await fail('PUT', `/v3/domains/${d}/config`, { config: { ldap: { url: 'u' } } }, 404, `Could not find domain: ${d}.`);
    });
  });
}
