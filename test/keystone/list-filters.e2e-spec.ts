import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { adminCalls, keystoneError } from '../helpers/keystone.js';
import { useLintel, type Harness } from '../helpers/lintel.js';

/** Keystone's inexact list filters, in SQL (docs/keystone-resources-parity.md, "Inexact filters"). */
for (const kind of databaseKinds()) {
  describe(`Keystone inexact list filters (${kind.kind})`, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    const { api, created, names } = adminCalls(ctx);

    before(() => {
      h = ctx.h;
    });

    describe('inexact list filters (__contains, __icontains, __startswith, ...)', () => {
      before(async () => {
        // No two names differ only by case: MariaDB's unique keys fold case (as Keystone's on MySQL).
        for (const name of ['AlphaBeta', 'betamax', 'Gamma_%x', 'Émile']) {
          await created('/v3/users', { user: { name, password: null } });
          await created('/v3/groups', { group: { name } });
          await created('/v3/projects', { project: { name } });
          await created('/v3/domains', { domain: { name } });
          await created('/v3/roles', { role: { name } });
        }
      });
      const cases: Array<[string, string[]]> = [
        ['name__contains=Beta', ['AlphaBeta']],
        ['name__contains=beta', ['betamax']],
        ['name__icontains=BETA', ['AlphaBeta', 'betamax']],
        ['name__startswith=alpha', []],
        ['name__istartswith=ALPHA', ['AlphaBeta']],
        ['name__startswith=beta', ['betamax']],
        ['name__endswith=beta', []],
        ['name__endswith=Beta', ['AlphaBeta']],
        ['name__iendswith=BETA', ['AlphaBeta']],
        ['name__contains=_%25', ['Gamma_%x']],
        ['name__contains=a_m', []],
        ['name__icontains=a%25', []],
        ['name__icontains=%C3%A9MI', ['Émile']],
        ['name__contains=%C3%A9mi', []],
        ['name__startswith=Alpha&name__endswith=eta', ['AlphaBeta']],
        ['name__contains=Alpha&name__contains=max', []],
        ['name__icontains=beta&name=betamax', ['betamax']],
      ];
      const wanted = ['AlphaBeta', 'betamax', 'Gamma_%x', 'Émile'];

      test('users, groups, projects, domains and roles: in SQL, the same on both databases', async () => {
        for (const collection of ['users', 'groups', 'projects', 'domains', 'roles']) {
          for (const [query, expected] of cases) {
            const got = names(await api('GET', `/v3/${collection}?${query}`), collection).filter((n) => wanted.includes(n));
            assert.deepEqual(got, [...expected].sort(), `${collection}?${query}`);
          }
          assert.deepEqual(names(await api('GET', `/v3/${collection}?name__bogus=x&name__contains=`), collection).filter((n) => wanted.includes(n)), [...wanted].sort(), 'unknown comparators are ignored');
        }
      });

      test('other string attributes Keystone allows; a comparator on a boolean is a 400', async () => {
        assert.ok(names(await api('GET', '/v3/users?domain_id__istartswith=DEF'), 'users').includes('AlphaBeta'));
        assert.deepEqual(names(await api('GET', '/v3/users?domain_id__startswith=DEF'), 'users'), []);
        assert.ok(names(await api('GET', '/v3/groups?domain_id__endswith=ault'), 'groups').includes('Émile'));
        assert.ok(names(await api('GET', '/v3/projects?parent_id__contains=efaul'), 'projects').includes('Émile'));
        assert.deepEqual(names(await api('GET', '/v3/projects?domain_id__contains=zzz'), 'projects'), []);
        for (const path of ['/v3/users?enabled__contains=t', '/v3/projects?enabled__startswith=t', '/v3/projects?is_domain__icontains=t', '/v3/domains?enabled__endswith=e']) {
          assert.match(keystoneError(await api('GET', path), 400).message, /^Invalid filter \w+__\w+: \w+ is a boolean; \w+ applies to text only\.$/, path);
        }
      });
    });
  });
}
