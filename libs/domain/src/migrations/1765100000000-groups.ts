import { Table, type MigrationInterface, type QueryRunner } from 'typeorm';

/** Groups and their members (Keystone's identity backend). */
export class Groups1765100000000 implements MigrationInterface {
  name = 'Groups1765100000000';

  async up(q: QueryRunner): Promise<void> {
    const id = (name: string, primary = false) => ({ name, type: 'varchar', length: '64', isPrimary: primary });
    await q.createTable(new Table({
      name: 'groups',
      columns: [id('id', true), { name: 'name', type: 'varchar', length: '255' }, id('domain_id'),
        { name: 'description', type: 'text', isNullable: true }, { name: 'extra', type: 'text', isNullable: true }],
      uniques: [{ name: 'uq_groups_domain_name', columnNames: ['domain_id', 'name'] }],
    }));
    await q.createTable(new Table({
      name: 'user_group_membership',
      columns: [id('user_id', true), id('group_id', true)],
      indices: [{ name: 'ix_membership_group', columnNames: ['group_id'] }],
    }));
  }

  async down(q: QueryRunner): Promise<void> {
    await q.dropTable('user_group_membership', true);
    await q.dropTable('groups', true);
  }
}
