import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { databaseKinds } from '../helpers/databases.js';
import { useLintel, type Harness } from '../helpers/lintel.js';
import { openstackEnv, openstackJson, openstackText, skipWithoutOpenstack } from '../helpers/openstack.js';

/**
 * The operator's story of issue 5 with the real openstack CLI: domain, projects, user, group,
 * membership, grants on project and domain, assignments with --names and --effective, a token as
 * the new user, a self-service password change, disable/enable, and deleting it all again.
 */
for (const kind of databaseKinds()) {
  describe(`openstack CLI administers Lintel (${kind.kind})`, { skip: skipWithoutOpenstack }, () => {
    const ctx = useLintel(kind);
    let h: Harness;
    let admin: NodeJS.ProcessEnv;

    before(async () => {
      h = ctx.h;
      admin = openstackEnv(`${h.url}/v3`);
    });

    it('creates, grants, uses, changes and deletes identities like Keystone', async () => {
      const os = (args: string[]) => openstackJson(args, admin);
      const domain = await os(['domain', 'create', '--description', 'Acme Inc.', 'acme']);
      assert.equal(domain.name, 'acme');
      assert.equal(domain.enabled, true);
      const project = await os(['project', 'create', '--domain', 'acme', '--description', 'web shop', 'web']);
      assert.equal(project.domain_id, domain.id);
      const child = await os(['project', 'create', '--domain', 'acme', '--parent', 'web', 'web-dev']);
      assert.equal(child.parent_id, project.id);
      const user = await os(['user', 'create', '--domain', 'acme', '--password', 'carol-pw-1', '--email', 'carol@example.com', 'carol']);
      assert.equal(user.domain_id, domain.id);
      assert.equal(user.email, 'carol@example.com');
      const group = await os(['group', 'create', '--domain', 'acme', 'devs']);
      await openstackText(['group', 'add', 'user', '--group-domain', 'acme', '--user-domain', 'acme', 'devs', 'carol'], admin);
      await openstackText(['role', 'add', '--user', 'carol', '--user-domain', 'acme', '--project', 'web', '--project-domain', 'acme', 'member'], admin);
      await openstackText(['role', 'add', '--group', 'devs', '--group-domain', 'acme', '--domain', 'acme', 'reader'], admin);

      const names = await os(['role', 'assignment', 'list', '--names', '--user', 'carol', '--user-domain', 'acme']);
      assert.deepEqual(names.map((a: any) => [a.Role, a.User, a.Project]), [['member', 'carol@acme', 'web@acme']]);
      const effective = await os(['role', 'assignment', 'list', '--effective', '--names', '--user', 'carol', '--user-domain', 'acme']);
      const seen = effective.map((a: any) => `${a.Role} ${a.Project || a.Domain}`).sort();
      assert.deepEqual(seen, ['member web@acme', 'reader acme', 'reader web@acme']);

      const carol = openstackEnv(`${h.url}/v3`, { user: 'carol', password: 'carol-pw-1', project: 'web', userDomain: 'acme', projectDomain: 'acme' });
      const token = await openstackJson(['token', 'issue'], carol);
      assert.equal(token.project_id, project.id);
      assert.equal(token.user_id, user.id);
      await openstackText(['user', 'password', 'set', '--original-password', 'carol-pw-1', '--password', 'carol-pw-2'], carol);
      const carol2 = { ...carol, OS_PASSWORD: 'carol-pw-2' };
      assert.equal((await openstackJson(['token', 'issue'], carol2)).user_id, user.id);
      await assert.rejects(openstackText(['token', 'issue'], carol), /401/);

      await openstackText(['user', 'set', '--disable', '--domain', 'acme', 'carol'], admin);
      assert.equal((await os(['user', 'show', '--domain', 'acme', 'carol'])).enabled, false);
      await assert.rejects(openstackText(['token', 'issue'], carol2), /401/);
      await openstackText(['user', 'set', '--enable', '--domain', 'acme', 'carol'], admin);
      assert.equal((await openstackJson(['token', 'issue'], carol2)).user_id, user.id);

      await openstackText(['role', 'remove', '--group', 'devs', '--group-domain', 'acme', '--domain', 'acme', 'reader'], admin);
      await openstackText(['role', 'remove', '--user', 'carol', '--user-domain', 'acme', '--project', 'web', '--project-domain', 'acme', 'member'], admin);
      assert.deepEqual(await os(['role', 'assignment', 'list', '--user', 'carol', '--user-domain', 'acme']), []);
      await openstackText(['group', 'delete', '--domain', 'acme', 'devs'], admin);
      await openstackText(['user', 'delete', '--domain', 'acme', 'carol'], admin);
      await openstackText(['project', 'delete', '--domain', 'acme', 'web-dev'], admin);
      await openstackText(['project', 'delete', '--domain', 'acme', 'web'], admin);
      await assert.rejects(openstackText(['domain', 'delete', 'acme'], admin), /enabled/);
      await openstackText(['domain', 'set', '--disable', 'acme'], admin);
      await openstackText(['domain', 'delete', 'acme'], admin);
      assert.ok(!(await os(['domain', 'list'])).some((d: any) => d.Name === 'acme'));
      assert.ok(group.id);
    });
  });
}
